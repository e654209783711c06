"""The home page: My day for a manager, the team day for the head of sales."""

from datetime import timedelta

from flask import g, redirect
from flask_appbuilder import IndexView, expose
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.enums import TaskState
from app.models.mixins import local_now
from app.services.queries import agenda
from app.services.queries.team_day import team_day
from app.services.rules.visibility import sees_everything
from app.views.counters import menu_counters, queue_count_kept
from app.views.team_day import figure_links, list_url

# Tasks listed in each part of My day; the rest are one click away in the task list.
MY_DAY_ROWS = 20


def _all_tasks_links(user, now) -> dict[str, str]:
    """Return the task lists of the user's overdue and rest-of-today's tasks."""
    moment = now.isoformat(timespec="seconds")
    tomorrow = (now.date() + timedelta(days=1)).isoformat()
    # A manager's list holds only their own tasks; the head's own day names her.
    owner = [("owner", "rel_o_m", user.id)] if sees_everything(user) else []
    planned = ("state", "eq", TaskState.PLANNED.value)
    return {
        "overdue": list_url("TaskView", *owner, planned, ("due_at", "lt", moment)),
        "today": list_url("TaskView", *owner, planned, ("due_at", "gt", moment),
                          ("due_at", "lt", tomorrow)),
    }


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
        now = local_now().replace(microsecond=0)
        # The menu bar's counters of this request: the same figures, read once.
        counts = menu_counters()
        return self.render_template(
            self.index_template,
            tasks=agenda.my_tasks(db.session, user, now, limit=MY_DAY_ROWS),
            counts=counts,
            all_links=_all_tasks_links(user, now),
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
