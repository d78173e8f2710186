from inventory.vin import check_digit, is_valid_vin, normalize_vin


def test_known_valid_vins():
    for vin in ("1HGCM82633A004352", "1M8GDM9AXKP042788", "11111111111111111"):
        assert is_valid_vin(vin), vin


def test_check_digit_catches_a_single_changed_character():
    vin = "1HGCM82633A004352"
    assert check_digit(vin) == "3"
    assert not is_valid_vin(vin[:8] + "4" + vin[9:])
    assert not is_valid_vin(vin[:-1] + "3")


def test_illegal_letters_and_lengths_are_invalid():
    assert not is_valid_vin("1HGCM82633A00435")          # 16 characters
    assert not is_valid_vin("1HGCM82633A0043O2")         # the letter O is never used
    assert check_digit("IHGCM82633A004352") is None      # nor I


def test_normalize_removes_spaces_and_uppercases():
    assert normalize_vin(" 1hgcm8 2633a004352 ") == "1HGCM82633A004352"
    assert normalize_vin(None) == ""
