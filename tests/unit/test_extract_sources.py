"""The three source kinds, the merge rule and the field rules, on small hand-written pages."""

import json

import pytest

from inventory.dealer_site.extract import extract_detail, extract_page, photos_from_detail
from inventory.dealer_site.profiles import get_profile, load_profile

PAGE = "https://dealer.example/inventory/"
ACCORD = "1HGCM82633A004352"  # a valid VIN: Honda, model year 2003
CIVIC = "2HGFC2F59GH100001"  # another one; check digit computed below where needed


def jsonld(*nodes) -> str:
    return "".join(f'<script type="application/ld+json">{json.dumps(node)}</script>' for node in nodes)


def profile(*sources, **extra):
    return load_profile({"sources": list(sources), **extra})


def test_a_car_and_a_product_with_the_same_url_are_one_vehicle():
    car = {
        "@type": "Car",
        "vehicleIdentificationNumber": ACCORD,
        "url": "/v/1",
        "name": "2003 Honda Accord EX",
        "image": "https://cdn.example/hero.jpg?w=640",
    }
    product = {
        "@graph": [
            {
                "@type": "Product",
                "sku": "S1",
                "url": "https://dealer.example/v/1",
                "offers": {"@type": "Offer", "price": "8995"},
                "image": [f"https://cdn.example/{n}.jpg" for n in ("hero", "2", "3")],
            }
        ]
    }
    page = extract_page(jsonld(car, product), PAGE, get_profile("generic"))
    (vehicle,) = page.vehicles
    assert (vehicle.vin, vehicle.stock_number, vehicle.price) == (ACCORD, "S1", 8995)
    assert vehicle.photos == [f"https://cdn.example/{n}.jpg" for n in ("hero", "2", "3")]
    assert vehicle.detail_url == "https://dealer.example/v/1"


def test_a_product_with_year_and_trim_only_in_additional_property():
    product = {
        "@type": "Product",
        "name": "Honda Accord",
        "brand": {"@type": "Brand", "name": "Honda"},
        "model": "Accord",
        "sku": "S2",
        "offers": [{"price": 7995}],
        "additionalProperty": [
            {"@type": "PropertyValue", "name": "Model Year", "value": 2003},
            {"name": "Trim", "value": "EX-L"},
            {"name": "VIN", "value": ACCORD},
            {"name": "Mileage", "value": {"@type": "QuantitativeValue", "value": 98000}},
        ],
    }
    (vehicle,) = extract_page(jsonld(product), PAGE, get_profile("generic")).vehicles
    assert (vehicle.year, vehicle.trim, vehicle.vin, vehicle.mileage) == (2003, "EX-L", ACCORD, 98000)


def test_item_lists_offers_and_a_malformed_block():
    listing = {
        "@type": "ItemList",
        "itemListElement": [
            {
                "@type": "ListItem",
                "position": 1,
                "url": "../v/7",
                "item": {"@type": "Car", "sku": "S7", "name": "2019 Kia Soul"},
            },
            {
                "@type": "ListItem",
                "position": 2,
                "item": {
                    "@type": "Offer",
                    "price": "12,500",
                    "itemOffered": {"@type": "Vehicle", "sku": "S8", "name": "2018 Kia Rio LX"},
                },
            },
        ],
    }
    html = jsonld(listing) + '<script type="application/ld+json">{"@type": "Car", broken</script>'
    page = extract_page(html, "https://dealer.example/used/list", get_profile("generic"))
    assert [(v.stock_number, v.model, v.detail_url, v.price) for v in page.vehicles] == [
        ("S7", "Soul", "https://dealer.example/v/7", None),
        ("S8", "Rio", None, 12500),
    ]
    assert len(page.skipped) == 1 and "does not parse" in page.skipped[0]["reason"]


def test_payments_in_offers_are_not_the_price():
    car = {
        "@type": "Car",
        "sku": "S9",
        "name": "2020 Ford Escape SE",
        "offers": [
            {
                "@type": "Offer",
                "price": 389,
                "priceSpecification": {
                    "@type": "UnitPriceSpecification",
                    "referenceQuantity": {"unitCode": "MON"},
                },
            },
            {"@type": "Offer", "priceSpecification": {"@type": "PriceSpecification", "price": "21,995"}},
        ],
    }
    (vehicle,) = extract_page(jsonld(car), PAGE, get_profile("generic")).vehicles
    assert vehicle.price == 21995
    lease_only = dict(car, offers={"@type": "Offer", "price": 299, "name": "Lease special"})
    page = extract_page(jsonld(lease_only), PAGE, get_profile("generic"))
    assert page.vehicles[0].price is None and "payment" in page.warnings[0]["reason"]


