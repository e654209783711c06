"""Off cadence: the open deals not touched, or not planned to be, within their stage's limit."""

from flask import g
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.mixins import local_now
from app.services.queries import cadence, reports
from app.services.rules.visibility import sees_everything
from app.views.reports import manager_choice


class OffCadenceView(BaseView):
    route_base = "/off-cadence"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """List the deals off cadence: a manager's own, the head's all or one manager's."""
        user = g.user
        manager_id = manager_choice(user)
        today = local_now().date()
        result = cadence.off_cadence(db.session, user, manager_id, today)
        everyone = sees_everything(user)
        # Each stage's name and limit in the reader's language once, not once a row.
        stage_texts = {stage_id: (stage.label, gettext(
            "every %(days)s days", days=stage.max_days_between_touches))
            for stage_id, stage in result.stages.items()}
        return self.render_template(
            "crm/off_cadence.html", title=_l("Off cadence"), result=result, today=today,
            managers=reports.team(db.session) if everyone else None, manager_id=manager_id,
            names=reports.user_names(db.session, result.per_manager) if everyone else {},
            listed=cadence.LISTED, cap=cadence.COUNT_CAP, stage_texts=stage_texts,
        )
