"""The search's results page: /search/?q=, for Enter without a choice or without JS."""

from flask import g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services.errors import DomainError
from app.services.queries import lookup, search

# Each kind of result: its heading and the view whose card opens it.
SECTIONS = (
    ("company", _l("Companies"), "CompanyView"),
    ("client", _l("Private clients"), "ContactView"),
    ("person", _l("Contact persons"), "ContactView"),
    ("deal", _l("Deals"), "DealView"),
)


class SearchView(BaseView):
    route_base = "/search"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """Show up to a page of each kind of match, and the matches taken by others."""
        query = request.args.get("q", "")
        found, refusal = None, None
        if query.strip():
            try:
                found = search.search(db.session, g.user, query, search.PAGE_LIMIT)
            except DomainError as error:
                refusal = error.message
        return self.render_template(
            "crm/search.html", query=query, found=found, refusal=refusal,
            sections=SECTIONS, label=lookup.label, title=_l("Search"),
        )
