"""Values of FAB's list filters (`?_flt_<n>_<column>=`) the database can compare.

FAB hands a filter's text to SQL as it is for amounts and flags, and as an unbounded
integer for ids: `amount=abc`, `1e400`, `active=n` or `owner=99999999999` fail in the
database (a 500, on PostgreSQL also midway through a streamed export). A value the column
cannot hold is dropped here, with a message saying so, and the list shows without that
filter.
"""

from decimal import Decimal, InvalidOperation

from dateutil import parser as date_parser
from flask import current_app, flash, request
from flask_babel import lazy_gettext as _l

from app.services.rules.validation import FIRST_YEAR, LAST_YEAR, MAX_ID

# Amounts are below 10^12 (validation.clean_amount); filters get some headroom.
MAX_NUMBER = Decimal("1e15")


def view_of_request():
    """Return the FAB view serving this request, or None."""
    name = (request.endpoint or "").split(".")[0]
    for view in current_app.appbuilder.baseviews:
        if getattr(view, "endpoint", None) == name:
            return view
    return None


def _is_id(text: str) -> bool:
    text = text.strip()
    return text.isascii() and text.isdigit() and 0 < int(text) <= MAX_ID


def _is_integer(text: str) -> bool:
    text = text.strip().removeprefix("-")
    return text.isascii() and text.isdigit() and int(text) <= MAX_ID


def _is_number(text: str) -> bool:
    try:
        number = Decimal(text.strip())
    except InvalidOperation:
        return False
    return number.is_finite() and abs(number) < MAX_NUMBER


def _is_date(text: str) -> bool:
    try:
        moment = date_parser.parse(text)
    except (ValueError, OverflowError):
        return False
    return FIRST_YEAR <= moment.year <= LAST_YEAR


def _check_for(datamodel, column: str):
    """Return the test a value of this column must pass, or None for text."""
    if datamodel.is_relation(column):
        return _is_id
    if datamodel.is_integer(column):
        return _is_integer
    if datamodel.is_numeric(column) or datamodel.is_float(column):
        return _is_number
    if datamodel.is_date(column) or datamodel.is_datetime(column):
        return _is_date
    if datamodel.is_boolean(column):
        # FAB turns "y" into true and hands anything else to SQL as text: on PostgreSQL
        # `boolean = varchar` fails.
        return lambda text: text == "y"
    return None


def acceptable(key: str, value: str) -> bool:
    """Tell whether the filter argument can reach the database; flash why not otherwise."""
    index, _, column = key[len("_flt_"):].partition("_")
    view = view_of_request()
    search = getattr(view, "_filters", None)
    filters = search.get_search_filters() if search is not None else {}
    if not index.isdigit() or column not in filters:
        return True  # FAB ignores filters it does not know
    check = _check_for(view.datamodel, column)
    if check is None:
        return True
    if check(value):
        return True
    label = view.label_columns.get(column, column)
    flash(str(_l("Filter «%(field)s»: «%(value)s» is not a value it can take; the list is "
                 "shown without it.", field=label, value=value[:40])), "warning")
    return False
