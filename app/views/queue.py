"""The queue of live clients and open deals that have no planned task."""

from flask import g, request
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.services.queries import agenda
from app.services.rules.visibility import sees_everything
from app.views.arguments import small_int

PAGE = 50


class QueueView(BaseView):
    route_base = "/queue"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """List what has no next task, each row with a one-click 'plan a task'."""
        page = small_int(request.args.get("page"), 100_000) or 0
        # The head's team day links to one manager's queue.
        owner_id = small_int(request.args.get("owner"))
        rows = agenda.queue(db.session, g.user, limit=PAGE, offset=page * PAGE,
                            owner_id=owner_id)
        return self.render_template(
            "crm/queue.html", rows=rows, page=page, page_size=PAGE, owner_id=owner_id,
            show_owner=sees_everything(g.user), title=_l("Without a next task"),
        )
