"""The one settings table (inventory.config) against both wrangler files' [vars] and the README's
configuration table, so that none of the three can drift from the others."""

import re
import tomllib
from pathlib import Path

import pytest

from inventory.config import BY_NAME, SETTINGS, Config, SettingError, settings_of

ROOT = Path(__file__).resolve().parents[2]
TOML = {"scraper": ROOT / "wrangler-scraper.toml", "processor": ROOT / "wrangler-image-processor.toml"}


def readme_rows() -> dict[str, str]:
    """`NAME` -> its row in the README's configuration table."""
    text = (ROOT / "README.md").read_text()
    table = text[text.index("## Configuration") :]
    table = table[: table.index("\n#")]
    return {m.group(1): line for line in table.splitlines() if (m := re.match(r"\| `([A-Z0-9_]+)`", line))}


@pytest.mark.parametrize("worker", sorted(TOML))
def test_every_var_in_the_wrangler_file_is_a_setting_of_that_worker_with_its_default_or_placeholder(worker):
    variables = tomllib.loads(TOML[worker].read_text()).get("vars", {})
    known = {s.name for s in settings_of(worker)}
    assert set(variables) <= known, f"{TOML[worker].name}: unknown [vars] {sorted(set(variables) - known)}"
    for name, value in variables.items():
        setting = BY_NAME[name]
        assert not setting.secret, f"{name} is a secret: it must never be in [vars]"
        assert value in (setting.default, setting.placeholder), (
            f"{TOML[worker].name}: {name} = {value!r}, but config.py says default {setting.default!r}"
        )


def test_every_setting_is_in_the_readme_table_with_its_default_and_nothing_else_is():
    rows = readme_rows()
    assert set(rows) == {s.name for s in SETTINGS}, (
        f"README lacks {sorted({s.name for s in SETTINGS} - set(rows))}, "
        f"config.py lacks {sorted(set(rows) - {s.name for s in SETTINGS})}"
    )
    for setting in SETTINGS:
        if setting.default and not setting.placeholder:
            assert f"`{setting.default}`" in rows[setting.name], (
                f"README: {setting.name}'s default is {setting.default}"
            )


def test_values_are_parsed_and_a_bad_one_is_named_not_replaced_by_the_default():
    config = Config("processor", {"BATCH_SIZE": "25", "UPLOAD_MODE": "carrier-pigeon", "MAX_IN_FLIGHT": "٦"})
    assert config.get("BATCH_SIZE") == 25 and config.get("CLAIM_TTL_S") == 120.0
    with pytest.raises(SettingError, match="UPLOAD_MODE"):
        config.get("UPLOAD_MODE")
    with pytest.raises(SettingError, match="MAX_IN_FLIGHT"):
        config.get("MAX_IN_FLIGHT")
    with pytest.raises(SettingError, match="CF_IMAGES_TOKEN is not set"):
        config.get("CF_IMAGES_TOKEN")