def test_structured_card_values_win_over_the_title():
    html = (
        '<div class="card" data-stock="J1" data-make="Jeep" data-model="Wrangler Unlimited" '
        'data-trim="Sport S"><h3>2021 Jeep Wrangler Unlimited Sport S</h3></div>'
        '<div class="card" data-stock="J2"><h3>2020 Land Rover Range Rover Sport HSE</h3></div>'
    )
    cards = {
        "kind": "cards",
        "selector": "div.card",
        "fields": {
            "stock_number": "@data-stock",
            "make": "@data-make",
            "model": "@data-model",
            "trim": "@data-trim",
            "title": "h3",
        },
    }
    page = extract_page(html, PAGE, profile(cards))
    assert [(v.year, v.make, v.model, v.trim) for v in page.vehicles] == [
        (2021, "Jeep", "Wrangler Unlimited", "Sport S"),
        (2020, "Land Rover", "Range Rover Sport", "HSE"),
    ]
    sources = page.reports[0].sources
    assert sources["model"] == "1:cards" and sources["year"] == "title (1:cards)"


def test_first_non_empty_value_in_source_order_and_photos_from_every_source():
    html = (
        jsonld(
            {
                "@type": "Car",
                "sku": "A1",
                "name": "2019 Mazda CX-5",
                "offers": {"price": "Call for price"},
                "image": ["https://c.example/1.jpg?w=300"],
            }
        )
        + '<div class="car" data-stock="A1" data-price="$23,500" data-model="CX-9">'
        '<img data-src="https://c.example/1.jpg"><img data-src="https://c.example/2.jpg"></div>'
    )
    cards = {
        "kind": "cards",
        "selector": ".car",
        "fields": {
            "stock_number": "@data-stock",
            "price": "@data-price",
            "model": "@data-model",
            "photos": "img@data-src",
        },
    }
    page = extract_page(html, PAGE, profile({"kind": "jsonld"}, cards))
    (vehicle,) = page.vehicles
    assert vehicle.price == 23500  # JSON-LD first, but its price was no price
    assert vehicle.model == "CX-9"  # a structured value beats the JSON-LD's title
    assert vehicle.photos == ["https://c.example/1.jpg", "https://c.example/2.jpg"]
    assert page.reports[0].sources["price"] == "2:cards"


def test_cards_with_different_vins_and_the_same_link_stay_apart():
    html = "".join(
        f'<div class="c" data-vin="{vin}" data-stock="{stock}"><a href="/same">2003 Honda Accord</a></div>'
        for vin, stock in ((ACCORD, "S1"), ("JM3KFBCM1K0123456", "S2"))
    )
    cards = {
        "kind": "cards",
        "selector": ".c",
        "fields": {"vin": "@data-vin", "stock_number": "@data-stock", "detail_url": "a@href", "title": "a"},
    }
    assert len(extract_page(html, PAGE, profile(cards)).vehicles) == 2


def test_look_alike_vins_do_not_make_a_second_vehicle():
    car = jsonld(
        {"@type": "Car", "vehicleIdentificationNumber": ACCORD, "sku": "S1", "name": "2003 Honda Accord"}
    )
    cards = {"kind": "cards", "selector": ".c", "fields": {"vin": "@data-vin"}}
    for spelled in ("１HGCM82633A004352", ACCORD + "\u200b", "1HGCM82633\u0410004352"):
        html = car + f'<div class="c" data-vin="{spelled}"></div>'
        page = extract_page(html, PAGE, profile({"kind": "jsonld"}, cards))
        assert [v.vin for v in page.vehicles] == [ACCORD], spelled
        assert page.vehicles[0].vin_valid and len(page.warnings) == 1, page.warnings
    assert "not ASCII" in page.warnings[0]["reason"]


def test_a_vin_with_a_look_alike_letter_alone_is_kept_invalid_and_reported():
    html = jsonld(
        {"@type": "Car", "vehicleIdentificationNumber": "1HGCM82633\u0410004352", "name": "2003 Honda Accord"}
    )
    page = extract_page(html, PAGE, get_profile("generic"))
    (vehicle,) = page.vehicles
    assert not vehicle.vin_valid and vehicle.key == f"vin:{ACCORD}"
    assert "not ASCII" in page.warnings[0]["reason"]


