"""The home page: My day for a manager, the team day for the head of sales."""

from flask import g, redirect
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.mixins import local_now
from app.services.queries import agenda
from app.services.queries.team_day import team_day
from app.services.rules.visibility import sees_everything
from app.views.counters import queue_count_kept
from app.views.team_day import figure_links


class CrmIndexView(IndexView):
    index_template = "crm/index.html"
    team_day_template = "crm/team_day.html"

    @expose("/")
    def index(self):
        """Show the head the team day, anyone else My day."""
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        if sees_everything(user):
            return self._team_day(user)
        return self._my_day(user)

    @expose("/my-day/")
    def my_day(self):
        """Show the user's own day (the head's link from the team day)."""
        user = g.user
        if user is None or not user.is_authenticated:
            return redirect(self.appbuilder.get_url_for_login)
        return self._my_day(user)

    def _my_day(self, user):
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

    def _team_day(self, user):
        # Whole seconds: the figures' links carry this moment, and the lists compare with it.
        day = team_day(db.session, user, local_now().replace(microsecond=0))
        return self.render_template(
            self.team_day_template,
            day=day,
            links=figure_links(db.session, day),
            appbuilder=self.appbuilder,
            title=_l("Team day"),
        )
