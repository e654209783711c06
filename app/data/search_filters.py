"""The lists' filters: an index-friendly "starts with", typed amounts and dates, choices.

FAB's own filter writes `name ILIKE 'abc%'`, which no ordinary index serves: on a big
table the database reads rows one by one until it has found a page (or the count's cap).
Ours writes `lower(name) LIKE lower('abc') || '%'`, the same match, which PostgreSQL reads
from an index on lower(name) (text_pattern_ops, see app/models/indexes.py) as a range;
on SQLite it compares crm_lower(name), which folds Cyrillic as PostgreSQL does, as the
same range (the prefix and the prefix followed by the last character), which its index
on crm_lower(name) reads.

A column holding a code of a closed set (a client's status, a task's type) is filtered by
its code; the screens offer its translated labels in a select (app/views/choice_filters.py),
and a label typed in the filter's value (an old bookmark, the API) is read as its code.
"""

from datetime import datetime, time, timedelta
from decimal import Decimal
from weakref import WeakKeyDictionary

from flask_appbuilder.models.sqla.filters import (
    FilterContains,
    FilterEndsWith,
    FilterEqual,
    FilterGreater,
    FilterIn,
    FilterNotContains,
    FilterNotEndsWith,
    FilterNotEqual,
    FilterNotIn,
    FilterNotStartsWith,
    FilterSmaller,
    FilterStartsWith,
    SQLAFilterConverter,
    get_field_setup_query,
)
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy import func, inspect, literal, or_

from app.formatting import parse_date_text
from app.models.enums import code_of
from app.models.indexes import SQLITE_LOWER, lower_text

LAST_CHARACTER = chr(0x10FFFF)


class FoldedStartsWith(FilterStartsWith):
    """FAB's "Starts with", case-insensitive through lower() on both sides."""

    def apply(self, query, value):
        query, field = get_field_setup_query(query, self.model, self.column_name)
        text = str(value)
        # What is typed is a prefix, wildcards included (FAB would let "%" match anything).
        escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if self.datamodel.session.get_bind().dialect.name != "sqlite":
            return query.filter(
                func.lower(field).like(func.lower(literal(escaped)) + "%", escape="\\"))
        # SQLite's lower() leaves Cyrillic as it is ("иван" missed "Иванов"): crm_lower
        # folds like PostgreSQL's. SQLite reads its index for a range, never for LIKE; its
        # text compares byte by byte, so the prefix's rows form exactly this range (a LIKE
        # beside it only called crm_lower once more for every row it matched).
        folded, prefix = getattr(func, SQLITE_LOWER)(field), lower_text(text)
        return query.filter(folded >= prefix, folded < prefix + LAST_CHARACTER)


def numbers_of(values) -> list[Decimal]:
    """Return the numbers of an "in" filter (FAB gives it the list of its arguments)."""
    items = values if isinstance(values, list | tuple) else [values]
    return [Decimal(str(item).strip()) for item in items]


def _numeric(filter_class: type) -> type:
    """Return FAB's filter comparing an amount with a number, not with the typed text.

    FAB compares a numeric column with the text as typed: PostgreSQL has no
    `numeric = varchar` operator, so any amount filter failed there.
    """
    many = filter_class in (FilterIn, FilterNotIn)

    def apply(self, query, value):
        typed = numbers_of(value) if many else Decimal(str(value).strip())
        return filter_class.apply(self, query, typed)

    return type(f"Numeric{filter_class.__name__}", (filter_class,), {"apply": apply})


NUMERIC_FILTERS = {
    flt: _numeric(flt)
    for flt in (FilterEqual, FilterGreater, FilterSmaller, FilterNotEqual, FilterIn, FilterNotIn)
}


def _crm_filters(test: str, filters: list) -> list:
    filters = [FoldedStartsWith if flt is FilterStartsWith else flt for flt in filters]
    if test == "is_numeric":
        filters = [NUMERIC_FILTERS.get(flt, flt) for flt in filters]
    return filters


class LocalDateValue:
    """A date filter reading the date typed the user's way (FAB's reads 09.12 as 12 Sep)."""

    def apply(self, query, value):
        if isinstance(value, str):
            try:
                value = parse_date_text(value) or value
            except (ValueError, OverflowError):
                pass  # FAB's own reading then finds nothing it can compare
        return super().apply(query, value)


