"""One number parser for everything a dealer page writes: "$19,995", "1.234,56", "-5000", "$1e308".

`parse_number` reads the first number of a value (signs, exponents, thousands separators and
decimal commas understood) and returns a float, or None when there is no finite number. The field
readers below it apply the sane ranges: what falls outside is dropped, and the reason is returned
for the warnings report.
"""

from __future__ import annotations

import math
import re
from datetime import date

MAX_SAFE_INTEGER = 2**53  # the largest integer JavaScript (and so D1) holds exactly
MAX_PRICE = 10_000_000
MAX_MILEAGE = 2_000_000
FIRST_YEAR = 1900

_MINUS_SIGNS = "-\u2212\u2012\u2013"
_GROUP_MARKS = "'\u00a0\u202f\u2009"  # apostrophe, no-break and thin spaces between digit groups
_SIGN = f"[{re.escape('+' + _MINUS_SIGNS)}]"
# "19 995 €", "45 000 km", "21 490,00": plain spaces between groups of exactly three digits (so
# "2019 45 000 km" stays a year, then a mileage)
_SPACE_GROUPED = r"\d{1,3}(?: \d{3})+(?:[.,]\d{1,2})?(?![\d.,])"
NUMBER_PATTERN = re.compile(
    rf"(?:(?<![\d.,])(?P<sign>{_SIGN}))?[ \t]*(?:[$€£][ \t]*)?(?P<sign2>{_SIGN})?"
    rf"(?P<digits>{_SPACE_GROUPED}|\d+(?:[.,{_GROUP_MARKS}]\d+)*)(?P<exponent>[eE][+-]?\d+)?"
)


def _plain_digits(digits: str) -> str:
    """'1.234,56' -> '1234.56', '19,995' -> '19995', '41.230' -> '41230', '19995.00' -> '19995.00'."""
    for mark in _GROUP_MARKS + " ":
        digits = digits.replace(mark, "")
    dots, commas = digits.count("."), digits.count(",")
    if dots and commas:  # the last of the two is the decimal mark
        decimal = "." if digits.rfind(".") > digits.rfind(",") else ","
        group = "," if decimal == "." else "."
        return digits.replace(group, "").replace(decimal, ".")
    mark = "." if dots else "," if commas else ""
    if not mark:
        return digits
    if digits.count(mark) > 1 or _is_thousands(digits, mark):
        return digits.replace(mark, "")
    return digits.replace(mark, ".")


def _is_thousands(digits: str, mark: str) -> bool:
    """One separator followed by exactly three digits, after 1-3 digits not starting with 0."""
    head, _, tail = digits.partition(mark)
    return len(tail) == 3 and 1 <= len(head) <= 3 and not head.startswith("0")


def parse_number(value) -> float | None:
    """The first number in `value` as a float; None for no number, NaN or an infinity."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return float(value) if abs(value) <= 1e308 else None
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    match = NUMBER_PATTERN.search(str(value))
    if not match:
        return None
    text = _plain_digits(match["digits"]) + (match["exponent"] or "")
    number = float(text)
    if (match["sign"] or match["sign2"] or "+") in _MINUS_SIGNS:
        number = -number
    return number if math.isfinite(number) else None


def whole_number(number: float | None) -> int | None:
    """A float rounded to an int, or None when it is absent or beyond 2**53."""
    if number is None or abs(number) > MAX_SAFE_INTEGER:
        return None
    return int(round(number))


def shown(number: float) -> str:
    """A number as a warning shows it: 2500001 as "2,500,001", 1e308 as "1e+308"."""
    return f"{int(number):,}" if number.is_integer() and abs(number) < 1e15 else f"{number:g}"


def checked_price(number: float | None) -> tuple[float | None, str | None]:
    """(price, None), or (None, why it was dropped)."""
    if number is None:
        return None, None
    if number < 0:
        return None, f"price {shown(number)} is negative: dropped"
    if number == 0:
        return None, "price 0 is no price: dropped"
    if number > MAX_PRICE:
        return None, f"price {shown(number)} is over {MAX_PRICE:,}: dropped"
    return number, None


def checked_mileage(number: float | None) -> tuple[int | None, str | None]:
    if number is None:
        return None, None
    if number < 0:
        return None, f"mileage {shown(number)} is negative: dropped"
    if number > MAX_MILEAGE:
        return None, f"mileage {shown(number)} is over {MAX_MILEAGE:,}: dropped"
    return whole_number(number), None


def checked_year(number: float | None) -> tuple[int | None, str | None]:
    if number is None:
        return None, None
    last = date.today().year + 2
    if number != int(number) or not FIRST_YEAR <= number <= last:
        return None, f"year {shown(number)} is outside {FIRST_YEAR}..{last}: dropped"
    return int(number), None
