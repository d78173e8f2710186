from inventory.dealer_site.vin import (
    check_digit,
    has_foreign_characters,
    is_valid_vin,
    makes_for_wmi,
    model_year,
    model_years,
    normalize_vin,
    vin_identity,
)


def test_known_valid_vins():
    for vin in ("1HGCM82633A004352", "1M8GDM9AXKP042788", "11111111111111111"):
        assert is_valid_vin(vin), vin


def test_check_digit_catches_a_single_changed_character():
    vin = "1HGCM82633A004352"
    assert check_digit(vin) == "3"
    assert not is_valid_vin(vin[:8] + "4" + vin[9:])
    assert not is_valid_vin(vin[:-1] + "3")


def test_illegal_letters_and_lengths_are_invalid():
    assert not is_valid_vin("1HGCM82633A00435")  # 16 characters
    assert not is_valid_vin("1HGCM82633A0043O2")  # the letter O is never used
    assert check_digit("IHGCM82633A004352") is None  # nor I


def test_normalize_removes_spaces_and_uppercases():
    assert normalize_vin(" 1hgcm8 2633a004352 ") == "1HGCM82633A004352"
    assert normalize_vin(None) == ""


def test_normalize_reads_full_width_digits_and_drops_invisible_characters():
    real = "1HGCM82633A004352"
    assert normalize_vin("１HGCM８2633A004352") == real
    assert normalize_vin(real + "\u200b") == real
    assert normalize_vin("1HGCM\u00ad82633A004352\ufeff") == real


def test_a_look_alike_letter_is_not_ascii_and_invalid_but_shares_the_identity():
    cyrillic = normalize_vin("1HGCM82633\u0410004352")  # Cyrillic capital A
    assert cyrillic != "1HGCM82633A004352" and has_foreign_characters(cyrillic)
    assert not is_valid_vin(cyrillic)
    assert vin_identity(cyrillic) == "1HGCM82633A004352"


def test_model_year_and_maker_from_a_vin():
    assert model_years("1HGCM82633A004352") == (2003,)  # 2033 is not yet possible
    assert model_years("2HKRW2H87LH612604") == (1990, 2020) and model_year("2HKRW2H87LH612604") == 2020
    assert model_years("1HGCM8263IA004352") == ()  # I is no year code
    assert makes_for_wmi("1HGCM82633A004352") == ("Honda",)
    assert set(makes_for_wmi("1C4RJFAG5FC100001")) == {"Chrysler", "Dodge", "Jeep"}
    assert makes_for_wmi("ZZZ00000000000000") == ()
