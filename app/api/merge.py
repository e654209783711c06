"""Merge two companies or two contacts: POST /api/v1/company/<id>/merge (and contact).

The body names the record merged into this one and, per field, whose value wins:
`{"other_id": N, "fields": {"phone": "other", ...}, "next_task": {...}}`. Answers 200 with
the kept record's id and what moved; 404 for a record the user may not see; 422 naming
the field at fault.
"""

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import Schema, ValidationError, validate
from marshmallow import fields as schema_fields

from app.api import errors
from app.api.acting import api_actor
from app.api.base import next_task_of, valid_pk
from app.api.busy import BusyDatabaseAnswer
from app.api.routes import RESPONSES
from app.api.schemas import NextTaskSchema
from app.extensions import db
from app.services.errors import DomainError, NotFound
from app.services.rules import merge


class MergeSchema(Schema):
    """Which record goes into this one, whose value wins per field, the next task."""

    other_id = schema_fields.Integer(required=True, strict=True,
                                     validate=validate.Range(min=1, max=2**31 - 1))
    fields = schema_fields.Dict(keys=schema_fields.String(), values=schema_fields.String(),
                                load_default=dict)
    next_task = schema_fields.Nested(NextTaskSchema, allow_none=True, load_default=None)


class MergeApi(BusyDatabaseAnswer, BaseApi):
    resource_name = "merge"
    route_base = "/api/v1"
    allow_browser_login = False
    responses = RESPONSES
    openapi_spec_component_schemas = (MergeSchema,)
    openapi_spec_tag = "Merge"

    def _merge(self, entity: str, pk):
        if valid_pk(pk) is None:
            return self.response_404()
        try:
            merge.find_visible(db.session, api_actor(), entity, int(pk))
        except NotFound:
            return self.response_404()
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = MergeSchema().load(request.json)
        except ValidationError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        session = db.session
        try:
            kept, other = merge.find_pair(session, api_actor(), entity, int(pk),
                                          data["other_id"])
            done = merge.merge(session, api_actor(), kept, other, data["fields"],
                               next_task_of(data["next_task"]))
        except NotFound:
            # Either record: another manager's id answers as a missing one does.
            session.rollback()
            return self.response_404()
        except DomainError as error:
            session.rollback()
            return self.response(422, message=errors.domain_messages(error))
        return self.response(200, id=done.kept.id, merged_id=done.other.id, moved=done.moved,
                             next_task_id=done.next_task.id if done.next_task else None)

    @expose("/company/<pk>/merge", methods=["POST"])
    @protect()
    @safe
    @permission_name("merge")
    def merge_company(self, pk):
        """Merge another company into this one.
        ---
        post:
          description: >-
            Moves the contacts, deals, tasks and history of the other company here, takes
            the chosen field values (kept or other) and archives the other, pointing at
            this one. Head and Admin; a manager for two companies of their own.
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/MergeSchema'
          responses:
            200:
              description: Merged
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self._merge("company", pk)

    @expose("/contact/<pk>/merge", methods=["POST"])
    @protect()
    @safe
    @permission_name("merge")
    def merge_contact(self, pk):
        """Merge another contact into this one.
        ---
        post:
          description: >-
            Moves the deals, tasks and history of the other contact here, takes the chosen
            field values (kept or other) and archives the other, pointing at this one.
          parameters:
          - in: path
            name: pk
            required: true
            schema:
              type: integer
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/MergeSchema'
          responses:
            200:
              description: Merged
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self._merge("contact", pk)
