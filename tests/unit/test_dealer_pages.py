"""Every saved page of tests/fixtures/dealer-pages/ extracts to exactly its expected vehicles.

Per page NAME: NAME.html is read with NAME.profile.json (through load_profile), else the built-in
profile NAME.builtin names, else `generic`, against the address in NAME.url; every field of every
vehicle must equal NAME.expected.json, the vehicle count too, and each `warnings_include` substring
must appear in a warning. A failure names the page, the vehicle (index, VIN or stock number) and the field.

A page with NAME.builtin (one line: a built-in profile's name) is read again with that built-in
profile, to the same expected vehicles, and SITE_PROFILE=auto must detect that profile from it: so
every built-in platform profile is tested field by field on pages of its platform.
"""

from pathlib import Path

import pytest

from inventory import safe_json
from inventory.dealer_site.detection import detect_platform
from inventory.dealer_site.extract import Vehicle, extract_page
from inventory.dealer_site.platforms import PLATFORM_PROFILES
from inventory.dealer_site.profiles import get_profile, load_profile

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "dealer-pages"
MIN_PAGES = 16
VEHICLE_FIELDS = tuple(Vehicle().to_dict())  # every field a vehicle has, in its order
PAGES = sorted(path.name[: -len(".html")] for path in CORPUS.glob("*.html"))
BUILTIN_PAGES = sorted(path.name[: -len(".builtin")] for path in CORPUS.glob("*.builtin"))


def builtin_name(name: str) -> str:
    return (CORPUS / f"{name}.builtin").read_text(encoding="utf-8").strip()


def read_page(name: str, profile=None):
    html = (CORPUS / f"{name}.html").read_text(encoding="utf-8")
    url = (CORPUS / f"{name}.url").read_text(encoding="utf-8").strip()
    profile_file = CORPUS / f"{name}.profile.json"
    if profile is None and profile_file.exists():
        profile = load_profile(profile_file)
    elif profile is None:
        profile = get_profile(builtin_name(name) if (CORPUS / f"{name}.builtin").exists() else "generic")
    expected = safe_json.loads((CORPUS / f"{name}.expected.json").read_text(encoding="utf-8"))
    return extract_page(html, url, profile), expected


def label(index: int, vehicle: dict) -> str:
    return f"vehicle {index} ({vehicle.get('vin') or vehicle.get('stock_number')})"


def field_differences(page: str, index: int, want: dict, got: dict) -> list[str]:
    return [
        f"{page}: {label(index, want)} field {name}: expected {want.get(name)!r}, got {got.get(name)!r}"
        for name in VEHICLE_FIELDS
        if want.get(name) != got.get(name)
    ]


def test_the_corpus_has_enough_pages():
    assert len(PAGES) >= MIN_PAGES, f"{CORPUS} holds {len(PAGES)} pages, fewer than {MIN_PAGES}"


def assert_expected_vehicles(page: str, result, expected: dict) -> None:
    got = [vehicle.to_dict() for vehicle in result.vehicles]
    want = expected["vehicles"]
    problems = []
    if len(got) != len(want):
        problems.append(
            f"{page}: expected {len(want)} vehicles, got {len(got)}: "
            f"{[label(i, v) for i, v in enumerate(got)]}"
        )
    for index, (wanted, found) in enumerate(zip(want, got, strict=False)):
        problems += field_differences(page, index, wanted, found)
    texts = [f"{w['reason']} {w['entry']}" for w in result.warnings]
    problems += [
        f"{page}: no warning mentions {text!r}; warnings: {texts}"
        for text in expected.get("warnings_include", [])
        if not any(text in t for t in texts)
    ]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("page", PAGES)
def test_page_extracts_to_its_expected_vehicles(page):
    assert_expected_vehicles(page, *read_page(page))


@pytest.mark.parametrize("page", BUILTIN_PAGES)
def test_builtin_profile_reads_its_platform_page(page):
    assert_expected_vehicles(page, *read_page(page, get_profile(builtin_name(page))))


@pytest.mark.parametrize("page", BUILTIN_PAGES)
def test_auto_detects_the_builtin_profile_of_the_page(page):
    detection = detect_platform((CORPUS / f"{page}.html").read_text(encoding="utf-8"))
    assert detection.profile == builtin_name(page), detection.evidence


def _read_by_auto(name: str) -> bool:
    """A page SITE_PROFILE=auto must read as its expectations say with no profile file: every page
    but those of a detected platform whose expectations rely on their own profile file (the file
    names the stand-in photo hosts of the corpus, which the built-in profiles cannot know)."""
    if not (CORPUS / f"{name}.profile.json").exists():
        return True
    return detect_platform((CORPUS / f"{name}.html").read_text(encoding="utf-8")).fell_back


AUTO_PAGES = [name for name in PAGES if _read_by_auto(name)]
DISCOVERY_PAGES = [name for name in PAGES if name.startswith("discover-")]
NON_INVENTORY_PAGES = [name for name in PAGES if name.startswith("noinv-")]


@pytest.mark.parametrize("page", AUTO_PAGES)
def test_auto_reads_the_page_with_no_profile_file(page):
    html = (CORPUS / f"{page}.html").read_text(encoding="utf-8")
    profile = get_profile(detect_platform(html).profile)  # what SITE_PROFILE=auto reads it with
    url = (CORPUS / f"{page}.url").read_text(encoding="utf-8").strip()
    expected = safe_json.loads((CORPUS / f"{page}.expected.json").read_text(encoding="utf-8"))
    assert_expected_vehicles(page, extract_page(html, url, profile), expected)


def test_the_corpus_holds_discovery_pages_and_pages_without_inventory():
    assert len(DISCOVERY_PAGES) >= 12, DISCOVERY_PAGES
    assert len(NON_INVENTORY_PAGES) >= 8, NON_INVENTORY_PAGES
    for page in NON_INVENTORY_PAGES:
        expected = safe_json.loads((CORPUS / f"{page}.expected.json").read_text(encoding="utf-8"))
        assert expected == {"vehicles": []}, page
    for page in DISCOVERY_PAGES:
        html = (CORPUS / f"{page}.html").read_text(encoding="utf-8")
        assert detect_platform(html).fell_back, f"{page} carries a platform marker"
        assert not (CORPUS / f"{page}.profile.json").exists(), f"{page} must be read with no profile"


@pytest.mark.parametrize("page", DISCOVERY_PAGES)
def test_a_discovery_page_is_read_by_discovery(page):
    result, _ = read_page(page)
    assert result.discovery is not None, f"{page} was read without discovery"


def test_every_platform_profile_has_a_page():
    covered = {builtin_name(page) for page in BUILTIN_PAGES}
    assert set(PLATFORM_PROFILES) | {"generic"} <= covered


def test_a_wrong_value_is_reported_with_page_vehicle_and_field():
    """The comparison names what differs (a test of the test: it can fail)."""
    message = field_differences("p", 2, {"vin": "V1", "price": 100}, {"vin": "V1", "price": 90})
    assert message == ["p: vehicle 2 (V1) field price: expected 100, got 90"]
