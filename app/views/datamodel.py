"""FAB's data interface with the visibility rule and eager loading built in."""

from flask import g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import inspect
from sqlalchemy.orm import selectinload

from app.services import archive
from app.services.visibility import scope_query


def acting_user():
    """Return the logged-in user of this request, or None outside a request."""
    if has_request_context():
        return getattr(g, "user", None)
    return None


class ScopedInterface(SQLAInterface):
    """Every list, show, edit, delete, action, related list and dropdown passes through here.

    Rows the acting user may not see are filtered out in SQL; a foreign id simply is not
    found (404). Many-to-one relations are loaded in one extra query per relation, never
    one per row. Deleting archives.
    """

    def __init__(self, obj, session=None) -> None:
        super().__init__(obj, session)

    def _apply_inner_all(self, query, filters=None, *args, **kwargs):
        if has_request_context():
            query = scope_query(query, self.obj, acting_user())
        return super()._apply_inner_all(query, filters, *args, **kwargs)

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        options = [
            selectinload(getattr(self.obj, rel.key))
            for rel in inspect(self.obj).relationships
            if rel.direction.name == "MANYTOONE" and rel.lazy not in ("joined",)
        ]
        return query.options(*options) if options else query

    def delete(self, item, commit: bool = True) -> bool:
        """Archive instead of deleting, with what hangs on it; the batch is kept in g.

        The record and its dependents leave every list but stay restorable (from the
        archive, by Head or Admin).
        """
        if not hasattr(item, "archived"):
            return super().delete(item, commit)
        batch = archive.archive(self.session, acting_user(), item)
        if has_request_context():
            g.crm_archived_batch = batch
        return super().edit(item, commit)
