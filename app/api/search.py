"""GET /api/v1/search?q=: anyone from one box, as the menu bar's search shows them."""

from flask import request, url_for
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import permission_name, protect
from flask_babel import lazy_gettext as _l

from app.api import errors
from app.api.acting import api_actor
from app.api.busy import BusyDatabaseAnswer
from app.api.routes import RESPONSES
from app.extensions import db
from app.formatting import person_name
from app.services.errors import DomainError
from app.services.queries import lookup, search

# The card of each type of record.
CARDS = {"company": "CompanyView.show", "contact": "ContactView.show", "deal": "DealView.show"}


def hit_answer(hit: search.Hit) -> dict:
    """Return one found record as the API answers it."""
    return {
        "type": hit.type, "kind": hit.kind, "id": hit.id, "title": lookup.label(hit.record),
        "owner": person_name(hit.owner),
        "next_task_at": hit.next_task_at.isoformat() if hit.next_task_at else None,
        "url": url_for(CARDS[hit.type], pk=hit.id),
    }


def taken_answer(taken: search.Taken) -> dict:
    """Return a match the user may not see: its type and owner, and what that means."""
    owner = person_name(taken.owner)
    return {"type": taken.type, "owner": owner,
            "message": str(_l("This client is handled by %(manager)s", manager=owner))}


class SearchApi(BusyDatabaseAnswer, BaseApi):
    resource_name = "search"
    # The menu bar's box asks with the page's session; other programs with a JWT.
    allow_browser_login = True
    responses = RESPONSES
    openapi_spec_tag = "Search"

    @expose("", methods=["GET"])
    @protect()
    @safe
    @permission_name("get")
    def get(self):
        """Find companies, clients, contact persons and deals by name, phone, e-mail or INN.
        ---
        get:
          description: >-
            Names match when every typed word starts a word of the name (any case, ё as
            е); phones in any spelling, by the whole number or its last seven digits or
            more; e-mail by the whole address; INN by its digits. `result` holds only
            records the user may see, grouped by kind (company, private client, contact
            person, deal), the best match of each kind first; `taken` says that a
            matching phone, e-mail or INN belongs to another manager's client, and whose.
          parameters:
          - in: query
            name: q
            required: true
            schema:
              type: string
              minLength: 1
              maxLength: 200
          - in: query
            name: limit
            schema:
              type: integer
              minimum: 1
              maximum: 20
          responses:
            200:
              description: What was found
              content:
                application/json:
                  schema:
                    type: object
                    properties:
                      result:
                        type: array
                        items:
                          type: object
                          properties:
                            type:
                              type: string
                              enum: [company, contact, deal]
                            kind:
                              type: string
                              enum: [company, client, person, deal]
                            id:
                              type: integer
                            title:
                              type: string
                            owner:
                              type: string
                            next_task_at:
                              type: string
                              format: date-time
                              nullable: true
                            url:
                              type: string
                      taken:
                        type: array
                        items:
                          type: object
                          properties:
                            type:
                              type: string
                              enum: [company, contact]
                            owner:
                              type: string
                            message:
                              type: string
            401:
              $ref: '#/components/responses/401'
            422:
              $ref: '#/components/responses/Refused'
        """
        try:
            limit = _limit(request.args.get("limit"))
            found = search.search(db.session, api_actor(), request.args.get("q"), limit)
        except DomainError as error:
            return self.response_422(message=errors.domain_messages(error))
        return self.response(200, result=[hit_answer(hit) for hit in found.results],
                             taken=[taken_answer(taken) for taken in found.taken])


def _limit(value: str | None) -> int:
    """Return the results per kind asked for (the menu bar's few by default).

    :raise DomainError: naming `limit` if it is not a number from 1 to the page's limit.
    """
    if value is None or value == "":
        return search.DROPDOWN_LIMIT
    if not value.isdigit() or not 1 <= int(value) <= search.PAGE_LIMIT:
        raise DomainError(_l("Limit: a number from 1 to %(max)s.", max=search.PAGE_LIMIT),
                          "limit")
    return int(value)
