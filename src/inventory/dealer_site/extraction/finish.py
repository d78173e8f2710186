"""The last field rules, on a merged vehicle: the title and the VIN fill gaps, the gallery is cleaned."""

from __future__ import annotations

import re

from ..vin import has_foreign_characters, is_valid_vin, makes_for_wmi, model_year, model_years
from .gallery import GalleryRules, clean_gallery
from .makes import MAKE_ALIASES
from .merge import Merged
from .titles import cut_title

_NOT_LETTERS = re.compile(r"[^a-z0-9]")


def _make_key(make: str) -> str:
    """'Mercedes Benz', 'mercedes-benz', 'Mercedes' -> one key; 'Chevy' -> 'chevrolet'."""
    lowered = make.lower().replace("-", " ")
    return _NOT_LETTERS.sub("", MAKE_ALIASES.get(lowered, lowered))


def fill_from_title(merged: Merged, vin_makes: tuple[str, ...]) -> None:
    values, sources = merged.values, merged.sources
    wanted = [name for name in ("year", "make", "model", "trim") if values.get(name) is None]
    if not wanted or not values.get("title"):
        return
    parts = cut_title(values["title"], values.get("make"), values.get("model"), vin_makes)
    for name in wanted:
        if parts.get(name) is not None:
            values[name] = parts[name]
            sources[name] = f"title ({sources['title']})"


def check_vin(merged: Merged) -> None:
    """Flag a VIN that fails its check digit; fill or compare year and make (not-ASCII VINs were
    reported when read)."""
    vin = merged.values.get("vin")
    if not vin or has_foreign_characters(vin):
        return
    if not is_valid_vin(vin):
        merged.warnings.append(
            f"VIN {vin} fails its check digit (or is not 17 letters and digits): kept, invalid"
        )
        return
    _check_year(merged, vin)
    _check_make(merged, vin)


def _check_year(merged: Merged, vin: str) -> None:
    years, year = model_years(vin), merged.values.get("year")
    if not years:
        return
    if year is None:
        merged.values["year"], merged.sources["year"] = model_year(vin), "VIN"
    elif year not in years:
        merged.warnings.append(
            f"VIN {vin} says model year {' or '.join(map(str, years))}, "
            f"the page says {year}: the page's year is kept"
        )


def _check_make(merged: Merged, vin: str) -> None:
    makes, make = makes_for_wmi(vin), merged.values.get("make")
    if not makes:
        return
    if make is None:
        if len(makes) == 1:
            merged.values["make"], merged.sources["make"] = makes[0], "VIN"
    elif _make_key(make) not in {_make_key(m) for m in makes}:
        merged.warnings.append(
            f"VIN {vin} is a {' or '.join(makes)} (maker code {vin[:3]}), "
            f"the page says {make}: the page's make is kept"
        )


def finish(merged: Merged, page_url: str, rules: GalleryRules):
    """Fill gaps from the title and VIN; return the cleaned gallery."""
    vin = merged.values.get("vin")
    vin_makes = makes_for_wmi(vin) if vin and is_valid_vin(vin) else ()
    fill_from_title(merged, vin_makes)
    check_vin(merged)
    return clean_gallery(merged.photo_values, page_url, rules)
