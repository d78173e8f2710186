"""Build the Pyodide runtime bundle for workerd's test-only `dev` slot, offline.

workerd normally downloads a released bundle at every start of a Python Worker. Here we build
one from the npm `pyodide` package instead: three modules (the patched Emscripten loader, the
wasm binary, the standard library zip) in a Cap'n Proto message, written with Debian's `capnp`.

Usage: python scripts/build_pyodide_bundle.py PYODIDE_DIR OUT_FILE
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILTIN_WRAPPERS = (
    "addEventListener, getRandomValues, location, monotonicDateNow, newWasmModule, "
    "patchedApplyFunc, patchedLoadLibData, wasmInstantiate, patched_PyEM_CountFuncParams"
)
EVAL_REFUSED = '(() => { throw new Error("Internal Emscripten code tried to eval"); })()'

# (name, old, new, essential). Each is a plain string replacement over the whole file.
PATCHES = [
    (
        "import builtin wrappers",
        "export default _createPyodideModule;",
        f'import {{ {BUILTIN_WRAPPERS} }} from "pyodide-internal:builtin_wrappers";\n'
        "export { _createPyodideModule };\nexport default _createPyodideModule;",
        True,
    ),
    ("wasm module", "new WebAssembly.Module", "newWasmModule", True),
    ("wasm instantiate", "WebAssembly.instantiate(", "wasmInstantiate(", True),
    ("monotonic clock", "Date.now", "monotonicDateNow", True),
    ("random values", "crypto.getRandomValues(", "getRandomValues(Module, ", True),
    ("no eval(func)", "eval(func)", EVAL_REFUSED, True),
    ("no eval(data)", "eval(data)", EVAL_REFUSED, False),
    ("no eval(UTF8ToString)", "eval(UTF8ToString(ptr))", EVAL_REFUSED, True),
    (
        "load lib data",
        "function loadLibData(){",
        "function loadLibData(){return flags.loadAsync"
        "?Promise.resolve(patchedLoadLibData(Module,libName,flags.rpath))"
        ":patchedLoadLibData(Module,libName,flags.rpath);",
        True,
    ),
    ("memory", "getMemory(", "Module.getMemoryPatched(Module, libName, ", True),
    (
        "count func params",
        "function _PyEM_CountFuncParams(func){",
        "function _PyEM_CountFuncParams(func){return patched_PyEM_CountFuncParams(Module, func);",
        False,
    ),
    (
        "fatal hook",
        'console.error("Recursive call to fatal_error. Inner error was:"),console.error(t);',
        'console.error("Recursive call to fatal_error. Inner error was:"),console.error(t);'
        "try{API.on_fatal?.(t)}catch(_e){}",
        False,
    ),
]


def patch_loader(source: str) -> str:
    for name, old, new, essential in PATCHES:
        hits = source.count(old)
        print(f"  patch {name!r}: {hits} hit(s)")
        if hits == 0 and essential:
            raise SystemExit(f"essential patch {name!r} found nothing: is the pinned pyodide version in use?")
        source = source.replace(old, new)
    return source


def build(pyodide_dir: Path, out_file: Path) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "pyodide.asm.mjs").write_text(
            patch_loader((pyodide_dir / "pyodide.asm.mjs").read_text(encoding="utf-8")), encoding="utf-8"
        )
        for name in ("pyodide.asm.wasm", "python_stdlib.zip"):
            (work / name).symlink_to(pyodide_dir / name)
        (work / "contents.capnp").write_text(
            "@0xe85329151d49c368;\n"
            'using B = import "/pyodide_bundle.capnp";\n'
            "const bundle :B.Bundle = (modules = [\n"
            '  (name = "pyodideRuntime-internal:pyodide.asm", src = embed "pyodide.asm.mjs",\n'
            "   type = internal),\n"
            '  (name = "pyodideRuntime-internal:pyodide.asm.wasm", wasm = embed "pyodide.asm.wasm",\n'
            "   type = internal),\n"
            '  (name = "pyodideRuntime-internal:python_stdlib.zip", data = embed "python_stdlib.zip",\n'
            "   type = internal)\n"
            "]);\n"
        )
        out_file.parent.mkdir(parents=True, exist_ok=True)
        partial = out_file.with_suffix(".partial")
        with partial.open("wb") as out:
            subprocess.run(
                ["capnp", "eval", "--binary", f"-I{HERE}", str(work / "contents.capnp"), "bundle"],
                stdout=out,
                check=True,
                cwd=work,
                env={**os.environ, "PWD": str(work)},
            )
        partial.replace(out_file)
    print(f"  wrote {out_file} ({out_file.stat().st_size // 1024} kB)")


if __name__ == "__main__":
    if len(sys.argv) != 3:
        raise SystemExit(__doc__)
    build(Path(sys.argv[1]).resolve(), Path(sys.argv[2]).resolve())
