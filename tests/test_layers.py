"""The layers import only downwards: a newcomer finds each rule in one place."""

import ast
import re
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"
# What a service must never reach for: the request state of Flask.
REQUEST_STATE = {"request", "g", "session", "current_user"}


def _imports(package: str) -> list[tuple[str, str, list[str]]]:
    """Return (file, module, names) for every import statement in an app package."""
    found = []
    for path in sorted((APP / package).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path.name, node.module, [alias.name for alias in node.names]))
            elif isinstance(node, ast.Import):
                found += [(path.name, alias.name, []) for alias in node.names]
    assert found, f"no imports read in app/{package}"
    return found


def _from_package(module: str, names: list[str], package: str) -> bool:
    return module == package or module.startswith(f"{package}.") or (
        module == "app" and package.split(".")[-1] in names
    )


@pytest.mark.parametrize(("layer", "forbidden"), [
    ("api", "app.views"),
    ("data", "app.views"),
    ("data", "app.api"),
    ("services", "app.views"),
    ("services", "app.api"),
    ("services", "app.data"),
    ("models", "app.services"),
    ("models", "app.views"),
    ("models", "app.api"),
])
def test_a_layer_imports_nothing_from_the_layers_above(layer, forbidden):
    wrong = [(name, module) for name, module, names in _imports(layer)
             if _from_package(module, names, forbidden)]
    assert wrong == []


def test_services_never_touch_the_request_state():
    wrong = [(name, module, names) for name, module, names in _imports("services")
             if (module == "flask" and REQUEST_STATE & set(names))
             or module in ("flask.globals", "flask_login")
             or (module == "flask" and not names)]
    assert wrong == []


def test_the_check_sees_a_forbidden_import():
    """The reader above finds an import of the views; else the checks could never fail."""
    found = _imports("views")
    assert any(_from_package(module, names, "app.services") for _, module, names in found)
    assert any(module == "flask" and "g" in names for _, module, names in found)


def test_the_rules_ask_the_kinds_table_not_the_record_type():
    """A new kind of record is one entry of app/services/rules/kinds.py, not a branch per rule."""
    by_kind = re.compile(r"isinstance\([^)]*\b(Company|Contact|Deal)\b")
    wrong = [path.name for path in sorted((APP / "services" / "rules").glob("*.py"))
             if path.name != "kinds.py" and by_kind.search(path.read_text(encoding="utf-8"))]
    assert wrong == []


def test_every_kind_is_known_to_the_history_and_the_archive():
    from app.services.rules import archive, history
    from app.services.rules.kinds import KINDS

    assert set(history.ENTITIES) == set(KINDS)
    assert set(archive.MODELS.values()) == set(KINDS)
