"""app/fab_overrides.py lists every reach into FAB's insides, for the FAB version installed."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import flask_appbuilder
import pytest

import app as crm
from app.fab_overrides import (
    FAB_VERSION,
    FLASK_BABEL_PATCHES,
    FLASK_BABEL_VERSION,
    OVERRIDES,
    TEMPLATES,
)

FAB_TEMPLATES = Path(flask_appbuilder.__file__).parent / "templates"


def _class(path: str) -> type:
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _crm_classes() -> list[type]:
    """Return every class defined in the app's modules."""
    classes = []
    for info in pkgutil.walk_packages(crm.__path__, "app."):
        module = importlib.import_module(info.name)
        classes += [value for value in vars(module).values()
                    if inspect.isclass(value) and value.__module__ == module.__name__]
    return classes


def _path(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def _private_overrides() -> set[tuple[str, str]]:
    """Return (our class, member) for each private method replacing one of a FAB class.

    Our class may be a mixin: what counts is a class built on FAB that it is part of.
    """
    found = set()
    for cls in _crm_classes():
        fab = [base for base in cls.__mro__ if base.__module__.startswith("flask_appbuilder.")]
        ours = [base for base in cls.__mro__ if base.__module__.startswith("app.")]
        for mine in ours:
            for name, value in vars(mine).items():
                # Only code counts: WTForms caches data and a Meta class on a form once
                # it is used (_unbound_fields, _wtforms_meta), which is no override.
                code = inspect.isfunction(value) or isinstance(value, staticmethod
                                                               | classmethod | property)
                if not name.startswith("_") or name.startswith("__") or not code:
                    continue
                if any(name in vars(base) for base in fab):
                    found.add((_path(mine), name))
    return found


def test_fab_is_the_version_the_overrides_were_checked_against():
    assert flask_appbuilder.__version__ == FAB_VERSION, (
        "FAB changed: read each entry of app/fab_overrides.py against the new FAB source, "
        "then update FAB_VERSION"
    )


@pytest.mark.parametrize("override", OVERRIDES, ids=lambda o: f"{o.ours}.{o.member}")
def test_each_listed_override_replaces_a_member_fab_has(override):
    assert override.member in vars(_class(override.ours)), "not in our class any more"
    assert override.member in vars(_class(override.fab)), "FAB's class no longer has it"
    ours, fab = _class(override.ours), _class(override.fab)
    assert any(issubclass(cls, ours) and issubclass(cls, fab) for cls in _crm_classes())
    assert override.why.strip()


def test_every_private_override_is_listed():
    listed = {(override.ours, override.member) for override in OVERRIDES}
    found = _private_overrides()
    assert found, "the search for overrides found none: it is broken"
    assert sorted(found - listed) == []


@pytest.mark.parametrize(("template", "why"), TEMPLATES)
def test_each_fab_template_we_replace_or_extend_still_exists(template, why):
    assert (FAB_TEMPLATES / template).is_file(), f"{template} ({why})"


def test_every_fab_template_we_replace_or_extend_is_listed():
    ours = Path(crm.__file__).parent / "templates"
    used = {path.relative_to(ours).as_posix() for path in (ours / "appbuilder").rglob("*.html")}
    for path in ours.rglob("*.html"):
        used |= set(re.findall(r"""{%\s*(?:extends|import|include)\s+["'](appbuilder/[^"']+)""",
                               path.read_text(encoding="utf-8")))
    assert used, "no template of FAB found in ours: the search is broken"
    assert sorted(used - {template for template, _ in TEMPLATES}) == []


def test_flask_babel_is_the_version_its_patch_was_read_against():
    from importlib.metadata import version

    assert version("flask-babel") == FLASK_BABEL_VERSION, (
        "Flask-Babel changed: read its _get_current_context against app/babel_context.py, "
        "then update FLASK_BABEL_VERSION")


@pytest.mark.parametrize(("member", "ours", "why"), FLASK_BABEL_PATCHES)
def test_each_flask_babel_patch_is_in_place(app, member, ours, why):
    import flask_babel

    assert getattr(flask_babel, member) is _function(ours), why


def _function(path: str):
    module, _, name = path.rpartition(".")
    return getattr(importlib.import_module(module), name)
