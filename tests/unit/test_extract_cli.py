"""The profile-adapting command, as a newcomer runs it: a saved page and a live URL."""
import json
import subprocess
import sys
import urllib.request

from tests.conftest import ROOT


def run_cli(*args):
    done = subprocess.run([sys.executable, "-m", "inventory.extract_cli", *args], capture_output=True, text=True,
                          cwd=ROOT, env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PYTHONDONTWRITEBYTECODE": "1"},
                          timeout=60)
    return done.returncode, done.stdout, done.stderr


def test_a_saved_page_prints_vehicles_and_skipped_entries_with_reasons(site, tmp_path):
    page = tmp_path / "page1.html"
    page.write_bytes(urllib.request.urlopen(site.site_url + "/inventory").read())
    code, out, err = run_cli(str(page), "--base-url", site.site_url + "/inventory")
    assert code == 0, err
    result = json.loads(out)
    assert result["counts"]["vehicles"] == 24 and result["skipped"] == [
        {"reason": "no VIN or stock number", "entry": "(no name)"}]
    assert result["nextPage"] == site.site_url + "/inventory?page=2"


def test_a_url_with_all_pages_and_another_profile(site):
    code, out, err = run_cli(site.site_url + "/inventory", "--all-pages", "--profile", "jsonld-only")
    assert code == 0, err
    assert json.loads(out)["counts"] == {"vehicles": 150, "skipped": 1, "invalidVins": 2}


def test_an_unknown_profile_is_a_clear_error(site):
    code, out, err = run_cli(site.site_url + "/inventory", "--profile", "nope")
    assert code == 2 and "unknown site profile" in err