def test_the_vin_fills_a_missing_year_and_make_and_a_disagreement_is_a_warning():
    html = jsonld(
        {"@type": "Car", "vehicleIdentificationNumber": ACCORD, "model": "Accord"},
        {
            "@type": "Car",
            "vehicleIdentificationNumber": "5YJ3E1EB9NF184233",
            "model": "Model 3",
            "vehicleModelDate": "2021",
            "brand": "Tesla",
        },
    )
    page = extract_page(html, PAGE, get_profile("generic"))
    assert [(v.year, v.make) for v in page.vehicles] == [(2003, "Honda"), (2021, "Tesla")]
    assert page.reports[0].sources["make"] == "VIN"
    (warning,) = page.warnings
    assert "5YJ3E1EB9NF184233" in warning["reason"] and "2022" in warning["reason"]


def test_script_json_by_assignment_cut_out_of_a_longer_script():
    state = {
        "inventory": {
            "items": [
                {
                    "vin": ACCORD,
                    "stock": "S1",
                    "title": "2003 Honda Accord EX",
                    "note": 'a } and a " ;',
                    "media": {
                        "photos": [{"url": "https://c.example/1.jpg"}, {"url": "https://c.example/2.jpg"}]
                    },
                }
            ]
        }
    }
    text = json.dumps(state).replace("/", "\\u002F").replace("a }", "a \\-}")
    html = f'<script>var x = 1;window.__INITIAL_STATE__ = {text};window.__NEXT__ = {{"other": [1]}};</script>'
    source = {
        "kind": "script_json",
        "assignment": "window.__INITIAL_STATE__",
        "vehicles": "inventory.items",
        "fields": {"vin": "vin", "stock_number": "stock", "title": "title", "photos": "media.photos[*].url"},
    }
    (vehicle,) = extract_page(html, PAGE, profile(source)).vehicles
    assert (vehicle.vin, vehicle.model, vehicle.trim) == (ACCORD, "Accord", "EX")
    assert vehicle.photos == ["https://c.example/1.jpg", "https://c.example/2.jpg"]


def test_script_json_in_a_json_encoded_string_and_other_spellings_of_the_name():
    data = json.dumps([{"vin": ACCORD, "year": "2003", "make": {"name": "Honda"}, "model": "Accord"}])
    html = f"<script>DDC.dataLayer[\"vehicles\"] = {json.dumps(data)}; DDC.dataLayer['page'] = {{}};</script>"
    source = {
        "kind": "script_json",
        "assignment": "DDC.dataLayer['vehicles']",
        "vehicles": "@",
        "fields": {
            "vin": "vin",
            "year": {"path": "year", "type": "int"},
            "make": "make.name",
            "model": "model",
        },
    }
    (vehicle,) = extract_page(html, PAGE, profile(source)).vehicles
    assert (vehicle.year, vehicle.make, vehicle.model) == (2003, "Honda", "Accord")


def test_script_json_by_selector_with_a_regex_field():
    results = [{"id": "S5", "label": "2019 Kia Soul +", "km": "12,000 km"}]
    data = {"props": {"pageProps": {"results": results}}}
    html = f'<script id="__NEXT_DATA__" type="application/json">{json.dumps(data)}</script>'
    source = {
        "kind": "script_json",
        "selector": "script#__NEXT_DATA__",
        "vehicles": "props.pageProps.results",
        "fields": {
            "stock_number": "id",
            "title": "label",
            "mileage": {"path": "km", "regex": r"([\d,]+) km", "type": "int"},
        },
    }
    (vehicle,) = extract_page(html, PAGE, profile(source)).vehicles
    assert (vehicle.stock_number, vehicle.model, vehicle.mileage) == ("S5", "Soul", 12000)


def test_script_json_from_the_rows_of_a_next_js_app_router_payload():
    props = {"inventory": [{"stockNo": "A1", "name": "2020 Mazda CX-5 Touring"}, {"stockNo": "A2"}]}
    row = "3:" + json.dumps(["$", "$L4", None, props])
    payload = f'1:HL["/app.css"]\n{row}\n4:I["chunk",[]]\n'
    half = len(payload) // 2  # a row may be split between two pushes
    html = "".join(
        f"<script>self.__next_f.push([1,{json.dumps(part)}])</script>"
        for part in (payload[:half], payload[half:])
    )
    source = {
        "kind": "script_json",
        "flight": True,
        "vehicles": "[].inventory[]",
        "fields": {"stock_number": "stockNo", "title": "name"},
    }
    vehicles = extract_page(html, PAGE, profile(source)).vehicles
    assert [(v.stock_number, v.model) for v in vehicles] == [("A1", "CX-5")]  # A2 has no year, make or model


