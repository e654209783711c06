"""The head's report: pairs of clients that look like one, with both owners and a merge."""

from flask import abort, g
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.formatting import person_name
from app.services.errors import NotFound
from app.services.queries import duplicates
from app.services.rules.duplicates import REASON_LABELS


class DuplicatesView(BaseView):
    route_base = "/duplicates"
    default_view = "index"

    @expose("/", methods=["GET"])
    @has_access
    def index(self):
        """List the pairs found by INN, phone, e-mail and similar names."""
        try:
            pairs = duplicates.report(db.session, g.user)
            # Each owner's name and each reason in the reader's language once, not per row.
            owners = {record.owner_id: person_name(record.owner)
                      for pair in pairs for record in (pair.first, pair.second)}
            reasons = {reason: str(label) for reason, label in REASON_LABELS.items()}
            # The request's end closes the read-only transaction (app/prepared_statements.py):
            # a rollback here made PostgreSQL forget the page's prepared statements.
            return self.render_template("crm/duplicates.html", title=_l("Duplicates"),
                                        pairs=pairs, owners=owners, reasons=reasons,
                                        limit=duplicates.PAIRS_LIMIT)
        except NotFound:
            abort(404)
