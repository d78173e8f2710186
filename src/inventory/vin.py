"""Vehicle Identification Numbers (ISO 3779): normalisation and the check digit in position 9."""

_TRANSLITERATION = {
    **{str(d): d for d in range(10)},
    "A": 1, "B": 2, "C": 3, "D": 4, "E": 5, "F": 6, "G": 7, "H": 8,
    "J": 1, "K": 2, "L": 3, "M": 4, "N": 5, "P": 7, "R": 9,
    "S": 2, "T": 3, "U": 4, "V": 5, "W": 6, "X": 7, "Y": 8, "Z": 9,
}
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)


def normalize_vin(raw) -> str:
    return "".join(str(raw or "").split()).upper()


def check_digit(vin: str) -> str | None:
    """The check character a 17-character VIN should carry, or None if it has illegal letters."""
    if len(vin) != 17 or any(ch not in _TRANSLITERATION for ch in vin):
        return None
    total = sum(_TRANSLITERATION[ch] * weight for ch, weight in zip(vin, _WEIGHTS))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def is_valid_vin(vin: str) -> bool:
    expected = check_digit(vin)
    return expected is not None and vin[8] == expected