def test_script_json_written_as_a_javascript_object_literal():
    state = '{layout:"default",data:[{cars:[{vin:"1HGCM82633A004352",note:"a:b",x:undefined,},]}]}'
    html = f"<script>window.__NUXT__={state}</script>"
    source = {
        "kind": "script_json",
        "assignment": "window.__NUXT__",
        "vehicles": "data[].cars[]",
        "fields": {"vin": "vin", "title": "note"},
    }
    assert [v.vin for v in extract_page(html, PAGE, profile(source)).vehicles] == ["1HGCM82633A004352"]


def test_script_json_from_what_scripts_push_onto_an_analytics_layer():
    pushed = {"event": "srp", "vehicles": [{"vin": "1HGCM82633A004352", "stock": "H1"}]}
    html = (
        f"<script>window.dataLayer = window.dataLayer || []; dataLayer.push({json.dumps(pushed)});</script>"
    )
    source = {
        "kind": "script_json",
        "push": "dataLayer",
        "vehicles": "vehicles",
        "fields": {"vin": "vin", "stock_number": "stock"},
    }
    assert [v.stock_number for v in extract_page(html, PAGE, profile(source)).vehicles] == ["H1"]


def test_script_json_that_is_not_there_or_does_not_parse_is_reported():
    source = {"kind": "script_json", "assignment": "window.__STATE__", "fields": {"vin": "vin"}}
    page = extract_page("<script>window.__STATE__ = {oops: (1};</script>", PAGE, profile(source))
    assert page.vehicles == [] and "does not parse" in page.skipped[0]["reason"]
    page = extract_page("<p>nothing</p>", PAGE, profile(source))
    assert "no script holds" in page.warnings[0]["reason"]


def test_card_field_specs_attributes_srcset_regex_and_types():
    html = (
        '<div class="v" data-id="S1" data-special="true"><a class="t" href="/d/1">2019 Kia Soul</a>'
        '<span class="km">Odometer: 41,230 mi</span><span class="vin">VIN: KNDJN2A2XK7000001</span>'
        '<img src="data:image/gif;base64,AAAA" data-srcset="/p/1-300.jpg 300w, /p/1-1280.jpg 1280w">'
        '<img data-lazy-src="/p/2.jpg" src="/p/spacer.gif"></div>'
    )
    cards = {
        "kind": "cards",
        "selector": "div.v",
        "fields": {
            "stock_number": "@data-id",
            "featured": {"attr": "data-special", "type": "bool"},
            "title": "a.t",
            "detail_url": "a.t@href",
            "mileage": {"selector": ".km", "regex": r"([\d,]+) mi", "type": "int"},
            "vin": {"selector": ".vin", "regex": r"VIN:\s*(\w{17})"},
            "photos": "img@data-srcset|data-lazy-src|src",
        },
    }
    (vehicle,) = extract_page(html, PAGE, profile(cards)).vehicles
    assert (vehicle.stock_number, vehicle.featured, vehicle.mileage) == ("S1", True, 41230)
    assert vehicle.vin == "KNDJN2A2XK7000001" and vehicle.detail_url == "https://dealer.example/d/1"
    assert vehicle.photos == ["https://dealer.example/p/1-1280.jpg", "https://dealer.example/p/2.jpg"]


def test_a_card_inside_a_card_is_not_a_second_vehicle():
    html = (
        '<div class="v" data-stock="S1"><b>2019 Kia Soul</b><div class="v" data-stock="S1">inner</div></div>'
    )
    cards = {"kind": "cards", "selector": ".v", "fields": {"stock_number": "@data-stock", "title": "b"}}
    page = extract_page(html, PAGE, profile(cards))
    assert len(page.vehicles) == 1 and page.skipped == []


