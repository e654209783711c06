"""The sales plan: plan against fact for the month (charts), and the head's grid to set it."""

import re
from datetime import date

from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.formatting import amount_text, parse_month_text, percent_text
from app.models.mixins import local_now
from app.services.errors import DomainError
from app.services.queries import plan as plan_query
from app.services.queries import reports
from app.services.rules import plan as plan_rules
from app.services.rules.validation import EARLIEST, LATEST
from app.services.rules.visibility import can_assign_owner, sees_everything
from app.views.arguments import small_int
from app.views.reports import bar_chart, manager_choice, month_short, month_text

CELL = re.compile(r"^(amount|touches)_(\d{1,10})_(\d{4})-(\d{2})$")


def _month(today: date) -> date:
    try:
        month = parse_month_text(request.args.get("month"))
    except ValueError:
        month = None
    month = month or today.replace(day=1)
    return min(max(month, EARLIEST.date()), LATEST.date()).replace(day=1)


def _year(today: date) -> int:
    year = small_int(request.values.get("year"), LATEST.year)
    return year if year is not None and year >= EARLIEST.year else today.year


def posted_cells(form) -> list[plan_rules.PlanCell]:
    """Return the grid's cells from the posted form (names amount_<id>_<YYYY-MM>)."""
    cells: dict[tuple[int, date], dict] = {}
    for name, value in form.items():
        match = CELL.match(name)
        if match is None:
            continue
        part, manager, year, month = match.groups()
        if not 1 <= int(month) <= 12:
            continue
        key = (int(manager), date(int(year), int(month), 1))
        cells.setdefault(key, {})[part] = value
    return [plan_rules.PlanCell(manager, month, parts.get("amount"), parts.get("touches"))
            for (manager, month), parts in sorted(cells.items())]


def plan_chart(month_plan: plan_query.MonthPlan, *, touches: bool = False):
    """Draw plan, fact and run rate per manager (and the team) as an SVG bar chart."""
    rows = list(month_plan.rows)
    if len(rows) > 1:
        rows.append(month_plan.total)
    suffix = "touches" if touches else "amount"

    def numbers(kind: str) -> list:
        return [int(round(getattr(row, f"{kind}_{suffix}") or 0)) for row in rows]

    return bar_chart(
        [row.name for row in rows],
        [(str(_l("Plan")), numbers("plan")), (str(_l("Fact")), numbers("fact")),
         (str(_l("Run rate")), numbers("rate"))],
    )


class PlanView(BaseView):
    route_base = "/plan"
    default_view = "index"

    @expose("/")
    @has_access
    def index(self):
        """Show plan against fact for a month: the team and each manager, or one's own."""
        user = g.user
        today = local_now().date()
        month = _month(today)
        manager_id = manager_choice(user)
        data = plan_query.month_plan(db.session, user, month, today, manager_id,
                                     team_label=str(_l("Team")))
        return self.render_template(
            "crm/plan.html", title=_l("Sales plan"), data=data, month=month,
            month_label=month_text(month), percent=percent_text,
            amount_chart=plan_chart(data), touches_chart=plan_chart(data, touches=True),
            managers=reports.team(db.session) if sees_everything(user) else None,
            manager_id=manager_id, may_edit=can_assign_owner(user), year=month.year,
        )

    @expose("/edit/", methods=["GET", "POST"])
    @has_access
    def edit(self):
        """Show the head's grid of managers by months; save every cell at once."""
        if not can_assign_owner(g.user):
            abort(403)
        year = _year(local_now().date())
        errors: dict[str, str] = {}
        typed: dict[str, str] = {}
        if request.method == "POST":
            cells = posted_cells(request.form)
            try:
                changed = plan_rules.set_plan(db.session, g.user, cells)
            except DomainError as error:
                db.session.rollback()
                errors[error.field or ""] = str(error.message)
                flash(str(error.message), "danger")
                typed = {key: value for key, value in request.form.items() if CELL.match(key)}
            else:
                flash(str(_l("Sales plan saved: %(count)s cells changed.", count=changed)),
                      "success")
                return redirect(url_for("PlanView.edit", year=year))
        grid = plan_query.grid(db.session, year)
        return self.render_template(
            "crm/plan_grid.html", title=_l("Set the sales plan"), year=year,
            grid=grid, errors=errors, typed=typed,
            months=[(month, month_short(month)) for month in grid.months],
            amount_field=plan_rules.amount_field, touches_field=plan_rules.touches_field,
            amount_text=amount_text,
        )


def my_plan():
    """Return the logged-in manager's plan and fact of this month, for My day's block."""
    user = g.user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    today = local_now().date()
    data = plan_query.month_plan(db.session, user, today.replace(day=1), today, user.id)
    row = data.rows[0] if data.rows and data.rows[0].manager_id == user.id else None
    if row is None or (row.plan_amount is None and row.plan_touches is None
                       and not row.fact_amount and not row.fact_touches):
        return None
    return {"row": row, "month": month_text(today.replace(day=1)), "data": data}
