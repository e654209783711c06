"""/api/v1/inbox/: the user's inbox (list, get), accepting and declining a lead."""

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
from app.api.fields import Id, Text
from app.api.first_call import FirstCallSchema, no_surrogates, refusal, to_first_call
from app.api.intake import item_body
from app.api.routes import RESPONSES
from app.api.schemas import NextTaskSchema
from app.extensions import db
from app.models.inbox_item import DeclineReason, InboxState
from app.services.errors import DomainError, NotFound
from app.services.queries import inbox as inbox_queries
from app.services.rules import duplicates, intake

log = logging.getLogger(__name__)


class ClientRefSchema(Schema):
    """An existing client the lead joins."""

    type = fields.String(required=True, validate=validate.OneOf(("company", "contact")))
    id = Id(required=True)


class LinkSchema(Schema):
    """Join the lead to an existing client, planning the owner's task."""

    client = fields.Nested(ClientRefSchema, required=True)
    next_task = fields.Nested(NextTaskSchema, required=True)


class DeclineSchema(Schema):
    """Why the lead is declined: spam, not_client, or other with a text."""

    reason = fields.String(required=True,
                           validate=validate.OneOf([r.value for r in DeclineReason]))
    text = Text(max_length=500, allow_none=True, load_default=None, validate=[no_surrogates])


def item_json(item, matches) -> dict:
    """Return an item as the API shows it, its matching clients as the user may know them."""
    return {
        **item_body(item), "source": item.source,
        "received_at": item.received_at.isoformat() if item.received_at else None,
        "owner_id": item.owner_id, "name": item.name, "company": item.company_name,
        "phone": item.phone, "email": item.email, "message": item.message,
        "details": item.details or {},
        "answered_at": item.answered_at.isoformat() if item.answered_at else None,
        "decided_at": item.decided_at.isoformat() if item.decided_at else None,
        "decline_reason": item.decline_reason,
        "matches": [{"type": match.kind, "id": match.client.id if match.client else None,
                     "owner": match.owner} for match in matches],
    }


class InboxApi(BusyDatabaseAnswer, BaseApi):
    resource_name = "inbox"
    allow_browser_login = False
    responses = RESPONSES
    openapi_spec_component_schemas = (LinkSchema, DeclineSchema)
    openapi_spec_tag = "Inbox"

    @expose("/", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get_list(self):
        """The user's inbox items, newest first (`?state=new|accepted|linked|declined|all`).
        ---
        get:
          responses:
            200:
              description: Items
            401:
              $ref: '#/components/responses/401'
        """
        state = request.args.get("state", InboxState.NEW.value)
        if state != "all" and state not in [s.value for s in InboxState]:
            return self.response_400(message="state")
        page = request.args.get("page", "0")
        offset = int(page) * inbox_queries.PAGE if page.isdigit() and len(page) < 7 else 0
        actor = api_actor()
        items = inbox_queries.items(db.session, actor, None if state == "all" else state,
                                    offset=offset)
        matches = inbox_queries.matches_for(db.session, actor, items)
        return self.response(200, result=[item_json(item, matches[item.id]) for item in items],
                             new_count=inbox_queries.new_count(db.session, actor))

    @expose("/<pk>", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get(self, pk):
        """One inbox item of the user.
        ---
        get:
          parameters:
          - in: path
            schema:
              type: integer
            name: pk
          responses:
            200:
              description: Item
            404:
              $ref: '#/components/responses/404'
        """
        item = inbox_queries.get(db.session, api_actor(), pk)
        if item is None:
            return self.response_404()
        matches = inbox_queries.matches_for(db.session, api_actor(), [item])
        return self.response(200, result=item_json(item, matches[item.id]))

    def _decide(self, pk, write):
        item = inbox_queries.get(db.session, api_actor(), pk)
        if item is None:
            return self.response_404()
        if not request.is_json or not isinstance(request.get_json(silent=True), dict):
            return self.response_400(message="Request is not JSON")
        try:
            answer = write(item, request.get_json())
        except ValidationError as error:
            db.session.rollback()
            return self.response_422(message=errors.schema_messages(error.messages))
        except NotFound:
            db.session.rollback()
            return self.response_404()
        except duplicates.DuplicateFound as error:
            # As POST /api/v1/first-call/: the matches, and "allow_duplicate" to save anyway.
            db.session.rollback()
            return self.response(409, message=str(error.message),
                                 duplicates=[match.as_json() for match in error.matches])
        except DomainError as error:
            db.session.rollback()
            return self.response_422(message=refusal(error))
        except SQLAlchemyError:
            db.session.rollback()
            log.exception("Deciding an inbox item through the API failed")
            return self.response_422(
                message=errors.field_messages(errors.WHOLE_REQUEST, errors.NOT_SAVED))
        return self.response(200, **answer)

    @expose("/<pk>/accept", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def accept(self, pk):
        """Accept a lead: a new client (the first-call payload) or an existing one.
        ---
        post:
          description: >-
            Either the body of POST /api/v1/first-call/ (the answer task of the item becomes
            the done call), or {"client": {"type", "id"}, "next_task": {...}} to join an
            existing client. One transaction; refused on the field at fault.
          responses:
            200:
              description: Accepted
            404:
              $ref: '#/components/responses/404'
            409:
              description: The new client matches existing ones (unless allow_duplicate)
            422:
              $ref: '#/components/responses/Refused'
        """
        actor = api_actor()

        def write(item, body):
            if isinstance(body.get("client"), dict) and "id" in body["client"]:
                data = LinkSchema().load(body)
                client = intake.find_client(db.session, actor, data["client"]["type"],
                                            data["client"]["id"])
                task = intake.link(db.session, actor, item, client,
                                   next_task_of(data["next_task"]))
                return {**item_body(item), "next_task_id": task.id}
            # The call's result may be left out: the lead's own message is written then.
            if not isinstance(body.get("call"), dict):
                body = {**body, "call": {"result": ""}}
            made = intake.accept(db.session, actor, item,
                                 to_first_call(FirstCallSchema().load(body)))
            return {**item_body(item), "deal_id": made.deal.id if made.deal else None,
                    "call_id": made.call.id, "next_task_id": made.next_task.id}

        return self._decide(pk, write)

    @expose("/<pk>/decline", methods=["POST"])
    @protect()
    @safe
    @permission_name("post")
    def decline(self, pk):
        """Decline a lead with a reason.
        ---
        post:
          responses:
            200:
              description: Declined
            404:
              $ref: '#/components/responses/404'
            422:
              $ref: '#/components/responses/Refused'
        """
        actor = api_actor()

        def write(item, body):
            data = DeclineSchema().load(body)
            intake.decline(db.session, actor, item, data["reason"], data["text"])
            return item_body(item)

        return self._decide(pk, write)
