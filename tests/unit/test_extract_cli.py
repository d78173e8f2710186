"""The profile-adapting command, as a newcomer runs it: a saved page and a live URL."""

import json
import subprocess
import sys
import urllib.request

from tests.settings import ROOT


def run_cli(*args):
    done = subprocess.run(
        [sys.executable, "-m", "inventory.dealer_site.extract_cli", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PYTHONPATH": f"{ROOT / 'src'}:{ROOT}", "PYTHONDONTWRITEBYTECODE": "1"},
        timeout=60,
    )
    return done.returncode, done.stdout, done.stderr


def test_a_saved_page_prints_vehicles_and_skipped_entries_with_reasons(site, tmp_path):
    page = tmp_path / "page1.html"
    page.write_bytes(urllib.request.urlopen(site.site_url + "/inventory").read())
    code, out, err = run_cli(str(page), "--base-url", site.site_url + "/inventory")
    assert code == 0, err
    result = json.loads(out)
    assert result["counts"]["vehicles"] == 24 and result["skipped"] == [
        {"reason": "no VIN or stock number", "entry": "(no name)"}
    ]
    assert result["nextPage"] == site.site_url + "/inventory?page=2"


def test_a_url_with_all_pages_and_another_profile(site):
    code, out, err = run_cli(site.site_url + "/inventory", "--all-pages", "--profile", "jsonld-only")
    assert code == 0, err
    assert json.loads(out)["counts"] == {"vehicles": 150, "skipped": 1, "invalidVins": 2}


def test_an_unknown_profile_is_a_clear_error(site):
    code, out, err = run_cli(site.site_url + "/inventory", "--profile", "nope")
    assert code == 2 and "unknown site profile" in err


CARD_PAGE = (
    '<div class="car" data-vin="1HGCM82633A004352"><h2>2003 Honda Accord EX</h2>'
    '<img data-src="/p/1.jpg?w=300"><img data-src="/p/1.jpg"><img data-src="/p/no-photo.png"></div>'
)
CARD_PROFILE = {
    "name": "cards-demo",
    "sources": [
        {
            "kind": "cards",
            "selector": "div.car",
            "fields": {"vin": "@data-vin", "title": "h2", "photos": "img@data-src"},
        }
    ],
}


def saved_folder(tmp_path):
    (tmp_path / "cards.html").write_text(CARD_PAGE)
    (tmp_path / "cards.url").write_text("https://maple.example/used/\n")
    (tmp_path / "cards.profile.json").write_text(json.dumps(CARD_PROFILE))
    (tmp_path / "ld.html").write_text(
        '<script type="application/ld+json">{"@type": "Car", "sku": "S1", '
        '"name": "2019 Kia Soul", "url": "v/1"}</script>'
    )
    return tmp_path


def test_a_folder_prints_one_result_per_page_each_with_its_own_profile_and_url(tmp_path):
    code, out, err = run_cli(str(saved_folder(tmp_path)), "--explain")
    assert code == 0, err
    cards, ld = json.loads(out)["pages"]
    assert (cards["page"], cards["profile"], cards["url"]) == (
        "cards.html",
        "cards.profile.json",
        "https://maple.example/used/",
    )
    assert cards["vehicles"][0]["photos"] == ["https://maple.example/p/1.jpg"]
    assert (ld["profile"], ld["vehicles"][0]["detail_url"]) == ("generic", "https://dealer.example/v/1")
    explain = cards["explain"]
    assert explain["fieldSources"]["vin"] == {"1:cards": 1} and explain["fieldSources"]["model"] == {
        "title (1:cards)": 1
    }
    assert explain["missing"]["price"] == 1 and explain["missing"]["vin"] == 0
    assert explain["vehicles"][0]["droppedPhotos"] == [
        {"url": "https://maple.example/p/1.jpg?w=300", "reason": "smaller size of photo 1"},
        {"url": "https://maple.example/p/no-photo.png", "reason": "placeholder"},
    ]


def test_a_profile_option_applies_to_every_page_of_the_folder(tmp_path):
    code, out, err = run_cli(str(saved_folder(tmp_path)), "--profile", "generic")
    assert code == 0, err
    pages = json.loads(out)["pages"]
    assert [p["profile"] for p in pages] == ["generic", "generic"] and pages[0]["vehicles"] == []
    assert "explain" not in pages[0]


def test_a_profile_file_with_a_mistake_is_refused_naming_it(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"sources": [{"kind": "cards", "selector": ".c", "fields": {"colour": ".x"}}]}))
    code, out, err = run_cli(str(saved_folder(tmp_path)), "--profile-file", str(bad))
    assert code == 2 and "unknown field 'colour'" in err and out == ""
