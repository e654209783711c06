"""The JSON behind the search-as-you-type selects of the forms."""

from flask import abort, g, jsonify, request
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access_api

from app.extensions import db
from app.services.queries import lookup
from app.views.arguments import small_int


class LookupView(BaseView):
    """Answer select2 with the user's companies, contacts or deals matching the input."""

    route_base = "/lookup"
    default_view = "search"

    @expose("/<kind>")
    @has_access_api
    def search(self, kind):
        """Return up to 20 matches as select2 reads them: {"results": [{"id", "text"}]}.

        ?q= is the input; ?company= keeps the contacts or deals of that company.
        An unknown kind answers 404; a user without the permission 401 / 403.
        """
        if kind not in lookup.KINDS:
            abort(404)
        matches = lookup.search(
            db.session, g.user, kind, request.args.get("q", ""),
            company_id=small_int(request.args.get("company")),
        )
        return jsonify(results=[{"id": match.id, "text": match.text} for match in matches])