def test_a_detail_page_gallery_adds_to_a_hero_only_json_ld():
    html = (
        jsonld(
            {
                "@type": "Car",
                "vehicleIdentificationNumber": ACCORD,
                "name": "2003 Honda Accord",
                "url": "https://dealer.example/v/1",
                "image": "https://c.example/2.jpg?w=640",
            }
        )
        + '<div class="gallery">'
        + "".join(f'<img data-src="https://c.example/{n}.jpg?w=1920">' for n in (1, 2, 3))
        + "</div>"
    )
    lambert = get_profile("lambert")
    detail = extract_detail(html, "https://dealer.example/v/1", lambert)
    assert detail.vehicle.photos == [
        "https://c.example/2.jpg?w=1920",
        "https://c.example/1.jpg?w=1920",
        "https://c.example/3.jpg?w=1920",
    ]
    assert photos_from_detail(html, "https://dealer.example/v/1", lambert) == detail.vehicle.photos
    assert photos_from_detail("<p>gone</p>", "https://dealer.example/v/1", lambert) == []


def test_next_page_and_a_page_wide_card():
    html = (
        f'<link rel="next" href="?page=2"><div id="vdp" data-vin="{ACCORD}"><h1>2003 Honda Accord</h1>'
        '<ul class="g"><li><img src="/a.jpg"></li></ul></div>'
    )
    whole_page = {"kind": "cards", "fields": {"vin": "#vdp@data-vin", "title": "h1", "photos": ".g img@src"}}
    page = extract_page(
        html, "https://dealer.example/used?page=1", profile(whole_page, next_page="link[rel=next]@href")
    )
    assert page.next_url == "https://dealer.example/used?page=2"
    assert [(v.vin, v.photos) for v in page.vehicles] == [(ACCORD, ["https://dealer.example/a.jpg"])]
    generic = extract_page(html, PAGE, get_profile("generic"))
    assert generic.next_url == "https://dealer.example/inventory/?page=2"


def test_the_same_detail_url_written_differently_is_the_same_vehicle():
    car = {"@type": "Car", "vehicleIdentificationNumber": ACCORD, "url": "https://Dealer.example/v/1/"}
    product = {
        "@type": "Product",
        "sku": "S1",
        "url": "https://dealer.example/v/1#offer",
        "name": "2003 Honda Accord",
    }
    (vehicle,) = extract_page(jsonld(car, product), PAGE, get_profile("generic")).vehicles
    assert (vehicle.vin, vehicle.stock_number, vehicle.model) == (ACCORD, "S1", "Accord")


def test_a_function_that_returns_the_state_gives_it_with_its_arguments_in_place():
    # Nuxt 2: window.__NUXT__=(function(a,b,...){return {...}}(args)), repeated values as parameters
    from inventory.dealer_site.extraction.script_json import cut_value, parse_json_value

    def state(code: str):
        value = cut_value(code, code.index("=") + 1)
        return None if value is None else parse_json_value(value)

    called_inside = 'x=(function(a,b,c){return {make:a,list:[b,a],n:c,s:"a, b",o:{a:1}}}("Kia",2,void 0))'
    assert state(called_inside) == {"make": "Kia", "list": [2, "Kia"], "n": None, "s": "a, b", "o": {"a": 1}}
    called_after = 'x=(function(a,b){a.self=a;return {v:[{vin:a,p:b}]}})("KM8J33A4XGU000000", {q:")"})'
    assert state(called_after) == {"v": [{"vin": "KM8J33A4XGU000000", "p": {"q": ")"}}]}
    assert state("x=(function(a){return {n:a}}())") == {"n": None}  # a parameter without an argument
    assert state("x=(function(a){doSomething(a)}(1))") is None  # returns no object
    assert state("x=(function(a){return {n:a}}") is None  # never called


STRUCK = "text-decoration: line-through"


@pytest.mark.parametrize(
    "prices, asked",
    [
        ('<span class="price strike">$24,995</span><span class="price">$23,495</span>', 23495),
        ('<span class="price"><del>$24,995</del></span><span class="price">$23,495</span>', 23495),
        (
            '<p class="row--retail"><span class="price">$24,995</span></p><span class="price">$23,495</span>',
            23495,
        ),
        (f'<span class="price" style="{STRUCK}">$9</span><span class="price">$8</span>', 8),
        ('<span class="price price--msrp">$31,000</span>', 31000),  # the only price, list price or not
        ('<ul class="list-unstyled"><li class="price">$17,900</li></ul>', 17900),
    ],
)
def test_a_struck_through_price_is_never_the_asked_one(prices, asked):
    html = f'<div class="card" data-vin="1HGCV1F35MA000101"><h2>2021 Honda Accord</h2>{prices}</div>'
    profile = load_profile({"sources": [{"kind": "cards", "selector": "div.card", "fields": {
        "vin": "@data-vin", "title": "h2", "price": ".price"}}]})  # fmt: skip
    assert extract_page(html, "https://d.example/", profile).vehicles[0].price == asked


