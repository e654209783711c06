"""The forecast: open deals by expected close month, weighted by stage probability, vs plan."""

from flask import g
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models.mixins import local_now
from app.services.queries import forecast as forecast_query
from app.services.queries import reports
from app.services.rules.close_date import WARN_AT
from app.services.rules.visibility import sees_everything
from app.views.reports import manager_choice, month_text


class ForecastView(BaseView):
    route_base = "/forecast"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """Show the forecast of the open deals: a manager's own, the head's all or one's."""
        user = g.user
        manager_id = manager_choice(user)
        today = local_now().date()
        data = forecast_query.forecast(db.session, user, today, manager_id)
        labels = {forecast_query.OVERDUE: _l("Expected date passed"),
                  forecast_query.NO_DATE: _l("No expected date")}
        return self.render_template(
            "crm/forecast.html", title=_l("Forecast"), data=data, today=today,
            row_label=lambda row: labels[row.key] if row.month is None else month_text(row.month),
            managers=reports.team(db.session) if sees_everything(user) else None,
            manager_id=manager_id, warn_at=WARN_AT, listed=forecast_query.LISTED,
            warnings_counted=forecast_query.WARNINGS_COUNTED,
        )
