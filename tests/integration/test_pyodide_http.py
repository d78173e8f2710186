"""Why the project does not use pyodide-http: shown under workerd, not asserted from memory.

pyodide-http makes `requests`/`urllib` work in browser Pyodide by sending them through synchronous
XMLHttpRequest. workerd has no XMLHttpRequest, and pyodide-http checks for it at import: inside a
Worker `patch_all()` silently does nothing. (Measured here too: plain urllib already works in
workerd's Pyodide without it, but blocks the event loop, so no parallel uploads; the project
uses `workers.fetch`.) The probe Worker (tests/workers/pyodide_http_probe) tries each.
"""

import json
import subprocess
import time
import urllib.request

import pytest

from tests.settings import ROOT

PROBE = ROOT / "tests" / "workers" / "pyodide_http_probe"


@pytest.fixture(scope="module")
def probe(stack):
    from dev.launcher import DEV_SLOT_FLAGS, _port
    from scripts import setup as project_setup

    port = _port("PROBE_PORT", 8794)
    log = open(stack.state_dir / "probe.log", "wb")
    process = subprocess.Popen(
        [
            str(ROOT / "node_modules" / ".bin" / "wrangler"),
            "dev",
            "-c",
            str(PROBE / "wrangler.toml"),
            "--ip",
            "127.0.0.1",
            "--port",
            str(port),
            "--inspector-port",
            str(_port("PROBE_INSPECTOR_PORT", 9232)),
            "--persist-to",
            str(stack.state_dir / "probe"),
            "--show-interactive-dev-session=false",
            "--compatibility-flags",
            *DEV_SLOT_FLAGS,
        ],
        cwd=PROBE,
        env={**project_setup.wrangler_env(), "WRANGLER_REGISTRY_PATH": str(stack.state_dir / "probe-reg")},
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        yield f"http://127.0.0.1:{port}", process
    finally:
        import os
        import signal

        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        process.wait(timeout=10)


def test_pyodide_http_is_a_no_op_inside_workers_and_fetch_works(stack, probe):
    base, process = probe
    target = stack.site_url + "/robots.txt"
    deadline, report = time.time() + 90, None
    while time.time() < deadline and report is None:
        assert process.poll() is None, (stack.state_dir / "probe.log").read_text()[-2000:]
        try:
            with urllib.request.urlopen(f"{base}/?url={target}", timeout=30) as answer:
                report = json.loads(answer.read())
        except OSError:
            time.sleep(0.5)
    assert report is not None, "the probe Worker did not answer"
    print(json.dumps(report, indent=2))
    assert report["xmlHttpRequestAvailable"] is False  # what pyodide-http is built on
    assert report["pyodideHttpWouldPatch"] is False  # so patch_all() is a no-op inside Workers
    assert report["urllibBeforePatching"] == report["urllibAfterPatchAll"]  # it changes nothing
    assert report["workersFetch"]["ok"] is True and "HTTP 200" in report["workersFetch"]["detail"]
