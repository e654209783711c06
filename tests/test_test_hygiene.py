"""The test suite's own rules: one home for shared code, one clock, no timings, no silent skip.
"""

import ast
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests import helpers, team_clock

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent


def _is_shared(name: str) -> bool:
    """Tell whether a module of tests/ is shared code (fixtures, helpers), not tests."""
    return (name in ("conftest.py", "browser.py", "team_clock.py", "__init__.py")
            or name.startswith("helpers"))


def _sources() -> dict[str, str]:
    """Return the text of every module of tests/ but this one, by file name."""
    return {path.name: path.read_text() for path in sorted(TESTS.glob("*.py"))
            if path.name != Path(__file__).name}


def _test_modules() -> dict[str, str]:
    return {name: text for name, text in _sources().items() if not _is_shared(name)}


# Any way of naming a test module in an import: absolute, relative, or bare.
IMPORTS_A_TEST_MODULE = re.compile(
    r"^\s*(from\s+(tests)?\.?test_\w+\s+import|import\s+(tests\.)?test_\w+"
    r"|from\s+(tests|\.)\s+import\s+[^#\n]*\btest_\w+)", re.M)


def test_no_test_module_imports_another():
    assert [name for name, text in _sources().items()
            if IMPORTS_A_TEST_MODULE.search(text)] == []


@pytest.mark.parametrize("line", [
    "from tests.test_api import RESOURCES",
    "from .test_api import RESOURCES",
    "from test_api import RESOURCES",
    "import tests.test_api",
    "from tests import helpers, test_api",
])
def test_the_import_check_sees_each_spelling(line):
    assert IMPORTS_A_TEST_MODULE.search(line)
    assert not IMPORTS_A_TEST_MODULE.search("from tests.helpers import api_login")


# The machine's clock where the app keeps the team's: off by the time zone's hours.
MACHINE_CLOCK = re.compile(r"\bdatetime\.(now|utcnow)\(|\butcnow\(")


def test_tests_take_the_time_from_the_apps_clock():
    """Records' times come from local_now(); user accounts' from helpers.server_now().

    team_clock.py reads UTC itself: it chooses the run's team zone from it.
    """
    wrong = [name for name, text in _sources().items()
             if not name.startswith(("helpers", "team_clock")) and MACHINE_CLOCK.search(text)]
    assert wrong == []


@pytest.mark.parametrize("utc_hour", range(24))
def test_a_run_starts_hours_away_from_the_team_zones_midnight(utc_hour):
    """Tasks planned "later today" by a test stay today's until the run ends."""
    started = datetime(2026, 12, 6, utc_hour, 59, tzinfo=UTC)
    zone = team_clock.zone_far_from_midnight(started)
    local = started.astimezone(ZoneInfo(zone))
    assert 3 <= local.hour < 21, zone
    assert zone == team_clock.HOME_ZONE or local.hour in (12, 13), zone


# A duration: a clock read minus another (a deadline loop adds to the clock instead).
DURATION = re.compile(r"\b(perf_counter|monotonic|time)\(\)\s*-|\bperf_counter\(")


def test_no_test_measures_seconds():
    """Timings are measured by bench/ on a known machine, never asserted by a test."""
    assert [name for name, text in _test_modules().items() if DURATION.search(text)] == []
    assert DURATION.search("assert time.monotonic() - started < 10")
    assert not DURATION.search("deadline = time.monotonic() + 20")
    assert (ROOT / "bench" / "import_hostile.py").exists()


def _functions(text: str, prefix: str) -> list[ast.FunctionDef]:
    return [node for node in ast.walk(ast.parse(text))
            if isinstance(node, ast.FunctionDef) and node.name.startswith(prefix)]


def _rows_past(function: ast.FunctionDef, cap_names: set[str]) -> bool:
    """Tell whether the function makes range(<the cap> + n) rows, n > 0."""
    for node in ast.walk(function):
        if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") == "range"):
            continue
        for argument in node.args:
            if isinstance(argument, ast.BinOp) and isinstance(argument.op, ast.Add) \
                    and isinstance(argument.right, ast.Constant) and argument.right.value > 0 \
                    and ast.unparse(argument.left) in cap_names:
                return True
    return False


def test_page_size_caps_are_checked_with_more_rows_than_the_cap():
    """A cap tested with fewer rows than it would pass without any cap at all."""
    checks = {name: _functions(text, "test_page_size_is_capped")
              for name, text in _test_modules().items()}
    checks = {name: found for name, found in checks.items() if found}
    assert set(checks) >= {"test_arguments.py", "test_api.py"}  # the lists and the API
    for name, functions in checks.items():
        for function in functions:
            # The cap is read from the app, not written again as a number.
            assert _rows_past(function, {"MAX_PAGE_SIZE", "cap"}), f"{name}: {function.name}"


def test_one_sql_statement_counter():
    counters = [name for name, text in _test_modules().items()
                if "before_cursor_execute" in text]
    assert counters == []


def test_skips_go_through_require_or_a_database_marker():
    pattern = re.compile(r"pytest\.(skip\(|importorskip\(|mark\.skip|xfail)|\bskipif\b")
    skipping = [name for name, text in _sources().items()
                if pattern.search(text) and name != "helpers.py"]
    assert skipping == []


# Each component the README names, and the test code that finds it missing.
COMPONENTS = {
    "Chromium": "browser.py",
    "Redis": "test_security_login.py",
    "pg_dump": "test_backup.py",
    "compiled Russian catalogue": "test_validation.py",
    "PostgreSQL": "conftest.py",
}


@pytest.mark.parametrize(("component", "module"), COMPONENTS.items())
def test_each_missing_component_goes_through_require(component, module):
    """Under CI=true a missing component fails the test: require() decides, not a skip."""
    text = _sources()[module]
    calls = re.findall(r"\brequire\(\s*\"([^\"]+)\"", text)
    assert any(component in name for name in calls), f"{module}: no require({component!r})"


def test_a_missing_component_fails_under_ci(monkeypatch):
    monkeypatch.setattr(helpers, "IN_CI", True)
    with pytest.raises(pytest.fail.Exception, match="Redis is missing: no server"):
        helpers.require("Redis", False, "no server")
    helpers.require("Redis", True, "no server")  # present: nothing happens


def test_a_missing_component_skips_outside_ci(monkeypatch):
    monkeypatch.setattr(helpers, "IN_CI", False)
    with pytest.raises(pytest.skip.Exception, match="Chromium is missing"):
        helpers.require("Chromium", False, "apt-get install chromium")
    with pytest.raises(pytest.skip.Exception, match="no_such_module"):
        helpers.require_module("a package", "no_such_module", "pip install it")
