"""FAB's data interface with the visibility rule and eager loading built in."""

import math
from collections.abc import Iterable

from flask import g, has_request_context
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import asc, desc, func, inspect, literal_column, select
from sqlalchemy.orm import selectinload

from app.data import index_hints
from app.data.search_filters import ChoiceColumns, CrmFilterConverter, FoldedStartsWith
from app.services.rules import archive, saving
from app.services.rules.visibility import scope_query, sees_everything

# SQLite, a prefix search matching more rows than this (the lists' count cap) walks the
# sort's index for its first pages, up to WALK_MOST rows in (see _sort_index_to_walk).
COMMON_PREFIX = 10_000
WALK_MOST = 250
# A manager's book, as large as the benchmark's biggest (a third of 155,000 deals): in a
# book, walking pays from fewer matches (see _sort_index_to_walk).
BOOK_ROWS = 50_000
# Who created and last changed a record: loaded when asked for, never beforehand.
AUDIT_RELATIONS = frozenset({"created_by", "changed_by"})
index_hints.install()


def acting_user():
    """Return the logged-in user of this request, or None outside a request."""
    if has_request_context():
        return getattr(g, "user", None)
    return None


class ScopedInterface(ChoiceColumns, SQLAInterface):
    """Every list, show, edit, delete, action, related list and dropdown passes through here.

    Rows the acting user may not see are filtered out in SQL; a foreign id simply is not
    found (404). Many-to-one relations are loaded in one extra query per relation, never
    one per row. Deleting archives. "Starts with" searches go through an index.
    """

    filter_converter_class = CrmFilterConverter

    def __init__(self, obj, session=None) -> None:
        super().__init__(obj, session)

    def _apply_inner_all(self, query, filters=None, *args, **kwargs):
        if has_request_context():
            query = scope_query(query, self.obj, acting_user())
        return super()._apply_inner_all(query, filters, *args, **kwargs)

    def eager_options(self, relations: Iterable[str] | None = None) -> list:
        """Return the options loading many-to-one relations in one query each.

        Only the named relations when `relations` is given (a list loads what it shows),
        every one but who created and last changed the record otherwise (no card, form or
        dialog shows them: two statements a record saved). Relations the model already
        joins need nothing.
        """
        wanted = None if relations is None else set(relations)
        return [
            selectinload(getattr(self.obj, rel.key))
            for rel in inspect(self.obj).relationships
            if rel.direction.name == "MANYTOONE"
            and rel.lazy != "joined"
            and (rel.key in wanted if wanted is not None else rel.key not in AUDIT_RELATIONS)
        ]

    def apply_all(self, query, *args, **kwargs):
        query = super().apply_all(query, *args, **kwargs)
        options = self.eager_options()
        return query.options(*options) if options else query

    def count_capped(self, filters, cap: int) -> int:
        """Count the visible rows matching `filters`, stopping at `cap` + 1.

        An exact total of a big table costs a scan of every matching row on every page;
        the list only needs to know whether there are more than `cap`.
        """
        query = self._apply_inner_all(self.session.query(self.obj), filters, aliases_mapping={})
        # A constant, not the id: the database may then count from the index alone.
        rows = query.with_entities(literal_column("1")).limit(cap + 1).subquery()
        return self.session.scalar(select(func.count()).select_from(rows)) or 0

    def page(
        self,
        filters,
        order_column: str,
        order_direction: str,
        page: int | None,
        page_size: int,
        eager: Iterable[str] | None = None,
        matching: int = 0,
    ) -> list:
        """Return one page of the visible rows, with the named relations loaded.

        The page's ids come first, read from the sort's index alone: a far page skips
        thousands of index entries, not thousands of rows. Then those rows are loaded.
        `matching` is how many rows the filters match (the list's capped count).
        """
        pk = self.get_pk()
        query = self._apply_inner_all(
            self.session.query(self.obj),
            filters,
            order_column,
            order_direction,
            page,
            page_size,
            aliases_mapping={},
        ).with_entities(pk)
        walked = self._sort_index_to_walk(filters, order_column, page, page_size, matching)
        if walked:
            query = query.with_hint(self.obj, f"INDEXED BY {walked}", "sqlite")
        matched_first = self._matched_first(filters, order_column, order_direction, page,
                                            page_size, matching)
        ids = [row_id for (row_id,) in (matched_first if matched_first is not None else query)]
        if not ids:
            return []
        rows = self.session.query(self.obj).filter(pk.in_(ids)).options(
            *self.eager_options(eager)
        )
        position = {row_id: number for number, row_id in enumerate(ids)}
        return sorted(rows, key=lambda row: position[getattr(row, pk.key)])

    def _matched_first(self, filters, order_column: str, order_direction: str,
                       page: int | None, page_size: int, matching: int):
        """Return PostgreSQL's page of a prefix search on the sorted column, read by prefix.

        Searching the column the list is sorted by ("Иван" in last names, by last name),
        PostgreSQL expected the matches spread along the sort's index and walked it from
        "А": 70,000 entries before the first "Иван" (15 ms). The matches (at most the
        count cap, the count says how many) are read through the prefix's own index
        first, then sorted. None when this does not apply.
        """
        table = self.obj.__table__
        if (not 0 < matching <= COMMON_PREFIX or order_column not in table.c
                or self.session.get_bind().dialect.name != "postgresql"
                or not any(isinstance(flt, FoldedStartsWith) and flt.column_name == order_column
                           for flt in filters.filters)):
            return None
        pk = self.get_pk()
        matched = (
            self._apply_inner_all(self.session.query(self.obj), filters, aliases_mapping={})
            .with_entities(pk.label("id"), table.c[order_column].label("sort_value"))
            .cte("matched").prefix_with("MATERIALIZED")
        )
        direction = desc if order_direction == "desc" else asc
        return self.session.execute(
            select(matched.c.id)
            .order_by(direction(matched.c.sort_value), direction(matched.c.id))
            .offset((page or 0) * page_size).limit(page_size))

    def _sort_index_to_walk(self, filters, order_column: str, page: int | None,
                            page_size: int, matching: int) -> str | None:
        """Name the sort's index for SQLite to walk when a prefix search matches many rows.

        SQLite cannot tell how many rows a prefix matches (no histograms), so it always
        reads them all through the prefix's index and sorts them: 240 ms for the tasks
        starting with "Позвонить" at a million tasks. Walking the sort's index and
        checking the prefix row by row finds a near page of a common prefix in a few
        hundred rows; for a rare prefix, or a far page, the prefix's index stays better.

        The walk visits about rows x page end / matches rows, the prefix's index every
        match (and the table for the sort): in a manager's book the two are even at
        sqrt(BOOK_ROWS x page end) matches, 1,100 for the first page (a manager's 2,800
        deals starting with "Поставка": 6.5 ms read by prefix, 0.25 ms walked). The head
        walks only past the count's cap, as a whole table needs more matches; so does a
        list sorted by the column searched, whose matches lie together, not spread along
        the walk ("Иван" in last names sorted by last name: from "А" to "Иван" first).
        """
        end = ((page or 0) + 1) * page_size
        if (end > WALK_MOST or self.session.get_bind().dialect.name != "sqlite"
                or not any(isinstance(flt, FoldedStartsWith) for flt in filters.filters)):
            return None
        table = self.obj.__table__
        if order_column not in table.c:
            return None
        user = acting_user()
        mine = "owner_" if user is not None and not sees_everything(user) else ""
        spread = not any(isinstance(flt, FoldedStartsWith) and flt.column_name == order_column
                         for flt in filters.filters)
        common = (min(COMMON_PREFIX, math.isqrt(BOOK_ROWS * end)) if mine and spread
                  else COMMON_PREFIX)
        if matching <= common:
            return None
        name = f"ix_{table.name}_{mine}archived_{order_column}"
        return name if name in {index.name for index in table.indexes} else None

    def delete(self, item, commit: bool = True) -> archive.Batch | None:
        """Archive instead of deleting, with what hangs on it; return the archived batch.

        The record and its dependents leave every list but stay restorable (from the
        archive, by Head or Admin). FAB's own callers ignore the result (its delete
        returns None); our screen reads it to say what went with the record. A model
        without an archive flag is deleted as FAB does, and there is no batch.
        """
        if not hasattr(item, "archived"):
            super().delete(item, commit)
            return None
        batch = saving.archive_record(self.session, acting_user(), item)
        super().edit(item, commit)
        return batch
