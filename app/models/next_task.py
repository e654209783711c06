"""The stored date of a client's or deal's next planned task, and the indexes reading it.

`next_task_at` on a company, contact and deal is the earliest due time of its planned,
not archived tasks (NULL when it has none); app/services/rules/next_task.py keeps it right.
The queue "without a next task" asks for live records whose date is NULL: the partial
indexes below hold just those rows (deals by stage, the open ones being asked for), with
the owner and the id, so the queue, its counter and the report find the waiting records
by reading a small index alone, whatever the size of the table.
"""

from datetime import datetime

from sqlalchemy import DateTime, Index, text
from sqlalchemy.orm import Mapped, mapped_column

# SQLite matches a partial index only when the query repeats its condition as written,
# and SQLAlchemy writes `archived == false()` as `archived = 0` there.
_WITHOUT = {
    "sqlite": "next_task_at IS NULL AND archived = 0",
    "postgresql": "next_task_at IS NULL AND archived = false",
}


# The queue's own rows, what is asked of them and who owns them: the condition's columns
# first, so that SQLite too sees the index fits (its rows are the few waiting ones).
QUEUE_COLUMNS = ("archived", "next_task_at", "owner_id", "id")
# The live condition of companies and of private clients (followup.queue_filter writes it
# into its SQL the same way).
LIVE = " AND status IN ('potential', 'active')"
PRIVATE_LIVE = " AND company_id IS NULL" + LIVE


def without_next_task_index(name: str, *columns: str, extra: str = "") -> Index:
    """Return a partial index over the not archived rows that have no next task."""
    condition = {dialect: where + extra for dialect, where in _WITHOUT.items()}
    return Index(
        name,
        *columns,
        sqlite_where=text(condition["sqlite"]),
        postgresql_where=text(condition["postgresql"]),
    )


def next_task_sort_indexes(table: str) -> tuple[Index, Index]:
    """Return the indexes that sort a manager's and everyone's list by next task."""
    return (
        Index(f"ix_{table}_owner_archived_next_task", "owner_id", "archived", "next_task_at",
              "id"),
        Index(f"ix_{table}_archived_next_task", "archived", "next_task_at", "id"),
    )


class NextTaskMixin:
    """The earliest due time of the record's planned, not archived tasks (NULL: none)."""

    next_task_at: Mapped[datetime | None] = mapped_column(DateTime)
