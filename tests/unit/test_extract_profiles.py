"""Profile format v2: built-ins, normalisation, and loud refusal of a profile with a mistake."""

import json

import pytest

from inventory.dealer_site.profiles import PROFILES, get_profile, load_profile

CARDS = {
    "kind": "cards",
    "selector": "div.card",
    "fields": {"vin": "@data-vin", "photos": ".photos img@data-src|src"},
}
NO_SPEC = {"selector": None, "attr": [], "regex": None, "type": None, "all": False}


def test_built_in_profiles_are_normalised_v2_with_the_keys_the_scraper_reads():
    for name in [*PROFILES, "jsonld-only"]:
        profile = get_profile(name)
        assert profile["version"] == 2 and profile["sources"]
        assert {"max_pages", "detail_pages", "next_page", "hosts", "detail_sources"} <= set(profile)
    assert get_profile(None) == get_profile("lambert")
    assert get_profile("jsonld-only")["sources"] == [{"kind": "jsonld"}]


def test_get_profile_gives_a_copy_and_names_the_known_ones_when_unknown():
    get_profile("lambert")["sources"].clear()
    assert get_profile("lambert")["sources"]
    with pytest.raises(KeyError, match="unknown site profile 'nope'; known: .*generic.*jsonld-only.*lambert"):
        get_profile("nope")


def test_field_specs_in_their_full_form():
    profile = load_profile(
        {
            "sources": [
                CARDS,
                {
                    "kind": "cards",
                    "selector": ".x",
                    "fields": {
                        "price": {
                            "selector": ".p",
                            "attr": "data-price|content",
                            "regex": r"([\d,]+)",
                            "type": "number",
                        }
                    },
                },
            ],
            "next_page": "a[rel=next]@href",
        }
    )
    fields = profile["sources"][0]["fields"]
    assert fields["vin"] == {**NO_SPEC, "attr": ["data-vin"]}
    assert fields["photos"] == {
        **NO_SPEC,
        "selector": ".photos img",
        "attr": ["data-src", "src"],
        "all": True,
    }
    assert profile["sources"][1]["fields"]["price"]["attr"] == ["data-price", "content"]
    assert profile["next_page"]["selector"] == "a[rel=next]"
    assert profile["detail_sources"] == profile["sources"]


def test_a_profile_file_is_read_and_checked(tmp_path):
    path = tmp_path / "maple.profile.json"
    path.write_text(json.dumps({"name": "maple", "sources": [{"kind": "jsonld"}], "hosts": ["CDN.Example"]}))
    assert load_profile(path)["hosts"] == ["cdn.example"] and load_profile(str(path))["name"] == "maple"
    path.write_text("{not json")
    with pytest.raises(ValueError, match="maple.profile.json: not valid JSON"):
        load_profile(path)


def cards(fields):
    return {"sources": [{"kind": "cards", "selector": ".c", "fields": fields}]}


def script(fields=None, **where):
    return {"sources": [{"kind": "script_json", **where, "fields": fields or {"vin": "v"}}]}


@pytest.mark.parametrize(
    "profile, problem",
    [
        ({"sources": [{"kind": "microdata"}]}, "unknown source kind 'microdata'"),
        (cards({"colour": ".c"}), "unknown field 'colour'"),
        (cards({"price": {"selector": ".p", "regex": "([0-9"}}), "bad regex"),
        (cards({"price": {"regex": "(a)(b)"}}), "2 groups"),
        (script(selector="script#x", vehicles="items["), "bad JMESPath 'items\\['"),
        (script(selector="script#x", fields={"vin": "a..b"}), "bad JMESPath"),
        (script(), 'a selector, an assignment, a push or "flight": true'),
        (script(assignment="window."), "assignment name"),
        ({"sources": [{"kind": "cards", "selector": "div[", "fields": {"vin": "@v"}}]}, "bad CSS selector"),
        (
            {
                "sources": [
                    {"kind": "cards", "selector": ".c", "fields": {"vin": {"selector": ".v", "kind": "x"}}}
                ]
            },
            "unknown key 'kind'",
        ),
        (
            {"sources": [{"kind": "cards", "selector": ".c", "fields": {"year": {"type": "integer"}}}]},
            "unknown type 'integer'",
        ),
        ({"sources": [{"kind": "jsonld", "selector": "x"}]}, "unknown key 'selector'"),
        ({"sources": []}, "non-empty list"),
        ({"source": [{"kind": "jsonld"}]}, "unknown key 'source'"),
        ({"detail_pages": "sometimes"}, "detail_pages must be one of"),
        ({"max_pages": 0}, "max_pages"),
        ({"placeholders": ["(unclosed"]}, "placeholders\\[1\\]: bad regex"),
        ({"full_size": [{"host": "cdn.example", "drop": ["w"]}]}, "unknown key 'drop'"),
        ({"version": 3}, "version must be 2"),
    ],
)
def test_a_profile_with_a_mistake_fails_loudly_naming_it(profile, problem):
    with pytest.raises(ValueError, match=problem):
        load_profile(profile)


def test_the_error_says_which_source_and_field():
    bad = {"sources": [{"kind": "jsonld"}, cards({"price": {"regex": "("}})["sources"][0]]}
    with pytest.raises(ValueError, match=r"sources\[2\] \(cards\) field 'price': bad regex"):
        load_profile(bad)


def test_a_first_format_profile_is_converted():
    old = {
        "jsonld": True,
        "next_page": "a[rel=next]@href",
        "card": {"selector": "div.car", "vin": "@data-vin"},
        "detail_pages": "if_no_photos",
        "detail_photos": ".gallery img@data-src",
    }
    profile = load_profile(old)
    assert [s["kind"] for s in profile["sources"]] == ["jsonld", "cards"]
    assert profile["sources"][1]["selector"] == "div.car"
    assert profile["detail_sources"][1] == {
        "kind": "cards",
        "selector": None,
        "fields": {
            "photos": {
                "selector": ".gallery img",
                "attr": ["data-src"],
                "regex": None,
                "type": None,
                "all": True,
            }
        },
    }


def test_a_script_json_attribute_needs_a_selector():
    fields = {"vin": "vin"}
    source = {"kind": "script_json", "assignment": "window.x", "attribute": "data-vehicle", "fields": fields}
    with pytest.raises(ValueError, match="attribute names the attribute"):
        load_profile({"sources": [source]})
    good = {"kind": "script_json", "selector": "[data-vehicle]", "attribute": "data-vehicle"}
    good["fields"] = fields
    assert load_profile({"sources": [good]})["sources"][0]["attribute"] == "data-vehicle"
