"""One number parser (signs, exponents, separators, decimal commas) and the field rules' sane ranges."""

import math
from datetime import date

import pytest

from inventory.dealer_site.extract import extract_page, parse_number
from inventory.dealer_site.extraction.fields import read_field, read_price
from inventory.dealer_site.extraction.numbers import MAX_SAFE_INTEGER, whole_number
from inventory.dealer_site.profiles import get_profile


@pytest.mark.parametrize(
    "text, number",
    [
        ("$19,995", 19995),
        ("19995.00", 19995),
        ("19,995", 19995),
        ("1.234,56", 1234.56),
        ("1,234.56", 1234.56),
        ("41.230 km", 41230),
        ("1.234.567", 1234567),
        ("1,5", 1.5),
        ("0.123", 0.123),
        ("12345.678", 12345.678),
        ("-5000", -5000),
        ("$-5", -5),
        ("-$5", -5),
        ("\u22127", -7),
        ("+12", 12),
        ("$1e308", 1e308),
        ("2.5E3 mi", 2500),
        ("19\u00a0995", 19995),
        ("CHF 1'250", 1250),
        ("36995", 36995),
        (41230, 41230),
        (19995.5, 19995.5),
    ],
)
def test_numbers_as_pages_write_them(text, number):
    assert parse_number(text) == number


@pytest.mark.parametrize(
    "value", [None, "", "call us", "N/A", True, float("nan"), float("inf"), "1e309", 10**400]
)
def test_no_finite_number_is_none(value):
    assert parse_number(value) is None


@pytest.mark.parametrize(
    "text, price",
    [
        ("$19,995", 19995),
        ("19995.00", 19995),
        ("Our price: $23,995", 23995),
        ("$19,995 or $389/mo", 19995),
        ("Price $21,000 | Est. $310 per month", 21000),
        (19995, 19995),
        ("$2,000 down, $299/mo then $18,500", 18500),
        # the price asked, not the list price or a reduction before it
        ("MSRP $23,340 Dealer Discount -$1,345 Rebate $500 Sale Price $21,495", 21495),
        ("Was $21,900 Now $19,875", 19875),
        ("MSRP $52,695 e-Price $47,888", 47888),
        ("Retail $49,995 Internet Price $46,995", 46995),
        ("$2,000 off! $30,500", 30500),
        ("MSRP $52,695", 52695),  # a new car's only price
    ],
)
def test_prices(text, price):
    assert read_price(text) == (price, None)


@pytest.mark.parametrize(
    "text, why",
    [
        ("$389/mo", "payment"),
        ("$389 / month*", "payment"),
        ("Lease for $299", "payment"),
        ("$450 per month", "payment"),
        ("Total price: $33,480 with fees", "total"),
        ("$21,480 out the door", "total"),
        ("$21,480 with fees", "total"),
        ("Call for Price", "ask for the price"),
        ("Contact us", "ask for the price"),
        ("Call for price: 555-0142", "ask for the price"),
        ("You save $2,000", "discount or rebate"),
    ],
)
def test_payments_totals_and_call_for_price_are_no_price(text, why):
    price, warning = read_price(text)
    assert price is None and why in warning


@pytest.mark.parametrize(
    "text, miles",
    [("32.1K mi", 32100), ("47k miles", 47000), ("Mileage: 101.7K", 101700), ("12,345 mi", 12345)],
)
def test_mileage_in_thousands_written_k(text, miles):
    assert read_field("mileage", text, "https://dealer.example/") == (miles, None)


@pytest.mark.parametrize(
    "value, why",
    [
        ("-5000", "negative"),
        ("$1e308", "over 10,000,000"),
        ("$12,500,000", "over 10,000,000"),
        (0, "no price"),
    ],
)
def test_absurd_prices_are_dropped_with_a_warning(value, why):
    price, warning = read_price(value)
    assert price is None and why in warning


@pytest.mark.parametrize(
    "value, mileage",
    [
        ("41,230 miles", 41230),
        ("41,230 mi", 41230),
        (41230, 41230),
        ("41.230 km", 41230),
        (41230.6, 41231),
        ("0", 0),
    ],
)
def test_mileages(value, mileage):
    assert read_field("mileage", value, "http://h/") == (mileage, None)
    assert isinstance(read_field("mileage", value, "http://h/")[0], int)


@pytest.mark.parametrize(
    "value, why",
    [(-5, "negative"), ("-5000", "negative"), (2_000_001, "over 2,000,000"), (1e300, "over 2,000,000")],
)
def test_absurd_mileages_are_dropped_with_a_warning(value, why):
    mileage, warning = read_field("mileage", value, "http://h/")
    assert mileage is None and why in warning


def test_years_in_range_only():
    last = date.today().year + 2
    assert read_field("year", "2019", "http://h/") == (2019, None)
    assert read_field("year", last, "http://h/") == (last, None)
    for value in (1899, last + 1, 2019.5, "-2019"):
        year, warning = read_field("year", value, "http://h/")
        assert year is None and "year" in warning


def test_integers_stay_within_what_javascript_holds():
    assert whole_number(float(MAX_SAFE_INTEGER)) == MAX_SAFE_INTEGER
    assert whole_number(float(2**60)) is None and whole_number(math.inf) is None


def test_a_page_with_absurd_json_numbers_keeps_the_vehicle_and_reports_the_values():
    html = """<script type="application/ld+json">{"@type": "Car",
      "vehicleIdentificationNumber": "1HGCM82633A004352", "name": "2003 Honda Accord EX",
      "mileageFromOdometer": 1e300, "offers": {"price": "-5000"}}</script>"""
    page = extract_page(html, "https://dealer.example/", get_profile("generic"))
    (vehicle,) = page.vehicles
    assert vehicle.mileage is None and vehicle.price is None and vehicle.model == "Accord"
    reasons = [w["reason"] for w in page.warnings]
    assert any("mileage" in r and "over" in r for r in reasons) and any("price -5,000" in r for r in reasons)
    assert all(w["entry"] == "vin:1HGCM82633A004352" for w in page.warnings)
