"""The test suite's own rules: one home for shared code, and no silent skip under CI."""

import re
from pathlib import Path

import pytest

from tests import helpers

TESTS = Path(__file__).resolve().parent
SHARED = {"conftest.py", "helpers.py"}


def _sources() -> dict[str, str]:
    """Return the text of every module of tests/ but this one, by file name."""
    return {path.name: path.read_text() for path in sorted(TESTS.glob("*.py"))
            if path.name != Path(__file__).name}


def test_no_test_module_imports_another():
    pattern = re.compile(r"^\s*(from tests\.test_\w+ import|import tests\.test_)", re.M)
    assert [name for name, text in _sources().items() if pattern.search(text)] == []


def test_one_sql_statement_counter():
    counters = [name for name, text in _sources().items()
                if "before_cursor_execute" in text and name not in SHARED]
    assert counters == []


def test_skips_go_through_require_or_a_database_marker():
    pattern = re.compile(r"pytest\.(skip\(|importorskip\(|mark\.skip)")
    skipping = [name for name, text in _sources().items()
                if pattern.search(text) and name not in SHARED]
    assert skipping == []


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