class LocalDayFilter:
    """A date-time filter given a day typed the user's way: the whole day, before or after it.

    FAB compares the column with the exact instant, so "equal to 09.12.2026" found only
    tasks due at midnight (and read 09.12 as 12 September).
    """

    def apply(self, query, value):
        moment = _moment(value)
        if moment is not None:
            return self._apply_moment(query, moment)
        try:
            day = parse_date_text(value) if isinstance(value, str) else None
        except (ValueError, OverflowError):
            day = None
        if day is None:
            return super().apply(query, value)
        query, field = get_field_setup_query(query, self.model, self.column_name)
        start = datetime.combine(day, time())
        end = start + timedelta(days=1)
        if self.arg_name == "eq":
            return query.filter(field >= start, field < end)
        if self.arg_name == "neq":
            return query.filter(or_(field < start, field >= end))
        if self.arg_name == "gt":
            return query.filter(field >= end)
        return query.filter(field < start)


    def _apply_moment(self, query, moment: datetime):
        """Compare with an exact moment: before it ("lt"), from it on ("gt"), or at it.

        The team day's links carry the moment its figures were counted at, so that the list
        shows exactly the rows counted: overdue is "due before now", today's "from now on".
        """
        query, field = get_field_setup_query(query, self.model, self.column_name)
        if self.arg_name == "lt":
            return query.filter(field < moment)
        if self.arg_name == "gt":
            return query.filter(field >= moment)
        if self.arg_name == "neq":
            return query.filter(field != moment)
        return query.filter(field == moment)


def _moment(value) -> datetime | None:
    """Return the moment of an ISO date-time text (2026-12-10T14:30:00), else None."""
    if not isinstance(value, str) or "T" not in value:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    # Times are stored naive in the team's zone (app/models/mixins.py: local_now).
    return moment.replace(tzinfo=None)


def _localised(mixin, filters: list) -> list:
    return [type(flt.__name__, (mixin, flt), {}) for flt in filters]


def _converted(test: str, filters: list) -> list:
    filters = _crm_filters(test, filters)
    if test == "is_date":
        return _localised(LocalDateValue, filters)
    if test == "is_datetime":
        return _localised(LocalDayFilter, filters)
    return filters


class ChoiceValue:
    """A filter on a code column that reads a label typed in the user's language as its code."""

    def apply(self, query, value):
        return super().apply(query, self._code(value))

    def _code(self, value):
        if isinstance(value, list | tuple):
            return [self._code(item) for item in value]
        enum_class = self.datamodel.choices_of(self.column_name)
        return code_of(enum_class, value) if enum_class is not None else value


# "Equal to" and "not equal to" first: the screens offer only those two with their select
# of labels (the operator's position is its number in the URL). The rest stay for the API,
# which accepted them on these columns before they became choices.
CHOICE_FILTERS = [
    type(flt.__name__, (ChoiceValue, flt), {})
    for flt in (FilterEqual, FilterNotEqual, FoldedStartsWith, FilterEndsWith, FilterContains,
                FilterNotStartsWith, FilterNotEndsWith, FilterNotContains, FilterIn, FilterNotIn)
]
CHOICE_OPERATORS_SHOWN = 2


# Per data interface: each column's filters, as made the first time they were asked for.
_MADE: WeakKeyDictionary = WeakKeyDictionary()


class CrmFilterConverter(SQLAFilterConverter):
    """FAB's filters for each column type: an index-friendly "starts with", typed amounts."""

    conversion_table = (
        ("is_choice", CHOICE_FILTERS),
        *((test, _converted(test, filters))
          for test, filters in SQLAFilterConverter.conversion_table),
    )

    def convert(self, col_name):
        """Return the column's filters, made once per data interface and column.

        FAB asks for every column's filters each time it copies a set of filters (a
        record's lookup, a list's query: 0.6 to 0.8 ms a page). A filter holds its column
        and interface only, so the same ones serve every copy; the list is new each time,
        for FAB adds a view's own filters to it.
        """
        made = _MADE.setdefault(self.datamodel, {})
        if col_name not in made:
            made[col_name] = super().convert(col_name)
        found = made[col_name]
        return list(found) if found is not None else None


class ChoiceColumns:
    """A data interface mixin: which columns hold a code of a closed set (`info["choices"]`)."""

    def choices_of(self, col_name: str):
        """Return the enum whose codes the column holds, or None."""
        column = inspect(self.obj).columns.get(col_name)
        return column.info.get("choices") if column is not None else None

    def is_choice(self, col_name: str) -> bool:
        """Tell whether the column holds a code of a closed set."""
        return self.choices_of(col_name) is not None


class LocalFilterInterface(ChoiceColumns, SQLAInterface):
    """FAB's data interface with the CRM's filters, for screens outside the scoped lists."""

    filter_converter_class = CrmFilterConverter
