"""SQLite held by a long save: what a request that waited too long for it is told.

SQLite has one writer at a time. A save waits for the write lock (the busy timeout);
when a long one (a whole book being reassigned) holds it longer, the save fails with
"database is locked". Its request is answered 503 with this text, in the user's
language, and nothing of it is written (its transaction is rolled back).
"""

from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import OperationalError

BUSY_TITLE = _l("The database is busy")
BUSY_TEXT = _l("A long save (such as moving a manager's clients) holds the database. "
               "Nothing of yours was saved: try again in a minute.")


def is_busy(error: BaseException | None) -> bool:
    """Tell whether the error is SQLite's wait for its write lock running out."""
    return isinstance(error, OperationalError) and "database is locked" in str(error.orig)
