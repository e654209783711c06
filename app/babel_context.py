"""Flask-Babel's per-request state, found with one look at `g` instead of three.

Flask-Babel keeps the request's locale, translations and domain in `g._flask_babel` and
reaches it through its private `_get_current_context`, which asks the `g` proxy three
times (is there an app context, does it hold the namespace, return it). A page asks for
its language and translations hundreds of times (every `_()` of a template, every number,
date and name written): My day about 500, which cost 1 ms of a 15 ms page. The same
namespace is found here with one look. Listed in app/fab_overrides.py with the Flask-Babel
version it was read against.
"""

from types import SimpleNamespace

import flask_babel
from flask import g


def _current_context() -> SimpleNamespace | None:
    """Return the app context's Flask-Babel namespace, None outside an app context."""
    try:
        found = g._get_current_object()
    except RuntimeError:  # no app context: Flask-Babel then uses no translations
        return None
    try:
        return found._flask_babel
    except AttributeError:
        found._flask_babel = namespace = SimpleNamespace()
        return namespace


def install_babel_context() -> None:
    """Make Flask-Babel find its per-request state with one look at `g`."""
    flask_babel._get_current_context = _current_context
