"""Vehicle Identification Numbers (ISO 3779): normalisation, the check digit, the model year and maker.

A VIN is NFKC-normalised (full-width digits become ASCII), whitespace and invisible format
characters (zero-width spaces, soft hyphens, direction marks) are removed, and it is upper-cased.
Whatever is not ASCII after that (a Cyrillic "А" for a Latin "A") makes the VIN invalid; its
`vin_identity` still maps such look-alikes onto the Latin letters, so the same car is not listed
as a second vehicle beside the real one.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache

from .extraction.makes import WMI_MAKES

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1,
    "B": 2,
    "C": 3,
    "D": 4,
    "E": 5,
    "F": 6,
    "G": 7,
    "H": 8,
    "J": 1,
    "K": 2,
    "L": 3,
    "M": 4,
    "N": 5,
    "P": 7,
    "R": 9,
    "S": 2,
    "T": 3,
    "U": 4,
    "V": 5,
    "W": 6,
    "X": 7,
    "Y": 8,
    "Z": 9,
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
# Position 10: the model year, in a 30-year cycle (A = 1980 or 2010, ..., 9 = 2009 or 2039).
_YEAR_CODES = "ABCDEFGHJKLMNPRSTVWXY123456789"
# Cyrillic and Greek capitals that look like the Latin letters a VIN uses.
_LOOK_ALIKES = str.maketrans("АВЕКМНОРСТХУІЈЅΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEKMHOPCTXYIJSABEZHIKMNOPTYX")


def _is_invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"


def normalize_vin(raw) -> str:
    text = str(raw or "")
    if text.isascii():  # NFKC leaves ASCII as it is, and its only invisible characters are spaces
        return "".join(text.split()).upper()
    text = unicodedata.normalize("NFKC", text)
    return "".join(ch for ch in text if not _is_invisible(ch)).upper()


def has_foreign_characters(vin: str) -> bool:
    return not vin.isascii()


def vin_identity(vin: str) -> str:
    """The VIN two listings of the same car share, look-alike letters mapped onto Latin ones."""
    return vin if vin.isascii() else vin.translate(_LOOK_ALIKES)  # every look-alike is beyond ASCII


@lru_cache(maxsize=4096)  # each listed VIN is checked by several sources and fields
def check_digit(vin: str) -> str | None:
    """The check character a 17-character VIN should carry, or None if it has illegal letters."""
    if len(vin) != 17 or any(ch not in _TRANSLITERATION for ch in vin):
        return None
    total = sum(_TRANSLITERATION[ch] * weight for ch, weight in zip(vin, _WEIGHTS, strict=False))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid_vin(vin: str) -> bool:
    expected = check_digit(vin)
    return expected is not None and vin[8] == expected


def model_years(vin: str) -> tuple[int, ...]:
    """The model years position 10 can mean (two, 30 years apart), none beyond next year."""
    if len(vin) != 17 or vin[9] not in _YEAR_CODES:
        return ()
    first = 1980 + _YEAR_CODES.index(vin[9])
    return tuple(year for year in (first, first + 30) if year <= date.today().year + 1)


def model_year(vin: str) -> int | None:
    """The more recent of the possible model years (dealers list mostly cars under 30 years old)."""
    years = model_years(vin)
    return years[-1] if years else None


def makes_for_wmi(vin: str) -> tuple[str, ...]:
    """The makes the world manufacturer identifier (positions 1-3) is used for; () if not known."""
    return WMI_MAKES.get(vin[:3], ())
