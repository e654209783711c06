"""Check the rison argument `q` (filters, paging) before FAB or the database sees it."""

import functools
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

import prison
from flask import request
from flask_appbuilder.api import rison
from flask_appbuilder.exceptions import FABException
from flask_babel import lazy_gettext as _l
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, inspect

from app.api.fields import team_zone
from app.models.enums import code_of
from app.services.rules.validation import MAX_AMOUNT, MAX_ID

LIST_OPERATIONS = frozenset({"in", "not_in"})


class InvalidFilterValue(FABException):
    """A filter value does not fit its column; the list answers 400 with this message."""


def _integer(value) -> int:
    number = int(value)
    if abs(number) > MAX_ID:
        raise ValueError(value)
    return number


def _amount(value) -> Decimal:
    amount = Decimal(str(value))
    if not amount.is_finite() or abs(amount) >= MAX_AMOUNT:
        raise ValueError(value)
    return amount


def _scalar(column, value):
    kind = column.type
    if isinstance(value, bool) and not isinstance(kind, Boolean):
        raise ValueError(value)
    if isinstance(kind, Integer):
        return _integer(value)
    if isinstance(kind, Numeric):
        return _amount(value)
    if isinstance(kind, DateTime):
        moment = datetime.fromisoformat(str(value))
        if moment.tzinfo is not None:
            moment = moment.astimezone(team_zone()).replace(tzinfo=None)
        return moment
    if isinstance(kind, Date):
        return date.fromisoformat(str(value))
    if isinstance(kind, Boolean):
        if not isinstance(value, bool):
            raise ValueError(value)
        return value
    if isinstance(kind, String):
        if not isinstance(value, str | int | float) or "\x00" in str(value):
            raise ValueError(value)
        enum_class = column.info.get("choices")
        # A code, or its label in the user's language (what the screens show).
        return code_of(enum_class, str(value)) if enum_class is not None else str(value)
    raise ValueError(value)


def typed_filter(model, item: dict) -> dict:
    """Return the filter with its value converted to the column's type.

    :raise InvalidFilterValue: if the value cannot be one of the column's values.
    """
    name = item.get("col")
    column = inspect(model).columns.get(name) if isinstance(name, str) else None
    if column is None or "value" not in item:
        return item  # FAB refuses unknown columns and incomplete filters itself
    value = item["value"]
    try:
        if item.get("opr") in LIST_OPERATIONS:
            if not isinstance(value, list):
                raise ValueError(value)
            typed = [_scalar(column, element) for element in value]
        else:
            typed = _scalar(column, value)
    except (ValueError, TypeError, InvalidOperation, OverflowError) as error:
        raise InvalidFilterValue(
            str(_l("Filter on %(column)s: not a valid value.", column=name))
        ) from error
    return {**item, "value": typed}


def rison_arguments(schema: dict):
    """Decorate a route like FAB's `rison`, answering 400 where FAB's parser would crash.

    prison raises ValueError (not its ParserException) on some numbers, such as "1e+9";
    FAB catches only the latter and answers 500.
    """

    def decorate(route):
        parsed = rison(schema)(route)

        @functools.wraps(route)
        def wraps(self, *args, **kwargs):
            value = request.args.get("q")
            if value:
                try:
                    prison.loads(value)
                except prison.decoder.ParserException:
                    pass  # FAB tries it as JSON, then answers 400 itself
                except (ValueError, TypeError, IndexError, RecursionError):
                    return self.response_400(message="Not a valid rison argument")
            return parsed(self, *args, **kwargs)

        return wraps

    return decorate
