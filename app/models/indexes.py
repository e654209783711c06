"""Indexes serving the lists' sorts: one for a manager's own rows and one for everyone's.

A list shows the not archived rows (of one owner, for a manager) in the order of the
column clicked, then of the id (FAB's tie-breaker, so that pages never overlap); with
(owner_id, archived, column, id) and (archived, column, id) the database reads a page
straight from the index instead of sorting every row that shares a value.
"""

from collections.abc import Iterator

from sqlalchemy import Index, func


def sort_indexes(table: str, *columns: str) -> Iterator[Index]:
    """Yield a manager's and the head's sort index for each column of the table's list."""
    for column in columns:
        yield Index(f"ix_{table}_owner_archived_{column}", "owner_id", "archived", column, "id")
        yield Index(f"ix_{table}_archived_{column}", "archived", column, "id")


def search_indexes(column) -> tuple[Index, Index]:
    """Add to the column's table the indexes serving "starts with" on it (own and all rows).

    The search compares lower(column) with a prefix (app/data/search_filters.py);
    text_pattern_ops lets PostgreSQL read such a prefix as a range whatever the collation.
    """
    columns = column.table.c
    folded = func.lower(column).label(f"{column.key}_folded")
    ops = {folded.name: "text_pattern_ops"}
    # The column itself rides along, so that a count reads the index alone.
    include = [column.key]
    return (
        Index(f"ix_{column.table.name}_owner_archived_{column.key}_folded", columns.owner_id,
              columns.archived, folded, postgresql_ops=ops, postgresql_include=include),
        Index(f"ix_{column.table.name}_archived_{column.key}_folded", columns.archived, folded,
              postgresql_ops=ops, postgresql_include=include),
    )
