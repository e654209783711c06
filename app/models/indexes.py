"""Indexes serving the lists' sorts: one for a manager's own rows and one for everyone's.

A list shows the not archived rows (of one owner, for a manager) in the order of the
column clicked, then of the id (FAB's tie-breaker, so that pages never overlap); with
(owner_id, archived, column, id) and (archived, column, id) the database reads a page
straight from the index instead of sorting every row that shares a value.
"""

from collections.abc import Iterator

from sqlalchemy import Index, func, literal_column, text
from sqlalchemy import column as named_column


def sort_indexes(table: str, *columns: str) -> Iterator[Index]:
    """Yield a manager's and the head's sort index for each column of the table's list."""
    for column in columns:
        yield Index(f"ix_{table}_owner_archived_{column}", "owner_id", "archived", column, "id")
        yield Index(f"ix_{table}_archived_{column}", "archived", column, "id")


# SQLite's own lower() leaves every letter past ASCII as it is ("Иванов" stays capital):
# the app registers this function on each SQLite connection (app/__init__.py) and the
# "starts with" indexes and filters of SQLite use it. PostgreSQL's lower() folds Cyrillic.
SQLITE_LOWER = "crm_lower"


def lower_text(value):
    """Return text in lower case, as PostgreSQL's lower() writes it (SQLite's crm_lower)."""
    return value.lower() if isinstance(value, str) else value


def search_indexes(column) -> tuple[Index, Index]:
    """Add to the column's table the indexes serving "starts with" on it (own and all rows).

    The search compares lower(column) with a prefix (app/data/search_filters.py);
    text_pattern_ops lets PostgreSQL read such a prefix as a range whatever the collation.
    On SQLite the same two indexes are built on crm_lower(column) by migration 0019 (its
    own lower() leaves Cyrillic as it is); Alembic cannot read SQLite's expression
    indexes back, so the models state PostgreSQL's form.
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


def name_words_index(table: str) -> Index:
    """Return the index of the words of the table's folded name (search_keys.py), PostgreSQL.

    A full-text GIN index over the words as they are ('simple': no stemming, no stop
    words): "a word starts with" is a prefix query (`word:*`), which reads the index's
    words of that start only (app/services/rules/name_words.py). SQLite finds the words
    through the FTS5 table `<table>_fts` the migrations build beside the table.
    """
    words = func.to_tsvector(literal_column("'simple'::regconfig"),
                          named_column("search_name"))
    return Index(f"ix_{table}_search_words", words,
                 postgresql_using="gin").ddl_if(dialect="postgresql")


def name_start_indexes(table: str) -> tuple[Index, Index]:
    """Return the indexes of "the name starts with" in name order (own rows and all rows).

    The search box lists first the names starting with what was typed, in name order: a
    common start ("ип", "ооо") matches thousands of names, and the trigram index would
    hand them all over to be sorted for the first five. These read them in order.
    """
    ops = {"search_name": "text_pattern_ops"}
    return (
        Index(f"ix_{table}_owner_archived_search_name", "owner_id", "archived", "search_name",
              "id", postgresql_ops=ops),
        Index(f"ix_{table}_archived_search_name", "archived", "search_name", "id",
              postgresql_ops=ops),
    )


def filled(column: str) -> dict:
    """Return the options of a partial index holding the rows where the column has a value.

    Many records lack a second phone or e-mail: in a full index their NULLs make one huge
    group, and SQLite's statistics then judge the whole index useless and scan the table.
    `column = ?` and `column LIKE 'x%'` imply the condition, so both databases use it.
    """
    condition = text(f"{column} IS NOT NULL")
    return {"sqlite_where": condition, "postgresql_where": condition}


def key_indexes(table: str, phones: tuple[str, ...], emails: tuple[str, ...]) -> Iterator[Index]:
    """Yield the indexes of the phone (E.164 and reversed digits) and e-mail keys."""
    for phone in phones:
        yield Index(f"ix_{table}_{phone}_e164", f"{phone}_e164", **filled(f"{phone}_e164"))
        # A prefix of the reversed digits: text_pattern_ops lets PostgreSQL's LIKE use it.
        yield Index(f"ix_{table}_{phone}_tail", f"{phone}_tail",
                    postgresql_ops={f"{phone}_tail": "text_pattern_ops"},
                    **filled(f"{phone}_tail"))
    for email in emails:
        yield Index(f"ix_{table}_{email}_key", f"{email}_key", **filled(f"{email}_key"))


# SQLite's FTS5 tables of the name search and the shadow tables FTS5 keeps for them:
# built by the migration, invisible to SQLAlchemy's metadata (a virtual table has no model).
FTS_TABLES = ("company_fts", "contact_fts", "deal_fts")


def is_text_index_table(name: str | None) -> bool:
    """Tell whether a table belongs to the name search's FTS5 index (SQLite only)."""
    return any(name == table or (name or "").startswith(f"{table}_") for table in FTS_TABLES)
