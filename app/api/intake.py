"""POST /api/v1/intake/call: the telephony provider reports a call (an integration token)."""

import hmac
import logging

from flask import current_app, request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_babel import lazy_gettext as _l
from marshmallow import Schema, ValidationError, fields, validate
from sqlalchemy.exc import SQLAlchemyError

from app.api import errors
from app.api.busy import BusyDatabaseAnswer
from app.api.fields import LocalDateTime, Text
from app.api.first_call import no_surrogates
from app.api.routes import RESPONSES
from app.extensions import db
from app.services.errors import DomainError
from app.services.rules import intake
from app.services.rules.visibility import SYSTEM

log = logging.getLogger(__name__)
TOKEN_HEADER = "X-CRM-Token"


def _text(size: int, **options) -> Text:
    return Text(max_length=size, validate=[no_surrogates], **options)


class CallSchema(Schema):
    """One call as the telephony provider reports it."""

    call_id = _text(128, required=True)
    from_ = _text(32, data_key="from", allow_none=True, load_default=None)
    to = _text(32, allow_none=True, load_default=None)
    direction = fields.String(load_default="in", validate=validate.OneOf(("in", "out")))
    status = fields.String(load_default="answered",
                           validate=validate.OneOf(("answered", "missed")))
    started_at = LocalDateTime(allow_none=True, load_default=None)
    duration = fields.Integer(load_default=0, validate=validate.Range(min=0, max=86400))
    recording_url = _text(1000, allow_none=True, load_default=None)


def token_accepted(given: str | None, configured) -> bool:
    """Tell whether the token is one of the configured ones (compared in constant time)."""
    if isinstance(configured, str):
        configured = configured.split(",")
    tokens = [token.strip() for token in configured if token.strip()]
    given_bytes = (given or "").encode("utf-8", "surrogatepass")
    # Every token is compared, so the time taken does not tell which one came close.
    matched = False
    for token in tokens:
        matched |= hmac.compare_digest(given_bytes, token.encode("utf-8"))
    return matched and bool(given)


def item_body(item) -> dict:
    """Return what the webhook answers about the item it stored."""
    client = item.client
    return {"id": item.id, "state": item.state,
            "client": None if client is None else {
                "type": "company" if item.company_id is not None else "contact",
                "id": client.id}}


class IntakeApi(BusyDatabaseAnswer, BaseApi):
    resource_name = "intake"
    allow_browser_login = False
    responses = RESPONSES
    openapi_spec_component_schemas = (CallSchema,)
    openapi_spec_tag = "Intake"

    @expose("/call", methods=["POST"])
    @safe
    def call(self):
        """Store a call reported by the telephony provider (once per call id).
        ---
        post:
          description: >-
            Header X-CRM-Token carries an integration token (CRM_INTAKE_TOKENS). A call
            from a known number gives the owner of the client a task; an unknown number
            becomes an inbox item with its answer task. A repeated call_id changes nothing.
          requestBody:
            required: true
            content:
              application/json:
                schema:
                  $ref: '#/components/schemas/CallSchema'
          responses:
            201:
              description: Stored
            200:
              description: Already stored (the same call_id)
            400:
              $ref: '#/components/responses/400'
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/Refused'
        """
        if not token_accepted(request.headers.get(TOKEN_HEADER),
                              current_app.config.get("CRM_INTAKE_TOKENS") or ""):
            return self.response(401, message=str(_l("Wrong or missing integration token.")))
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message=str(_l("Send the call as a JSON object.")))
        try:
            data = CallSchema().load(body)
        except ValidationError as error:
            return self.response_422(message=errors.schema_messages(error.messages))
        event = intake.CallEvent(
            call_id=data["call_id"], from_number=data["from_"], to_number=data["to"],
            direction=data["direction"], status=data["status"], started_at=data["started_at"],
            duration=data["duration"], recording_url=data["recording_url"])
        try:
            item, created = intake.receive_call(
                db.session, SYSTEM, event,
                answer_minutes=current_app.config["CRM_LEAD_ANSWER_MINUTES"])
        except DomainError as error:
            db.session.rollback()
            return self.response_422(message=errors.domain_messages(error))
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("Storing a call failed")
            return self.response_422(
                message=errors.field_messages(errors.WHOLE_REQUEST, errors.NOT_SAVED))
        return self.response(201 if created else 200, **item_body(item))
