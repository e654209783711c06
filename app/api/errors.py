"""How refusals reach an API client: `{"message": {field: [text]}}`, in the user's language."""

import re

from flask_babel import lazy_gettext as _l

from app.services.errors import DomainError

# The services name form fields; the API names its own (ids for relations).
API_FIELDS = {
    "owner": "owner_id",
    "company": "company_id",
    "contact": "contact_id",
    "deal": "deal_id",
    "stage": "stage_id",
    "deal_stage": "deal_stage_id",
    "next_subject": "next_task",
    "next_due_at": "next_task",
    "next_type": "next_task",
}
WHOLE_REQUEST = "_schema"

STALE_RECORD = _l("Someone has just changed this record. Look at it again and retry.")
NOT_SAVED = _l("The record could not be saved. Please try again.")

# marshmallow's messages, said again in the user's language.
_SCHEMA_MESSAGES = {
    "Unknown field.": _l("Unknown field."),
    "Missing data for required field.": _l("This field is required."),
    "Field may not be null.": _l("This field cannot be null."),
    "Not a valid integer.": _l("Not a valid integer."),
    "Not a valid string.": _l("Not a valid string."),
    "Not a valid number.": _l("Not a valid number."),
    "Special numeric values (nan or infinity) are not permitted.": _l("Not a valid number."),
    "Not a valid boolean.": _l("Not a valid boolean."),
    "Not a valid date.": _l("Not a valid date."),
    "Not a valid datetime.": _l("Not a valid date and time."),
    "Invalid input type.": _l("Expected an object."),
    "Invalid type.": _l("Expected an object."),
    "Must not contain control characters.": _l("Must not contain control characters."),
}
_SCHEMA_PATTERNS = (
    (re.compile(r"Longer than maximum length (?P<max>\d+)\.\Z"),
     lambda match: _l("At most %(max)s characters.", max=match["max"])),
    (re.compile(r"Must be greater than or equal to (?P<min>.+) and less than or equal to "
                r"(?P<max>.+)\.\Z"),
     lambda match: _l("Must be between %(min)s and %(max)s.", min=match["min"],
                      max=match["max"])),
    (re.compile(r"Must be one of: (?P<choices>.*)\.\Z"),
     lambda match: _l("Must be one of: %(choices)s.", choices=match["choices"])),
)


def api_field(field: str | None) -> str:
    """Return the API's name of a field the services named (or "_schema" for none)."""
    if not field:
        return WHOLE_REQUEST
    return API_FIELDS.get(field, field)


def domain_messages(error: DomainError) -> dict[str, list[str]]:
    """Return the refusal of a rule as the API's message body."""
    return {api_field(error.field): [str(error.message)]}


def field_messages(field: str, message) -> dict[str, list[str]]:
    """Return one message on one field as the API's message body."""
    return {field: [str(message)]}


def _translate(text: str) -> str:
    known = _SCHEMA_MESSAGES.get(text)
    if known is not None:
        return str(known)
    for pattern, message in _SCHEMA_PATTERNS:
        match = pattern.match(text)
        if match:
            return str(message(match))
    return text


def schema_messages(messages):
    """Return marshmallow's error messages (nested dicts and lists) translated."""
    if isinstance(messages, dict):
        return {str(key): schema_messages(value) for key, value in messages.items()}
    if isinstance(messages, list | tuple):
        return [schema_messages(value) for value in messages]
    return _translate(str(messages))


# ---- optimistic locking (added with the archive and history work) ----

def seen_version(body_version: int | None, if_match: str | None) -> int | None:
    """Return the version the client read: the body's `version`, else the If-Match header.

    If-Match carries it as an entity tag: `"3"` or `W/"3"`; anything else is ignored.
    """
    if body_version is not None:
        return body_version
    tag = (if_match or "").strip().removeprefix("W/").strip('"')
    return int(tag) if tag.isdigit() else None


def stale_messages(session, record, version: int) -> dict[str, list[str]]:
    """Return the 409 body for a save based on `version`: each field changed since, its value."""
    from app.labels import LABELS
    from app.services.queries.timeline import stale_record

    return field_messages("version", stale_record(session, record, version, LABELS).message)
