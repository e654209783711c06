"""The base of every CRM resource: scoped data, saves through the services, clean refusals.

FAB's ModelRestApi turns any exception but BadRequest into a 500. Here every refusal of
a rule (DomainError) answers 422 `{"message": {field: [text]}}` with nothing written, a
stale save answers 409, a foreign or archived id answers 404.
"""

import logging

from flask import Response, request
from flask_appbuilder import Model
from flask_appbuilder.exceptions import DatabaseException
from marshmallow import Schema, fields
from marshmallow import ValidationError as SchemaError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app.api import errors
from app.api.acting import api_actor
from app.api.busy import BusyDatabaseAnswer
from app.api.filtering import typed_filter
from app.api.relations import apply_changes
from app.api.routes import DocumentedRoutes
from app.api.schemas import NextTaskSchema, read_schema, write_schema
from app.labels import LABELS
from app.models import User
from app.services.errors import DomainError
from app.services.rules import duplicates, followup, saving
from app.services.rules.validation import MAX_ID

log = logging.getLogger(__name__)

MAX_PAGE = 10_000_000
# The screens' labels, and the same for the id of each relation.
API_LABELS = {
    **LABELS,
    **{f"{name}_id": LABELS[name] for name in ("owner", "company", "contact", "deal", "stage")},
}


def valid_pk(pk) -> int | None:
    """Return the id as an integer if it can name a record, else None."""
    try:
        number = int(pk)
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


def next_task_of(data: dict | None) -> followup.NextTask | None:
    """Turn a loaded next_task object into the services' NextTask."""
    if not data:
        return None
    return followup.NextTask(type=data["type"], subject=data["subject"], due_at=data["due_at"])