def test_nuxt3_flattened_payload_is_read_as_the_value_it_stands_for():
    from inventory.dealer_site.extraction.devalue import is_flattened, unflatten
    from inventory.dealer_site.extraction.script_json import parse_json_value

    payload = [
        ["ShallowReactive", 1],
        {"data": 2, "once": 9, "when": 11, "gone": -1},
        ["Reactive", 3],
        {"vehicles": 4, "tags": 10},
        [5, 8],
        {"vin": 6, "make": 7},
        "1HGCV1F35MA000101",
        "Honda",
        {"vin": 6, "make": 7},  # the same values written once
        ["Set", 7],
        ["Map", 7, 6],
        ["Date", "2026-12-07T00:00:00Z"],
    ]
    assert is_flattened(payload) and not is_flattened([{"vin": "X", "year": 2020}, {"vin": "Y"}])
    vehicle = {"vin": "1HGCV1F35MA000101", "make": "Honda"}
    assert parse_json_value(json.dumps(payload)) == {
        "data": {"vehicles": [vehicle, vehicle], "tags": {"Honda": "1HGCV1F35MA000101"}},
        "once": ["Honda"],
        "when": "2026-12-07T00:00:00Z",
        "gone": None,
    }
    assert unflatten([{"self": 0}, "x"]) is None  # a cycle never ends: given up, not looped on


def test_astro_island_props_are_read_as_the_component_gets_them():
    from inventory.dealer_site.extraction.astro_props import is_astro_props
    from inventory.dealer_site.extraction.script_json import parse_json_value

    props = {
        "cars": [1, [[0, {"vin": [0, "1HGCV1F35MA000101"], "price": [0, {"amount": [0, 28900]}],
                          "photos": [1, [[0, "https://c.example/1.jpg"]]], "gone": [0]}]]],
        "tags": [5, [[0, "used"]]],
        "seen": [3, "2026-12-07T00:00:00.000Z"],
        "specs": [4, [[1, [[0, "doors"], [0, 4]]]]],
    }  # fmt: skip
    assert parse_json_value(json.dumps(props)) == {
        "cars": [{"vin": "1HGCV1F35MA000101", "price": {"amount": 28900},
                  "photos": ["https://c.example/1.jpg"], "gone": None}],
        "tags": ["used"],
        "seen": "2026-12-07T00:00:00.000Z",
        "specs": {"doors": 4},
    }  # fmt: skip
    assert not is_astro_props({"sizes": [0, 1], "name": "x"})  # one value not a pair: plain JSON
    assert not is_astro_props({"range": [20, 40]})


def test_angular_transfer_state_is_unescaped():
    from inventory.dealer_site.extraction.script_json import parse_json_value

    raw = "{&q;G.https://api.example/v?a=1&a;b=2&q;:{&q;body&q;:{&q;note&q;:&q;it&s;s &l;b&g;&q;}}}"
    assert parse_json_value(raw) == {"G.https://api.example/v?a=1&b=2": {"body": {"note": "it's <b>"}}}


def test_a_list_spec_reads_every_item_an_attribute_holds():
    from inventory.dealer_site.extraction.cards import listed_items

    assert listed_items('["a.jpg", "b.jpg", 3]') == ["a.jpg", "b.jpg"]
    assert listed_items("https://c.example/w_300,h_200/a.jpg, https://c.example/b.jpg") == [
        "https://c.example/w_300,h_200/a.jpg",
        "https://c.example/b.jpg",
    ]  # a comma inside an address is not a separator
    assert listed_items("a.jpg | b.jpg;c.jpg") == ["a.jpg", "b.jpg", "c.jpg"]
    assert listed_items("[not json") == []
    html = "<div class='c' data-vin='1HGCV1F35MA000101' data-pics='[\"/p/1.jpg\", \"/p/2.jpg\"]'></div>"
    profile = load_profile({"sources": [{"kind": "cards", "selector": "div.c", "fields": {
        "vin": "@data-vin", "photos": {"attr": "data-pics", "type": "list"}}}]})  # fmt: skip
    assert extract_page(html, "https://d.example/", profile).vehicles[0].photos == [
        "https://d.example/p/1.jpg",
        "https://d.example/p/2.jpg",
    ]
