"""The foundation: both Workers are real Python Workers under workerd, with their bindings."""

import json
import subprocess
import urllib.error
import urllib.request

import pytest

from scripts import setup as project_setup
from tests.settings import ROOT


@pytest.mark.parametrize(
    "worker, service, bindings",
    [
        ("scraper_url", "lambert-scraper", {"DB": True, "IMAGE_PROCESSOR": True}),
        ("processor_url", "image-processor", {"DB": True, "IMAGES": True, "IMAGE_JOBS": True}),
    ],
)
def test_health_reports_python_314_under_workerd(stack, api, worker, service, bindings):
    status, body = api.call("GET", getattr(stack, worker) + "/", token=None)
    assert status == 200
    assert body["service"] == service
    assert body["runtime"]["platform"] == "emscripten"  # Pyodide inside workerd, not CPython
    assert body["runtime"]["python"].startswith("3.14.")
    assert body["bindings"] == bindings
    assert all(value is True for value in body["secrets"].values())  # present, as booleans only
    for secret in stack.secrets.values():
        assert secret not in str(body)


@pytest.mark.parametrize("url_attr", ["scraper_url", "processor_url"])
def test_unknown_paths_and_wrong_methods_answer_json(stack, api, url_attr):
    base = getattr(stack, url_attr)
    status, body = api.call("GET", base + "/nope", token=None)
    assert status == 404 and body["success"] is False and "/nope" in body["error"]
    status, body = api.call("DELETE", base + "/", token=None)
    assert status == 405 and "GET" in body["error"]


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
@pytest.mark.parametrize("path", ["/admin", "/admin.js", "/admin.css"])
def test_a_wrong_method_on_a_static_asset_is_our_json_405_with_allow(stack, path, method):
    """Issue 23: the asset server's own answers are not JSON; every request reaches the Worker first."""
    request = urllib.request.Request(stack.processor_url + path, data=b"{}", method=method)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=30)
    answer = refused.value
    assert answer.code == 405 and answer.headers["allow"] == "GET, HEAD", answer.headers
    assert answer.headers["content-type"].startswith("application/json")
    body = json.loads(answer.read())
    assert body == {
        "success": False,
        "error": f"method {method} not allowed here; use GET or HEAD",
        "allow": ["GET", "HEAD"],
    }


def test_the_panel_is_still_served_as_static_assets(stack, api):
    with urllib.request.urlopen(stack.processor_url + "/admin", timeout=30) as page:
        assert page.status == 200 and page.headers["content-type"].startswith("text/html")
        assert b"admin.js" in page.read()
    with urllib.request.urlopen(stack.processor_url + "/admin.js", timeout=30) as script:
        assert script.status == 200 and "javascript" in script.headers["content-type"]
    head = urllib.request.Request(stack.processor_url + "/admin.css", method="HEAD")
    with urllib.request.urlopen(head, timeout=30) as sheet:
        assert sheet.status == 200 and sheet.headers["content-type"].startswith("text/css")
    status, body = api.call("POST", stack.processor_url + "/nope", token=None)
    assert status == 404 and body["error"] == "no such endpoint: /nope"  # no asset there either
    status, body = api.call("DELETE", stack.processor_url + "/api/image-status", token=None)
    assert status == 405 and body["allow"] == ["GET"]


@pytest.mark.parametrize("config", ["wrangler-scraper.toml", "wrangler-image-processor.toml"])
def test_committed_configs_deploy_dry_run_offline(tmp_path, config):
    done = subprocess.run(
        [
            str(ROOT / "node_modules" / ".bin" / "wrangler"),
            "deploy",
            "--dry-run",
            "--outdir",
            str(tmp_path),
            "-c",
            config,
        ],
        cwd=ROOT,
        env=project_setup.wrangler_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "--dry-run: exiting now." in done.stdout
    # Python modules of the project went into the upload, next to the vendored packages.
    assert "inventory/processing.py" in done.stdout or "inventory/" in done.stdout


def test_health_lists_the_settings_to_fix_and_each_worker_logs_them_once(stack, api):
    """The test stack runs the processor at 1,000 API requests a minute and 15 s claims (to upload
    thousands of images quickly): both are out of range for production, and GET / says so."""
    status, body = api.call("GET", stack.processor_url + "/", token=None)
    problems = body["config"]["problems"]
    assert status == 200 and any(p.startswith("IMAGES_API_REQUESTS_PER_MINUTE") for p in problems), problems
    assert any(p.startswith("CLAIM_TTL_S") for p in problems), problems
    assert api.call("GET", stack.scraper_url + "/", token=None)[1]["config"]["problems"] == []
    log = stack.workers["processor"].log_text()  # once per start, not once per request
    assert 1 <= log.count("settings to fix") <= log.count("Ready on"), log[-2000:]
