"""The sales plan against the fact: won amount (RUB) and done touches per manager and month.

Fact: the deals closed won in the month in the main currency (RUB), by their owner, and
the tasks done in the month, by who did them: both read from the summary tables the write
paths keep (deal_closed_month, task_done_day; app/services/rules/summaries.py).
The run rate projects the month to date over the whole month by **working days**
(Monday to Friday): fact / working days elapsed (today included) x working days in the
month. A month that is over is its fact.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.models import DealClosedMonth, SalesPlan, Stage, TaskDoneDay
from app.models.enums import StageKind
from app.services.queries.reports import add_months, team, user_names
from app.services.rules.visibility import sees_everything

MAIN_CURRENCY = "RUB"
ZERO = Decimal("0.00")


def working_days(first: date, last: date) -> int:
    """Count Monday-to-Friday days from `first` to `last`, both included."""
    if last < first:
        return 0
    weeks, extra = divmod((last - first).days + 1, 7)
    days = weeks * 5
    for offset in range(extra):
        if (first + timedelta(days=offset)).weekday() < 5:
            days += 1
    return days


def month_end(month: date) -> date:
    """Return the last day of the month."""
    return add_months(month, 1) - timedelta(days=1)


def run_rate(fact: Decimal | int, month: date, today: date):
    """Project the month's fact over its working days; a past month is its fact."""
    last = month_end(month)
    if today > last:
        return fact
    if today < month:
        return type(fact)(0)
    elapsed = working_days(month, today)
    total = working_days(month, last)
    if not elapsed:  # the first days were a weekend: nothing to project from yet
        return fact
    projected = Decimal(fact) * total / elapsed
    if isinstance(fact, int):
        return int(projected.to_integral_value())
    return projected.quantize(Decimal("0.01"))


@dataclass
class PlanFact:
    """One manager's (or the team's) month: plan, fact and run rate of amount and touches."""

    manager_id: int | None
    name: str
    plan_amount: Decimal | None = None
    fact_amount: Decimal = ZERO
    rate_amount: Decimal = ZERO
    plan_touches: int | None = None
    fact_touches: int = 0
    rate_touches: int = 0

    @property
    def percent(self) -> Decimal | None:
        """Return the fact as a percentage of the planned amount, or None without a plan."""
        if not self.plan_amount:
            return None
        return (self.fact_amount * 100 / self.plan_amount).quantize(Decimal("0.1"))


@dataclass
class MonthPlan:
    """The month's rows (one per manager shown) and the total."""

    month: date
    rows: list[PlanFact]
    total: PlanFact
    elapsed_days: int = 0
    month_days: int = 0
    extra: dict = field(default_factory=dict)


def _managers(session: Session, actor, manager_id: int | None) -> list[tuple[int, str]]:
    if not sees_everything(actor):
        user_id = getattr(actor, "id", None)
        return list(user_names(session, [user_id]).items()) if user_id else []
    members = team(session)
    if manager_id is not None:
        return [member for member in members if member[0] == manager_id]
    return members


def plans(session: Session, ids: list[int], first: date, end: date) -> dict:
    """Return {(manager id, month): SalesPlan} for the managers and months [first, end)."""
    if not ids:
        return {}
    rows = session.scalars(select(SalesPlan).where(
        SalesPlan.month >= first, SalesPlan.month < end, SalesPlan.manager_id.in_(ids)))
    return {(row.manager_id, row.month): row for row in rows}


def won_amounts(session: Session, ids: list[int], month: date) -> dict[int, Decimal]:
    """Return the RUB amount won in the month per owner, from the monthly summary."""
    rows = session.execute(
        select(DealClosedMonth.owner_id, func.sum(DealClosedMonth.amount))
        .join(Stage, Stage.id == DealClosedMonth.stage_id)
        .where(DealClosedMonth.month == month, Stage.kind == StageKind.WON.value,
               DealClosedMonth.currency == MAIN_CURRENCY, DealClosedMonth.owner_id.in_(ids))
        .group_by(DealClosedMonth.owner_id))
    return {owner: Decimal(amount or 0).quantize(Decimal("0.01")) for owner, amount in rows}


def done_touches(session: Session, ids: list[int], month: date) -> dict[int, int]:
    """Return the tasks done in the month per person who did them, from the daily summary."""
    rows = session.execute(
        select(TaskDoneDay.user_id, func.sum(TaskDoneDay.n))
        .where(TaskDoneDay.day >= month, TaskDoneDay.day < add_months(month, 1),
               TaskDoneDay.user_id.in_(ids))
        .group_by(TaskDoneDay.user_id))
    return {user: int(count or 0) for user, count in rows}


def _fill(row: PlanFact, plan, amount: Decimal, touches: int, month: date, today: date):
    row.plan_amount = plan.amount if plan is not None else None
    row.plan_touches = plan.touches if plan is not None else None
    row.fact_amount, row.fact_touches = amount, touches
    row.rate_amount = run_rate(amount, month, today)
    row.rate_touches = run_rate(touches, month, today)


def _add_to(total: PlanFact, row: PlanFact) -> None:
    if row.plan_amount is not None:
        total.plan_amount = (total.plan_amount or ZERO) + row.plan_amount
    if row.plan_touches is not None:
        total.plan_touches = (total.plan_touches or 0) + row.plan_touches
    total.fact_amount += row.fact_amount
    total.rate_amount += row.rate_amount
    total.fact_touches += row.fact_touches
    total.rate_touches += row.rate_touches


def month_plan(session: Session, actor, month: date, today: date,
               manager_id: int | None = None, team_label: str = "") -> MonthPlan:
    """Return plan, fact and run rate of the month per manager the actor may see, and total.

    A Manager gets their own row only; Head and Admin every client owner, or one.
    Four statements whatever the team's size.
    """
    month = month.replace(day=1)
    managers = _managers(session, actor, manager_id)
    ids = [user_id for user_id, _name in managers]
    planned = plans(session, ids, month, add_months(month, 1))
    amounts = won_amounts(session, ids, month) if ids else {}
    touches = done_touches(session, ids, month) if ids else {}
    rows, total = [], PlanFact(None, team_label)
    for user_id, name in managers:
        row = PlanFact(user_id, name)
        _fill(row, planned.get((user_id, month)), amounts.get(user_id, ZERO),
              touches.get(user_id, 0), month, today)
        _add_to(total, row)
        rows.append(row)
    last = month_end(month)
    return MonthPlan(month, rows, total,
                     elapsed_days=working_days(month, min(today, last)) if today >= month else 0,
                     month_days=working_days(month, last))


@dataclass
class Grid:
    """The plan grid of a year: the managers, the months, and each cell's plan."""

    managers: list[tuple[int, str]]
    months: list[date]
    cells: dict


def grid(session: Session, year: int) -> Grid:
    """Return the grid of every active client owner by the twelve months of the year."""
    first = date(year, 1, 1)
    months = [add_months(first, index) for index in range(12)]
    managers = team(session)
    cells = plans(session, [user_id for user_id, _name in managers], first, date(year + 1, 1, 1))
    return Grid(managers, months, cells)
