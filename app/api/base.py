"""The base of every CRM resource: scoped data, saves through the services, clean refusals.

FAB's ModelRestApi turns any exception but BadRequest into a 500. Here every refusal of
a rule (DomainError) answers 422 `{"message": {field: [text]}}` with nothing written, a
stale save answers 409, a foreign or archived id answers 404.
"""

import logging

from flask import g, request
from flask_appbuilder.api import (
    BaseApi,
    ModelRestApi,
    expose,
    get_info_schema,
    get_item_schema,
    get_list_schema,
    merge_response_func,
    rison,
    safe,
)
from flask_appbuilder.const import (
    API_ADD_COLUMNS_RIS_KEY,
    API_ADD_TITLE_RIS_KEY,
    API_DESCRIPTION_COLUMNS_RIS_KEY,
    API_EDIT_COLUMNS_RIS_KEY,
    API_EDIT_TITLE_RIS_KEY,
    API_FILTERS_RIS_KEY,
    API_LABEL_COLUMNS_RIS_KEY,
    API_LIST_COLUMNS_RIS_KEY,
    API_LIST_TITLE_RIS_KEY,
    API_ORDER_COLUMNS_RIS_KEY,
    API_PERMISSIONS_RIS_KEY,
    API_SHOW_COLUMNS_RIS_KEY,
    API_SHOW_TITLE_RIS_KEY,
)
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.security.decorators import permission_name, protect
from flask_jwt_extended import current_user as jwt_user
from marshmallow import ValidationError as SchemaError
from marshmallow import fields
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm.exc import StaleDataError

from app.api import errors
from app.api.fields import MAX_ID
from app.api.filtering import typed_filter
from app.api.relations import apply_changes
from app.api.schemas import NextTaskSchema, read_schema, write_schema
from app.services import followup, records
from app.services.errors import DomainError
from app.views.labels import LABELS

log = logging.getLogger(__name__)

MAX_PAGE = 10_000_000
# The screens' labels, and the same for the id of each relation.
API_LABELS = {
    **LABELS,
    **{f"{name}_id": LABELS[name] for name in ("owner", "company", "contact", "deal", "stage")},
}

