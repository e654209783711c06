"""POST /api/v1/first-call/: a new client from a call in one request, as on the screen."""

import logging

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import SQLAlchemyError

from app.api import errors
from app.api.acting import api_actor
from app.api.base import next_task_of
from app.api.busy import BusyDatabaseAnswer
from app.api.fields import Id, Money, Text
from app.api.routes import RESPONSES
from app.api.schemas import NextTaskSchema
from app.extensions import db
from app.services.errors import DomainError
from app.services.rules import duplicates, first_call

log = logging.getLogger(__name__)
# Where each part's refusals go in the answer, and the API's name of a service field.
PART_OF = {"kind": ("client", "kind"), "owner": (None, "owner_id"),
           "deal.stage": ("deal", "stage_id")}


def no_surrogates(value: str) -> str:
    """Return the text unchanged.

    :raise ValidationError: if it holds a lone surrogate, which no database stores.
    """
    if any(0xD800 <= ord(char) <= 0xDFFF for char in value):
        raise ValidationError("Must not contain control characters.")
    return value


def _text(size: int, **options) -> Text:
    return Text(max_length=size, allow_none=True, validate=[no_surrogates], **options)


class FirstCallClientSchema(Schema):
    """Who called: a company, or a private person (then the contact is the client)."""

    kind = fields.String(load_default=first_call.COMPANY,
                         validate=validate.OneOf(first_call.KINDS),
                         metadata={"description": "company or person"})
    name = _text(255, metadata={"description": "The company's name (company only)."})
    phone = _text(32)
    email = _text(255)
    inn = _text(12)


class FirstCallContactSchema(Schema):
    """The contact person at the company, or the private client."""

    last_name = _text(100)
    first_name = _text(100)
    middle_name = _text(100)
    position = _text(150)
    phone = _text(32)
    email = _text(255)
    birthday = fields.Date(allow_none=True)


class FirstCallDealSchema(Schema):
    """The optional deal; its stage must be open (the first open stage when left out)."""

    title = _text(255)
    amount = Money(allow_none=True)
    stage_id = Id(allow_none=True)


class FirstCallCallSchema(Schema):
    """What was said: the call is saved as a done task with this result."""

    result = _text(5000, required=True)


class FirstCallSchema(Schema):
    """A new client from a call: client, contact, deal, the call and the next task."""

    client = fields.Nested(FirstCallClientSchema, load_default=dict)
    contact = fields.Nested(FirstCallContactSchema, load_default=dict)
    deal = fields.Nested(FirstCallDealSchema, allow_none=True, load_default=None)
    call = fields.Nested(FirstCallCallSchema, required=True)
    next_task = fields.Nested(NextTaskSchema, required=True)
    owner_id = Id(allow_none=True, metadata={"description": "Head and Admin only."})
    allow_duplicate = fields.Boolean(load_default=False, metadata={
        "description": "Save even if a client with the same INN, phone or e-mail exists "
                       "(else 409 lists them)."})


def to_first_call(data: dict) -> first_call.FirstCall:
    """Turn a loaded body into the service's FirstCall."""
    client, contact, deal = data["client"], data["contact"], data["deal"] or {}
    return first_call.FirstCall(
        kind=client.get("kind", first_call.COMPANY),
        client=first_call.ClientPart(**{key: value for key, value in client.items()
                                        if key != "kind"}),
        contact=first_call.PersonPart(**contact),
        deal=first_call.DealPart(**deal),
        call_result=data["call"]["result"],
        next_task=next_task_of(data["next_task"]),
        owner_id=data.get("owner_id"),
        allow_duplicate=data.get("allow_duplicate", False),
    )


def refusal(error: DomainError) -> dict:
    """Return the service's refusal as `{part: {field: [text]}}` (or `{field: [text]}`)."""
    part, _, name = (error.field or "").rpartition(".")
    part, name = PART_OF.get(error.field or "", (part or None, name))
    if not name:
        return errors.field_messages(errors.WHOLE_REQUEST, error.message)
    messages = errors.field_messages(name, error.message)
    return {part: messages} if part else messages


class FirstCallApi(BusyDatabaseAnswer, BaseApi):
    resource_name = "first-call"
    allow_browser_login = False
    responses = RESPONSES
    openapi_spec_component_schemas = (FirstCallSchema,)
    openapi_spec_tag = "First call"

    def _refuse(self, messages: dict, code: int = 422):
        db.session.rollback()
        return self.response(code, message=messages)

    @expose("/", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def post(self):
        """Create a client from a call with its contact, deal, the call and the next task.
        ---
        post:
          description: >-
            One transaction: the company (or the private person), the contact person,
            an optional deal in an open stage, the call saved as a done task with its
            result, and the next task linked to the client and the deal. Refused on the
            field at fault with nothing written.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/FirstCallSchema'
          responses:
            201:
              description: Created
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      client:
                        type: object
                        properties:
                          type:
                            type: string
                          id:
                            type: integer
                      company_id:
                        type: integer
                        nullable: true
                      contact_id:
                        type: integer
                        nullable: true
                      deal_id:
                        type: integer
                        nullable: true
                      call_id:
                        type: integer
                      next_task_id:
                        type: integer
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/Refused'
        """
        if not request.is_json:
            return self.response_400(message="Request is not JSON")
        try:
            data = FirstCallSchema().load(request.json)
        except ValidationError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        try:
            made = first_call.register_first_call(db.session, api_actor(),
                                                  to_first_call(data))
        except duplicates.DuplicateFound as error:
            db.session.rollback()
            return self.response(409, message=str(error.message),
                                 duplicates=[match.as_json() for match in error.matches])
        except DomainError as error:
            return self._refuse(refusal(error))
        except SQLAlchemyError:
            log.exception("Saving a first call through the API failed")
            return self._refuse(errors.field_messages(errors.WHOLE_REQUEST, errors.NOT_SAVED))
        client_type = "company" if made.company is not None else "contact"
        return self.response(
            201, client={"type": client_type, "id": made.client.id},
            company_id=made.company.id if made.company else None,
            contact_id=made.contact.id if made.contact else None,
            deal_id=made.deal.id if made.deal else None,
            call_id=made.call.id, next_task_id=made.next_task.id,
        )