class CrmModelApi(BusyDatabaseAnswer, DocumentedRoutes):
    """A ModelRestApi whose data is scoped to the user and whose saves follow the rules.

    Subclasses set datamodel (a ScopedInterface), resource_name and the column lists;
    `choices` limits text columns to an enum, `with_next_task` adds the next_task field
    to create and update.
    """

    allow_browser_login = False
    page_size = 25
    choices: dict = {}
    computed_columns: dict = {}
    with_next_task = False
    # Companies and contacts: a duplicate answers 409 unless "allow_duplicate": true.
    with_duplicates = False

    def __init__(self) -> None:
        self.label_columns = dict(API_LABELS)  # FAB adds to it: one dict per resource
        super().__init__()

    def _init_model_schemas(self) -> None:
        """Build the four schemas from the column lists (amounts as text, local times)."""
        name = type(self).__name__
        model = self.datamodel.obj
        self.list_model_schema = read_schema(model, self.list_columns, f"{name}ListSchema",
                                             self.computed_columns)
        self.show_model_schema = read_schema(model, self.show_columns, f"{name}ShowSchema",
                                             self.computed_columns)
        extra = {}
        if self.with_next_task:
            extra["next_task"] = fields.Nested(
                NextTaskSchema,
                metadata={"description": "The first task, required when the record is "
                                         "a live client or an open deal without one."},
            )
        if self.with_duplicates:
            extra["allow_duplicate"] = fields.Boolean(
                metadata={"description": "Save even if another record has the same INN, "
                                         "phone or e-mail (else 409 lists them)."},
            )
        self.add_model_schema = write_schema(
            model, self.add_columns, f"{name}AddSchema", choices=self.choices, extra=extra,
            creating=True,
        )
        extra["version"] = fields.Integer(
            strict=True, metadata={"description": "The version read; a stale one is refused "
                                                  "with 409."},
        )
        self.edit_model_schema = write_schema(
            model, self.edit_columns, f"{name}EditSchema", choices=self.choices, extra=extra,
            creating=False,
        )

    def actor(self) -> User:
        """Return the user of this request (FAB sets g.user from the JWT; made sure here)."""
        return api_actor()

    def find(self, pk) -> Model | None:
        """Return the record with this id if the user may see it, else None."""
        number = valid_pk(pk)
        if number is None:
            return None
        self.actor()
        return self.datamodel.get(number, self._base_filters)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None) -> dict:
        info = super()._get_field_info(field, filter_rel_field, page, page_size)
        # FAB translates a missing description as "", which gettext answers with the
        # catalogue's header.
        description = self.description_columns.get(field.name)
        info["description"] = str(description) if description else ""
        return info

    # ---- hooks: the same service layer as the screens ----

    def pre_add(self, item, next_task: followup.NextTask | None = None,
                allow_duplicate: bool = False) -> None:
        """Check and stamp a new record; a live one takes its first task with it.

        :raise DomainError: when a rule refuses it (NextTaskRequired without next_task,
            DuplicateFound without allow_duplicate).
        """
        saving.save_record(self.datamodel.session, self.actor(), item, is_new=True,
                           next_task=next_task, allow_duplicate=allow_duplicate)

    def pre_update(self, item, next_task: followup.NextTask | None = None,
                   allow_duplicate: bool = False) -> None:
        """Check and stamp a changed record; if it became live it needs a planned task.

        :raise DomainError: when a rule refuses it.
        """
        saving.save_record(self.datamodel.session, self.actor(), item, is_new=False,
                           next_task=next_task, allow_duplicate=allow_duplicate)

    # ---- answers ----

    def refuse(self, messages: dict, code: int = 422) -> Response:
        """Roll back and answer with messages by field."""
        self.datamodel.session.rollback()
        return self.response(code, message=messages)

    def database_failure(self, error: Exception) -> Response:
        """Roll back and answer 409 for a stale record, else 422; log what happened."""
        cause = error.__cause__ if isinstance(error, DatabaseException) else error
        if isinstance(cause, StaleDataError):
            return self.refuse(errors.field_messages("version", errors.STALE_RECORD), 409)
        log.exception("Saving through the API failed", exc_info=error)
        return self.refuse(errors.field_messages(errors.WHOLE_REQUEST, errors.NOT_SAVED))

    def load(self, schema: Schema, *, partial: bool = False) -> dict:
        """Return the request body loaded by the schema.

        With `partial`, the record's own fields may be left out, not those of next_task.

        :raise SchemaError: if the body does not fit the schema.
        """
        return schema.load(request.json, partial=tuple(schema.fields) if partial else False)

    # ---- headless handlers ----

    def get_headless(self, pk, **kwargs) -> Response:
        """Answer one visible record, or 404 (also for ids no record can have)."""
        number = valid_pk(pk)
        if number is None:
            return self.response_404()
        self.actor()
        return super().get_headless(number, **kwargs)

    def get_list_headless(self, **kwargs) -> Response:
        """Answer a page of visible records; a page number out of range answers 400."""
        page = kwargs.get("rison", {}).get("page", 0)
        if not isinstance(page, int) or not 0 <= page <= MAX_PAGE:
            return self.response_400(message=f"page: between 0 and {MAX_PAGE}")
        self.actor()
        return super().get_list_headless(**kwargs)

    def _handle_filters_args(self, rison_args: dict):
        filters = [
            typed_filter(self.datamodel.obj, item) if isinstance(item, dict) else item
            for item in rison_args.get("filters", [])
        ]
        return super()._handle_filters_args({**rison_args, "filters": filters})

    def post_headless(self) -> Response:
        """Create a record from the JSON body, through the rules."""
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = self.load(self.add_model_schema)
        except SchemaError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        self.actor()
        return self.save(self.datamodel.obj(), data, is_new=True)

    def put_headless(self, pk) -> Response:
        """Change the fields given in the JSON body of a visible record, through the rules."""
        item = self.find(pk)
        if item is None:
            return self.response_404()
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = self.load(self.edit_model_schema, partial=True)
        except SchemaError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        version = errors.seen_version(data.pop("version", None), request.headers.get("If-Match"))
        if version is not None and version != item.version:
            return self.refuse(errors.stale_messages(self.datamodel.session, item, version), 409)
        return self.save(item, data, is_new=False)

    def save(self, item: Model, data: dict, is_new: bool) -> Response:
        """Apply the loaded fields, run the rules and commit, or answer why not."""
        session = self.datamodel.session
        next_task = next_task_of(data.pop("next_task", None))
        allow_duplicate = bool(data.pop("allow_duplicate", False))
        try:
            apply_changes(session, self.actor(), item, data)
            if is_new:
                self.pre_add(item, next_task, allow_duplicate)
                session.add(item)
            else:
                self.pre_update(item, next_task, allow_duplicate)
            session.commit()
        except duplicates.DuplicateFound as error:
            session.rollback()
            return self.response(409, message=str(error.message),
                                 duplicates=[match.as_json() for match in error.matches])
        except DomainError as error:
            return self.refuse(errors.domain_messages(error))
        except SQLAlchemyError as error:
            return self.database_failure(error)
        duplicates.warnings(session)  # similar names: the screens say so, the API does not
        if is_new:
            self.post_add(item)
        else:
            self.post_update(item)
        result = self.show_model_schema.dump(item)
        return self.response(201 if is_new else 200, id=item.id, result=result)

    def delete_headless(self, pk) -> Response:
        """Archive a visible record unless a rule refuses it."""
        item = self.find(pk)
        if item is None:
            return self.response_404()
        try:
            self.datamodel.delete(item)  # archives it through the services
        except DomainError as error:
            return self.refuse(errors.domain_messages(error))
        except (DatabaseException, SQLAlchemyError) as error:
            return self.database_failure(error)
        self.post_delete(item)
        return self.response(200, message="OK")
