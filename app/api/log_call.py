"""POST /api/v1/<company|contact|deal>/<id>/log-call: a call and the next task, as on the card."""

from flask import Response, request
from flask_appbuilder.api import expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import Schema, fields, validate
from marshmallow import ValidationError as SchemaError
from sqlalchemy.exc import SQLAlchemyError

from app.api import errors
from app.api.base import next_task_of
from app.api.fields import Text
from app.api.schemas import NextTaskSchema
from app.services.errors import DomainError
from app.services.rules import log_call
from app.services.rules.validation import MAX_ID


class LogCallSchema(Schema):
    """What was said on the call, and the next task."""

    result = Text(max_length=5000, required=True,
                  metadata={"description": "What was said: the call is saved as a done "
                                           "task with this result."})
    next_task = fields.Nested(
        NextTaskSchema, allow_none=True,
        metadata={"description": "Required unless another task is still planned for "
                                 "the client (and the deal)."},
    )
    completes = fields.Integer(
        allow_none=True, strict=True, validate=validate.Range(min=1, max=MAX_ID),
        metadata={"description": "The id of a planned task of this record that the call "
                                 "answers: it is completed with the result (as "
                                 "POST /api/v1/task/<id>/complete), instead of a "
                                 "separate call being saved."},
    )


class LogCallRoute:
    """Adds `POST /<id>/log-call` to a client's or deal's resource (a CrmModelApi)."""

    def log_call_headless(self, pk) -> Response:
        """Save the call with its result and the next task on a visible record."""
        record = self.find(pk)
        if record is None:
            return self.response_404()
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = LogCallSchema().load(request.json)
        except SchemaError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        note = log_call.CallNote(result=data["result"],
                                 next_task=next_task_of(data.get("next_task")),
                                 completes=data.get("completes"))
        try:
            logged = log_call.log_call(self.datamodel.session, self.actor(), record, note)
        except DomainError as error:
            return self.refuse(errors.domain_messages(error))
        except SQLAlchemyError as error:
            return self.database_failure(error)
        planned = logged.next_task
        return self.response(201, call_id=logged.call.id,
                             next_task_id=planned.id if planned is not None else None)

    @expose("/<pk>/log-call", methods=["POST"])
    @protect()
    @safe
    @permission_name("log_call")
    def log_call(self, pk) -> Response:
        """Log a call on the record: its result, and the next task, in one transaction.
        ---
        post:
          description: >-
            The call is saved as a done task (type call, done now) with its result,
            and next_task as a planned task, both linked to the record and its client.
            Leaving a live client or an open deal without a planned task is refused on
            next_task; nothing is written then. Another manager's record answers 404.
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
                  $ref: '#/components/schemas/LogCallSchema'
          responses:
            201:
              description: Logged
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      call_id:
                        type: integer
                      next_task_id:
                        type: integer
                        nullable: true
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/Refused'
        """
        return self.log_call_headless(pk)
