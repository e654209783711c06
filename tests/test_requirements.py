"""The pinned dependency sets: production installs no test tool, and nothing floats."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEV_ONLY = ("pytest", "playwright", "locust", "schemathesis", "ruff", "hypothesis")
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)$")


def _requirement_lines(name: str) -> list[str]:
    """Return the file's requirement lines, without comments and blank lines."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / name).read_text().splitlines())
    return [line for line in lines if line]


def _pins(name: str) -> dict[str, str]:
    pins = {}
    for line in _requirement_lines(name):
        match = PIN.match(line)
        assert match, f"{name}: not pinned with ==: {line!r}"
        pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def test_production_installs_no_test_tool():
    runtime = _pins("requirements.txt")
    assert "flask-appbuilder" in runtime and "gunicorn" in runtime
    assert [name for name in DEV_ONLY if name in runtime] == []


def test_every_line_of_both_sets_is_pinned_exactly():
    for name in ("requirements.txt", "requirements-dev.txt"):
        assert _pins(name), f"{name} pins nothing"


def test_the_development_set_is_the_runtime_set_plus_the_tools():
    runtime, development = _pins("requirements.txt"), _pins("requirements-dev.txt")
    changed = {name: (version, development.get(name)) for name, version in runtime.items()
               if development.get(name) != version}
    assert changed == {}, "requirements-dev.txt moves runtime pins"
    assert all(name in development for name in DEV_ONLY)
