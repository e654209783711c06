"""Error pages in the app's layout and the user's language (JSON under /api/)."""

from flask import current_app, g, jsonify, render_template, request
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

from app.busy_database import BUSY_TEXT, BUSY_TITLE, is_busy
from app.extensions import db

MESSAGES = {
    403: (_l("Access denied"), _l("You have no access to this page.")),
    404: (_l("Not found"), _l("There is no such page, or the record is not yours to see.")),
    405: (_l("Not allowed"), _l("This address does not accept this kind of request.")),
    # The text names the limit (MAX_CONTENT_LENGTH, or a page's own lower cap).
    413: (_l("Too large"), None),
    # Only the login (form and API) is rate limited.
    429: (_l("Too many login attempts"), _l("Too many login attempts; try again in a minute.")),
    500: (_l("Something went wrong"), _l("The error is logged. Please try again later.")),
    # SQLite: another save held the database longer than a save waits.
    503: (BUSY_TITLE, BUSY_TEXT),
}


def too_large_text(title, text) -> None:
    """Set what a 413 of this request says: a page with its own lower cap names its field."""
    g.crm_too_large = (title, text)


def _texts(code: int):
    title, text = MESSAGES[code]
    if code == 413:
        limit = current_app.config.get("MAX_CONTENT_LENGTH") or 0
        text = _l("The request is too large: at most %(size)s MB.", size=max(1, limit // 2**20))
        title, text = g.get("crm_too_large") or (title, text)
    return title, text


def _render(code: int):
    title, text = _texts(code)
    if request.path.startswith("/api/"):
        return jsonify(message=str(text)), code
    appbuilder = current_app.appbuilder
    return render_template(
        "crm/error.html", code=code, title=title, text=text, appbuilder=appbuilder,
        base_template=appbuilder.base_template,
    ), code


def _database_error(error: OperationalError):
    """Answer "busy" when SQLite's wait for its write lock ran out; any other is a 500."""
    if not is_busy(error):
        raise error
    db.session.rollback()
    current_app.logger.warning("database busy: %s %s", request.method, request.path)
    return _render(503)


def register_error_pages(app) -> None:
    """Show error answers as pages of the CRM instead of the server's bare text."""
    for code in MESSAGES:
        app.register_error_handler(code, lambda error, code=code: _render(code))
    app.register_error_handler(OperationalError, _database_error)
