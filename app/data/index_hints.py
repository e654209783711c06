"""SQLite's INDEXED BY through SQLAlchemy's `with_hint(table, text, "sqlite")`.

SQLAlchemy renders table hints for the dialects that have them in their SQL (Oracle,
MySQL, SQL Server) and drops them silently for SQLite, whose planner nevertheless takes
`FROM task INDEXED BY ix_name`. With this, a hint given for "sqlite" is written after the
table's name there, and nowhere else.
"""

from sqlalchemy.dialects.sqlite.base import SQLiteCompiler


def _from_hint_text(_compiler, _table, text: str | None) -> str | None:
    return text


def install() -> None:
    """Let SQLite queries carry their `with_hint(..., "sqlite")` (idempotent)."""
    SQLiteCompiler.get_from_hint_text = _from_hint_text
