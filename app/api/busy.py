"""The API's answer when SQLite is held by a long save: 503 and a translated message."""

import sys

from app.busy_database import BUSY_TEXT, is_busy
from app.extensions import db


class BusyDatabaseAnswer:
    """A FAB API mixin: FAB's `safe` turns every error into a 500; a busy database is a 503."""

    def response_500(self, message: str | None = None):
        """Answer 503 when the error being handled is a busy SQLite, else FAB's 500."""
        if is_busy(sys.exc_info()[1]):
            db.session.rollback()
            return self.response(503, message=str(BUSY_TEXT))
        return super().response_500(message)
