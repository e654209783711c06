"""PostgreSQL plans a page's statements once, not on every request.

psycopg prepares a statement once a connection has run it five times, and PostgreSQL then
plans it once (a generic plan) when that plan is no worse than planning for each set of
values. On a list or a card, planning (tables with 20 to 30 indexes each) cost more
than running the statements. Three things stood in the way:

- psycopg forgets every statement it prepared when a transaction rolls back (the
  transaction might have dropped or changed what they name), and Flask-SQLAlchemy ends
  each request's session with a rollback. A transaction that ran nothing but SELECTs
  (common table expressions included, when none of them writes) has nothing to undo:
  COMMIT ends it the same way and keeps them. Anything else still rolls back: a request
  that wrote (any other statement, a savepoint included), failed in the database, left
  pending changes or raised.
- A LIMIT sent as a value: the generic plan cannot know how many rows are asked for
  and may be costed above planning each time (app/services/queries/plan_hints.py).
- A search's plan depends on what was typed: "starts with" reads a range of the index
  only when the planner sees the prefix, and a word's matches may be ten or ten
  thousand. Statements with LIKE or a full-text match are never prepared, so that each
  is planned for its own values.
"""

import re

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

# Set on the connection's info by any statement that is not a SELECT, or a failed one.
NOT_READ_ONLY = "crm_not_read_only"
# What makes a statement's best plan depend on its values (see the notes above).
PLANNED_EACH_TIME = (" LIKE ", " @@ ")
# What makes a statement with common table expressions a write.
_WRITING = re.compile(r"\b(?:INSERT|UPDATE|DELETE|MERGE)\b", re.IGNORECASE)


def is_read(statement: str) -> bool:
    """Tell whether the SQL statement only reads (a SELECT, locking ones included).

    A statement with common table expressions (WITH ...) reads when none of them writes:
    any INSERT, UPDATE or DELETE in it counts as writing (FOR UPDATE too: a rollback
    then is only slower, never wrong).
    """
    head = statement.lstrip()[:6].upper()
    if head == "SELECT":
        return True
    return head[:4] == "WITH" and not _WRITING.search(statement)


def planned_each_time(statement: str) -> bool:
    """Tell whether the statement must be planned for its own values (a search)."""
    return any(word in statement for word in PLANNED_EACH_TIME)


@event.listens_for(Engine, "begin")
def _start_read_only(connection) -> None:
    """Start each transaction as read-only until a statement says otherwise."""
    connection.info.pop(NOT_READ_ONLY, None)


@event.listens_for(Engine, "before_cursor_execute")
def _note_write(connection, _cursor, statement, _parameters, _context, _many) -> None:
    """Mark the transaction as not read-only on a statement that is not a SELECT."""
    if not is_read(statement):
        connection.info[NOT_READ_ONLY] = True


@event.listens_for(Engine, "handle_error")
def _note_failure(context) -> None:
    """Mark the transaction as not read-only when a statement failed in it."""
    if context.connection is not None:
        context.connection.info[NOT_READ_ONLY] = True


@event.listens_for(Engine, "do_execute")
def _run_search_unprepared(cursor, statement, parameters, context) -> bool:
    """Run a search statement on PostgreSQL without preparing it; leave the rest alone."""
    if context.dialect.name != "postgresql" or not planned_each_time(statement):
        return False
    if isinstance(getattr(cursor, "name", None), str):
        return False  # a server-side cursor (a streamed export) never prepares
    cursor.execute(statement, parameters, prepare=False)
    return True


def install_read_only_commit(app: Flask, db) -> None:
    """Commit, at the end of a request, a PostgreSQL transaction that only read."""

    # Registered after Flask-SQLAlchemy's own teardown, so it runs before the session's
    # removal (Flask runs the app context's teardowns in reverse order).
    @app.teardown_appcontext
    def commit_read_only(error: BaseException | None) -> None:
        """End a transaction that only read with COMMIT, keeping prepared statements."""
        if error is not None or not db.session.registry.has():
            return
        session = db.session()
        transaction = session.get_transaction()
        # Inactive: a failed flush left it to be rolled back, which the removal does.
        if transaction is None or not transaction.is_active:
            return
        if session.new or session.dirty or session.deleted:
            return
        connection = session.connection()
        if (connection.dialect.name != "postgresql" or connection.in_nested_transaction()
                or connection.info.get(NOT_READ_ONLY)):
            return
        # The session is removed next: expiring each record it loaded (a card or My day
        # holds a few hundred) would be work for nothing.
        expiring, session.expire_on_commit = session.expire_on_commit, False
        try:
            session.commit()
        except DBAPIError:
            session.rollback()
        finally:
            session.expire_on_commit = expiring
