"""The admin panel's type check is real: the pinned tsc (under the pinned Node 22) accepts the panel's
sources and a dashboard using the component as documented, and refuses a wrong prop, naming it.

The fixtures are in tests/fixtures/admin-panel/. A missing Node or TypeScript FAILS (never a skip).
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest

from scripts.build_admin_panel import ROOT, missing_tools, tool_env, tsc_command

FIXTURES = ROOT / "tests" / "fixtures" / "admin-panel"
ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")


def type_check(project: Path) -> tuple[int, str]:
    """tsc's exit code and its output, in its readable form (with the related information)."""
    if problem := missing_tools():
        pytest.fail(problem, pytrace=False)
    done = subprocess.run(
        tsc_command(project, "--pretty", "true"),
        cwd=ROOT,
        env=tool_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    return done.returncode, ANSI_COLOUR.sub("", done.stdout + done.stderr)


def fixture_project(tmp_path: Path, fixture: str) -> Path:
    """A tsconfig.json with the project's compiler options that checks one fixture file."""
    project = tmp_path / "tsconfig.json"
    project.write_text(
        json.dumps({"extends": str(ROOT / "tsconfig.json"), "include": [str(FIXTURES / fixture)]})
    )
    return project


def test_the_panel_sources_type_check():
    code, output = type_check(ROOT / "tsconfig.json")
    assert code == 0, output


def test_a_dashboard_using_the_component_as_documented_type_checks(tmp_path):
    code, output = type_check(fixture_project(tmp_path, "dashboard.tsx"))
    assert code == 0, output


def test_a_wrong_prop_fails_the_type_check_and_the_error_names_it(tmp_path):
    code, output = type_check(fixture_project(tmp_path, "wrong_prop.tsx"))
    assert code != 0, output
    line_number, line = next(
        (n, text)
        for n, text in enumerate((FIXTURES / "wrong_prop.tsx").read_text().splitlines(), 1)
        if "baseUrl={42}" in text
    )
    column = line.index("baseUrl") + 1
    error = "error TS2322: Type 'number' is not assignable to type 'string'."
    assert f"wrong_prop.tsx:{line_number}:{column} - {error}" in output, output
    assert "The expected type comes from property 'baseUrl'" in output, output
    assert "Found 1 error" in output, output  # that error alone: the fixture itself is sound
