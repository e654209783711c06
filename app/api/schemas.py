"""Marshmallow schemas of the API, built from each resource's column lists.

Reading dumps plain columns (ids for relations); writing loads a dict that the API
applies to the record itself, so that every rule runs in the service layer.
"""

from enum import StrEnum

from marshmallow import Schema, fields, validate
from sqlalchemy import Boolean, Date, DateTime, Integer, Numeric, String, inspect

from app.api.fields import MAX_TEXT, Id, LocalDateTime, Money, Text
from app.models.enums import TaskType

# Where a column's value comes from when the API does not get it.
DEFAULTED_COLUMNS = frozenset({"owner_id"})  # the creator, or the parent record's owner


class NextTaskSchema(Schema):
    """The next (or first) task planned in the same request."""

    type = fields.String(
        load_default=TaskType.CALL.value,
        validate=validate.OneOf([member.value for member in TaskType]),
        metadata={"description": "call, meeting, email or other (call by default)."},
    )
    subject = Text(max_length=255, required=True, metadata={"example": "Call back"})
    due_at = LocalDateTime(
        required=True,
        metadata={"description": "The team's local time when sent without an offset.",
                  "example": "2026-12-01T10:00:00"},
    )


class CompleteTaskSchema(Schema):
    """What happened, and what comes next: a next task, or closing the client or deal."""

    result = Text(max_length=5000, metadata={"description": "Required unless cancelling."})
    cancel = fields.Boolean(load_default=False,
                            metadata={"description": "Cancel the task instead of doing it."})
    next_task = fields.Nested(NextTaskSchema)
    client_status = fields.String(
        allow_none=True, validate=validate.OneOf(["lost"]),
        metadata={"description": "lost: the client is lost (needs lost_reason)."},
    )
    lost_reason = Text(max_length=255, allow_none=True)
    deal_stage_id = Id(allow_none=True,
                       metadata={"description": "Move the task's deal to this stage."})


def _column_field(model, name: str, *, load: bool) -> fields.Field:
    """Return the marshmallow field for one column of the model."""
    column = inspect(model).columns.get(name)
    if column is None:  # a computed attribute, shown only
        return fields.String(dump_only=True)
    required = load and not column.nullable and column.default is None and (
        name not in DEFAULTED_COLUMNS
    )
    options = {"required": required, "allow_none": column.nullable}
    if load and column.default is not None and column.default.is_scalar:
        options["load_default"] = column.default.arg  # what the database would put there
    kind = column.type
    if name == "id" or column.foreign_keys:
        return Id(**options)
    if isinstance(kind, DateTime):
        return LocalDateTime(**options)
    if isinstance(kind, Date):
        return fields.Date(**options)
    if isinstance(kind, Numeric) and not isinstance(kind, Integer):
        return Money(**options)
    if isinstance(kind, Integer):
        return fields.Integer(strict=True, **options)
    if isinstance(kind, Boolean):
        return fields.Boolean(**options)
    if isinstance(kind, String):
        return Text(max_length=kind.length or MAX_TEXT, **options)
    raise TypeError(f"No API field for column {model.__name__}.{name}")


def read_schema(model, columns: list[str], name: str,
                computed: dict[str, fields.Field] | None = None) -> Schema:
    """Build the schema that shows records of `model` with the given columns."""
    attributes = {column: _column_field(model, column, load=False) for column in columns}
    attributes.update(computed or {})
    return type(name, (Schema,), attributes)()


def write_schema(model, columns: list[str], name: str, *,
                 choices: dict[str, type[StrEnum]] | None = None,
                 extra: dict[str, fields.Field] | None = None, creating: bool) -> Schema:
    """Build the schema that loads a new or changed record of `model`.

    `choices` limits text columns to the values of an enum; `extra` adds fields that are
    not columns (next_task, version). Unknown fields are refused.
    """
    attributes = {}
    for column in columns:
        if extra and column in extra:
            continue
        field = _column_field(model, column, load=creating)
        if choices and column in choices:
            values = [member.value for member in choices[column]]
            field.validators.append(validate.OneOf(values))
        attributes[column] = field
    attributes.update(extra or {})
    return type(name, (Schema,), attributes)()