_MESSAGE_BODY = {
    "type": "object",
    "properties": {
        "message": {
            "type": "object",
            "description": "Field name (or _schema) to a list of messages in the user's "
                           "language; a nested field holds an object of the same shape.",
            "additionalProperties": True,
        }
    },
}
RESPONSES = {
    **ModelRestApi.responses,
    "Refused": {
        "description": "Refused: a value or a rule of the CRM; nothing was written",
        "content": {"application/json": {"schema": _MESSAGE_BODY}},
    },
    "Conflict": {
        "description": "Someone changed the record since it was read; nothing was written",
        "content": {"application/json": {"schema": _MESSAGE_BODY}},
    },
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


class CrmModelApi(ModelRestApi):
    """A ModelRestApi whose data is scoped to the user and whose saves follow the rules.

    Subclasses set datamodel (a ScopedInterface), resource_name and the column lists;
    `choices` limits text columns to an enum, `with_next_task` adds the next_task field
    to create and update.
    """

    allow_browser_login = False
    page_size = 25
    responses = RESPONSES
    choices: dict = {}
    computed_columns: dict = {}
    with_next_task = False

    def __init__(self) -> None:
        self.label_columns = dict(API_LABELS)  # FAB adds to it: one dict per resource
        super().__init__()

    def _init_model_schemas(self) -> None:
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

    def actor(self):
        """Return the user of this request (FAB sets g.user from the JWT; made sure here)."""
        user = g.get("user")
        if user is None or not getattr(user, "is_authenticated", False):
            user = jwt_user
            g.user = user
        return user

    def find(self, pk):
        """Return the record with this id if the user may see it, else None."""
        number = valid_pk(pk)
        if number is None:
            return None
        self.actor()
        return self.datamodel.get(number, self._base_filters)

    def _get_field_info(self, field, filter_rel_field, page=None, page_size=None):
        info = super()._get_field_info(field, filter_rel_field, page, page_size)
        # FAB translates a missing description as "", which gettext answers with the
        # catalogue's header.
        description = self.description_columns.get(field.name)
        info["description"] = str(description) if description else ""
        return info

    # ---- hooks: the same service layer as the screens ----

    def pre_add(self, item) -> None:
        """Check and stamp a new record; a live one takes its first task with it.

        :raise DomainError: when a rule refuses it (NextTaskRequired without next_task).
        """
        session = self.datamodel.session
        records.before_save(session, self.actor(), item, is_new=True)
        followup.attach_first_task(session, self.actor(), item, g.get("crm_next_task"))

    def pre_update(self, item) -> None:
        """Check and stamp a changed record; if it became live it needs a planned task.

        :raise DomainError: when a rule refuses it.
        """
        session = self.datamodel.session
        records.before_save(session, self.actor(), item, is_new=False)
        followup.attach_first_task(session, self.actor(), item, g.get("crm_next_task"))

    def pre_delete(self, item) -> None:
        """Stamp who archives the record (deleting archives it).

        :raise DomainError: when a rule refuses archiving it (see subclasses).
        """
        records.before_archive(self.datamodel.session, self.actor(), item)

    # ---- answers ----

    def refuse(self, messages: dict, code: int = 422):
        """Roll back and answer with messages by field."""
        self.datamodel.session.rollback()
        return self.response(code, message=messages)

    def database_failure(self, error: Exception):
        """Roll back and answer 409 for a stale record, else 422; log what happened."""
        cause = error.__cause__ if isinstance(error, DatabaseException) else error
        if isinstance(cause, StaleDataError):
            return self.refuse(errors.field_messages("version", errors.STALE_RECORD), 409)
        log.exception("Saving through the API failed", exc_info=error)
        return self.refuse(errors.field_messages(errors.WHOLE_REQUEST, errors.NOT_SAVED))

    def load(self, schema, *, partial: bool = False):
        """Return the request body loaded by the schema.

        With `partial`, the record's own fields may be left out, not those of next_task.

        :raise SchemaError: if the body does not fit the schema.
        """
        return schema.load(request.json, partial=tuple(schema.fields) if partial else False)

    # ---- headless handlers ----

    def get_headless(self, pk, **kwargs):
        number = valid_pk(pk)
        if number is None:
            return self.response_404()
        self.actor()
        return super().get_headless(number, **kwargs)

    def get_list_headless(self, **kwargs):
        page = kwargs.get("rison", {}).get("page", 0)
        if not isinstance(page, int) or not 0 <= page <= MAX_PAGE:
            return self.response_400(message=f"page: between 0 and {MAX_PAGE}")
        self.actor()
        return super().get_list_headless(**kwargs)

    def _handle_filters_args(self, rison_args):
        filters = [
            typed_filter(self.datamodel.obj, item) if isinstance(item, dict) else item
            for item in rison_args.get("filters", [])
        ]
        return super()._handle_filters_args({**rison_args, "filters": filters})

    def post_headless(self):
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = self.load(self.add_model_schema)
        except SchemaError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        self.actor()
        return self.save(self.datamodel.obj(), data, is_new=True)

    def put_headless(self, pk):
        item = self.find(pk)
        if item is None:
            return self.response_404()
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = self.load(self.edit_model_schema, partial=True)
        except SchemaError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        version = data.pop("version", None)
        if version is not None and version != item.version:
            return self.refuse(errors.field_messages("version", errors.STALE_RECORD), 409)
        return self.save(item, data, is_new=False)

    def save(self, item, data: dict, is_new: bool):
        """Apply the loaded fields, run the rules and commit, or answer why not."""
        session = self.datamodel.session
        g.crm_next_task = next_task_of(data.pop("next_task", None))
        try:
            apply_changes(session, self.actor(), item, data)
            if is_new:
                self.pre_add(item)
                session.add(item)
            else:
                self.pre_update(item)
            session.commit()
        except DomainError as error:
            return self.refuse(errors.domain_messages(error))
        except SQLAlchemyError as error:
            return self.database_failure(error)
        if is_new:
            self.post_add(item)
        else:
            self.post_update(item)
        result = self.show_model_schema.dump(item)
        return self.response(201 if is_new else 200, id=item.id, result=result)

    def delete_headless(self, pk):
        item = self.find(pk)
        if item is None:
            return self.response_404()
        try:
            self.pre_delete(item)
            self.datamodel.delete(item)
        except DomainError as error:
            return self.refuse(errors.domain_messages(error))
        except (DatabaseException, SQLAlchemyError) as error:
            return self.database_failure(error)
        self.post_delete(item)
        return self.response(200, message="OK")

    # ---- routes, with the OpenAPI description of what they really answer ----

    @expose("/_info", methods=["GET"])
    @protect()
    @safe
    @rison(get_info_schema)
    @permission_name("info")
    @merge_response_func(BaseApi.merge_current_user_permissions, API_PERMISSIONS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_field_info, API_ADD_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_field_info, API_EDIT_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_search_filters, API_FILTERS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_add_title, API_ADD_TITLE_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_edit_title, API_EDIT_TITLE_RIS_KEY)
    def info(self, **kwargs):
        """Describe the fields of create and update, the filters and the user's rights.
        ---
        get:
          description: >-
            What a client needs to build forms: the fields of create and update with
            their labels in the user's language, the filters of each searchable column,
            and the user's permissions on this resource.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_info_schema'
          responses:
            200:
              description: The metadata
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      add_columns:
                        type: array
                        items:
                          type: object
                      edit_columns:
                        type: array
                        items:
                          type: object
                      filters:
                        type: object
                        additionalProperties:
                          type: array
                          items:
                            type: object
                            properties:
                              name:
                                type: string
                              operator:
                                type: string
                      permissions:
                        type: array
                        items:
                          type: string
                      add_title:
                        type: string
                      edit_title:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        return self.info_headless(**kwargs)

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @rison(get_item_schema)
    @merge_response_func(ModelRestApi.merge_show_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_columns, API_SHOW_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns,
                         API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_show_title, API_SHOW_TITLE_RIS_KEY)
    def get(self, pk, **kwargs):
        """Show one record the user may see.
        ---
        get:
          description: >-
            One record by id. Another manager's record, or an archived one, is not found.
          parameters:
          - in: path
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
            name: pk
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_item_schema'
          responses:
            200:
              description: The record
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
                      show_columns:
                        type: array
                        items:
                          type: string
                      label_columns:
                        type: object
                      description_columns:
                        type: object
                      show_title:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
        """
        return self.get_headless(pk, **kwargs)

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    @rison(get_list_schema)
    @merge_response_func(ModelRestApi.merge_order_columns, API_ORDER_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_label_columns, API_LABEL_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_description_columns,
                         API_DESCRIPTION_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_columns, API_LIST_COLUMNS_RIS_KEY)
    @merge_response_func(ModelRestApi.merge_list_title, API_LIST_TITLE_RIS_KEY)
    def get_list(self, **kwargs):
        """List the records the user may see, a page at a time (at most 100 a page).
        ---
        get:
          description: >-
            The records the user may see: a manager sees own records only. Archived
            records are left out. Filter, order and page with the rison argument q.
          parameters:
          - in: query
            name: q
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/get_list_schema'
          responses:
            200:
              description: A page of records
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      count:
                        description: How many records match, on every page
                        type: integer
                      ids:
                        type: array
                        items:
                          type: integer
                      result:
                        type: array
                        items:
                          $ref: '#/components/schemas/{{self.__class__.__name__}}.get_list'
                      list_columns:
                        type: array
                        items:
                          type: string
                      order_columns:
                        type: array
                        items:
                          type: string
                      label_columns:
                        type: object
                      description_columns:
                        type: object
                      list_title:
                        type: string
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
        """
        return self.get_list_headless(**kwargs)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self):
        """Create a record owned by the user (Head and Admin may name another owner).
        ---
        post:
          description: >-
            Create a record. A live client or an open deal takes its first task in the
            same request (next_task); without it the request is refused on next_task.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.post'
          responses:
            201:
              description: Created
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.post_headless()

    @expose("/<pk>", methods=["PUT"])
    @protect()
    @safe
    @permission_name("put")
    def put(self, pk):
        """Change the given fields of a record the user may see.
        ---
        put:
          description: >-
            Change the fields given; the others stay. Send the version read to refuse
            overwriting someone else's change (409).
          parameters:
          - in: path
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
            name: pk
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/{{self.__class__.__name__}}.put'
          responses:
            200:
              description: Changed
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      id:
                        type: integer
                      result:
                        $ref: '#/components/schemas/{{self.__class__.__name__}}.get'
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/Conflict'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.put_headless(pk)

    @expose("/<pk>", methods=["DELETE"])
    @protect()
    @safe
    @permission_name("delete")
    def delete(self, pk):
        """Archive a record the user may see (Head and Admin can restore it).
        ---
        delete:
          description: >-
            Deleting archives: the record leaves every list and stays in the database.
          parameters:
          - in: path
            schema:
              type: integer
              minimum: 1
              maximum: 2147483647
            name: pk
          responses:
            200:
              description: Archived
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      message:
                        type: string
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            409:
              $ref: '#/components/responses/Conflict'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.delete_headless(pk)
