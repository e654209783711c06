"""The home page, My day: what the logged-in manager has to do today."""

from flask import g, redirect
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.mixins import local_now
from app.services.queries import agenda
from app.views.counters import queue_count_kept


class CrmIndexView(IndexView):
    index_template = "crm/index.html"

    @expose("/")
    def index(self):
        """Show overdue and today's tasks, the queue count and the week's birthdays."""
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        now = local_now()
        return self.render_template(
            self.index_template,
            tasks=agenda.my_tasks(db.session, user, now),
            queue_count=queue_count_kept(user),
            queue_cap=agenda.QUEUE_CAP,
            birthdays=agenda.birthdays(db.session, user, now.date()),
            appbuilder=self.appbuilder,
            title=_l("My day"),
        )
