"""Field types the API's schemas share: team-local times, money, text without control bytes."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app
from marshmallow import ValidationError, fields, validate

# The ids and times the API accepts are those of every other entry point.
from app.services.rules.validation import EARLIEST, LATEST, MAX_ID

# Free text (notes, results) has no column limit; the API still refuses novels.
MAX_TEXT = 10_000


def team_zone() -> ZoneInfo:
    """Return the team's time zone, in which the CRM stores every time without an offset."""
    return ZoneInfo(current_app.config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


class NoControlCharacters(validate.Validator):
    """Refuse text holding control characters other than tabs and line breaks."""

    error = "Must not contain control characters."

    def __call__(self, value: str) -> str:
        """Return the text unchanged.

        :raise ValidationError: if it holds one (PostgreSQL cannot store a NUL byte).
        """
        if any(ord(char) < 32 and char not in "\t\n\r" for char in value):
            raise ValidationError(self.error)
        return value


class Text(fields.String):
    """A string without control characters, at most `max_length` characters long."""

    def __init__(self, max_length: int = MAX_TEXT, **kwargs) -> None:
        validators = [validate.Length(max=max_length), NoControlCharacters()]
        super().__init__(validate=validators + list(kwargs.pop("validate", None) or []),
                         **kwargs)


class Id(fields.Integer):
    """The id of another record: a positive 32-bit integer."""

    def __init__(self, **kwargs) -> None:
        super().__init__(strict=True, validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class LocalDateTime(fields.DateTime):
    """A time of the team: shown with the team's offset, stored without one.

    A time sent without an offset is taken as the team's local time; one with an offset
    is converted to it.
    """

    def __init__(self, **kwargs) -> None:
        # Years a sales team plans in; also keeps every offset a whole minute (RFC 3339).
        limits = validate.Range(min=EARLIEST, max=LATEST)
        super().__init__(validate=[limits, *list(kwargs.pop("validate", None) or [])],
                         **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        if value is None:
            return None
        moment = value if value.tzinfo is not None else value.replace(tzinfo=team_zone())
        offset = moment.utcoffset()
        if offset is not None and offset.seconds % 60:  # a local mean time of long ago
            try:
                moment = moment.astimezone(UTC)
            except OverflowError:  # a time stored before the range checks, at year 1
                return value.replace(tzinfo=None).isoformat()
        return moment.isoformat()

    def _deserialize(self, value, attr, data, **kwargs) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        if moment.tzinfo is None:
            return moment
        try:
            return moment.astimezone(team_zone()).replace(tzinfo=None)
        except (OverflowError, ValueError) as error:
            raise self.make_error("invalid", input=value, obj_type="datetime") from error


class Money(fields.Decimal):
    """An amount with two decimals, written as a string so that no cent is lost."""

    def __init__(self, **kwargs) -> None:
        metadata = {"type": "string", "format": "decimal", "example": "150000.00"}
        super().__init__(places=2, as_string=True, allow_nan=False, metadata=metadata,
                         **kwargs)

