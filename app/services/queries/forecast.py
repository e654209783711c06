"""The forecast: open deals by expected close month, amount x stage probability, vs plan.

Amounts are summed per currency; the plan (app/services/queries/plan.py) is in the main
currency (RUB) and is compared with the RUB amounts. Deals whose expected close date has
passed are in the "overdue" row, those without one in "no date". Warnings name the open
deals whose expected close date is past, whose next task comes after it, or whose date
moved three times or more (`Deal.close_date_moves`, counted as the history records it).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import func, or_, select, union_all
from sqlalchemy.orm import Session, selectinload

from app.models import Deal, DealStageMonth, SalesPlan, Stage
from app.models.deal_stage_month import NO_CLOSE_MONTH
from app.services.queries.cadence import date_of
from app.services.queries.reports import Amounts, add_months, summary_scope
from app.services.rules.close_date import WARN_AT
from app.services.rules.visibility import scope_query, sees_everything

MONTHS = 6
# Warnings listed, earliest expected date first; the rest are counted (a page, not a report).
LISTED = 25
# Warnings are counted up to this many; the page then says "999+".
WARNINGS_COUNTED = 999
OVERDUE, NO_DATE = "overdue", "no_date"


@dataclass
class ForecastRow:
    """One month (or the overdue / no date bucket): deals, amounts, weighted, plan."""

    key: str
    month: date | None
    count: int = 0
    amounts: Amounts = field(default_factory=dict)
    weighted: Amounts = field(default_factory=dict)
    plan: Decimal | None = None

    @property
    def gap(self) -> Decimal | None:
        """Return the weighted RUB amount minus the plan (negative: short of plan)."""
        if self.plan is None:
            return None
        return self.weighted.get("RUB", Decimal("0.00")) - self.plan


@dataclass
class Warning:
    """An open deal the forecast cannot trust, with the reasons."""

    deal: Deal
    past: bool
    task_after_close: bool
    moved: bool


@dataclass
class Forecast:
    rows: list[ForecastRow]
    total: ForecastRow
    warnings: list[Warning]
    warning_count: int

    @property
    def warnings_capped(self) -> bool:
        """Say whether there are more warnings than were counted."""
        return self.warning_count > WARNINGS_COUNTED


def _scoped(query, actor, manager_id: int | None):
    query = scope_query(query, Deal, actor)
    if manager_id is not None and sees_everything(actor):
        query = query.filter(Deal.owner_id == manager_id)
    return query


def _open(query):
    return query.join(Stage, Stage.id == Deal.stage_id).filter(Stage.is_open)


def _add(amounts: Amounts, currency: str | None, amount) -> None:
    if amount is not None:
        key = currency or "RUB"
        amounts[key] = amounts.get(key, Decimal("0.00")) + Decimal(amount).quantize(
            Decimal("0.01"))


def _weigh(amount, probability: int) -> Decimal:
    return (Decimal(amount or 0) * probability / 100).quantize(Decimal("0.01"))


def _rows(session, actor, manager_id, first: date, end: date, stages: dict[int, int]) -> dict:
    """Sum the open deals per month bucket, stage probability and currency.

    One GROUP BY per month, stage and currency over the pipeline's summary
    (DealStageMonth, kept by the write paths), whatever the number of deals; the groups
    are folded into the rows here, amounts summed exactly before weighing.
    """
    rows = {OVERDUE: ForecastRow(OVERDUE, None), NO_DATE: ForecastRow(NO_DATE, None)}
    month = first
    while month < end:
        rows[month.isoformat()] = ForecastRow(month.isoformat(), month)
        month = add_months(month, 1)
    if not stages:
        return rows
    summary = DealStageMonth
    # NO_CLOSE_MONTH is before `end`: the deals without a date are read with the rest.
    query = summary_scope(session.query(
        summary.month, summary.stage_id, summary.currency, func.sum(summary.n),
        func.sum(summary.amount_n), func.sum(summary.amount)), summary.owner_id, actor,
        manager_id).filter(summary.stage_id.in_(sorted(stages)), summary.month < end,
    ).group_by(summary.month, summary.stage_id, summary.currency)
    groups: dict[tuple, list] = {}
    for month, stage_id, currency, count, amounts, amount in query:
        key = NO_DATE if month == NO_CLOSE_MONTH else OVERDUE if month < first else \
            month.isoformat()
        group = groups.setdefault((key, stages[stage_id], currency), [0, None])
        group[0] += int(count or 0)
        if amounts:
            group[1] = (group[1] or Decimal(0)) + Decimal(amount)
    for (key, probability, currency), (count, amount) in groups.items():
        row = rows[key]
        row.count += count
        _add(row.amounts, currency, amount)
        _add(row.weighted, currency, _weigh(amount, probability))
    return rows


def _plans(session, actor, manager_id, first: date, end: date) -> dict[date, Decimal]:
    query = select(SalesPlan.month, func.sum(SalesPlan.amount)).where(
        SalesPlan.month >= first, SalesPlan.month < end).group_by(SalesPlan.month)
    if not sees_everything(actor):
        query = query.where(SalesPlan.manager_id == getattr(actor, "id", None))
    elif manager_id is not None:
        query = query.where(SalesPlan.manager_id == manager_id)
    return {month: amount for month, amount in session.execute(query) if amount is not None}


def _warning_condition(today: date):
    # The cheap comparisons first: a deal one of them keeps is not read further.
    return or_(
        Deal.expected_close_date < today,
        Deal.close_date_moves >= WARN_AT,
        date_of(Deal.next_task_at) > Deal.expected_close_date,
    )


def _warning_ids(session, actor, manager_id, today: date, stage_ids: list[int],
                 limit: int) -> list[int]:
    """Return the first `limit` warnings' ids, earliest expected close date first.

    One read per open stage along its (stage, date) index, each stopping at `limit`, put
    together in one statement: the earliest (past) dates come first and all qualify. In
    one walk of every deal by date, the won and lost deals' old dates came first. Deals
    of one date are in id order among those read (the last date of a stage's read may
    leave some out: the list is a page of warnings, not all of them).
    """
    if not stage_ids:
        return []
    if session.get_bind().dialect.name == "sqlite" and (
            manager_id is not None or not sees_everything(actor)):
        # One manager's deals: SQLite walks that owner's (owner, date) index once, reading
        # only theirs; per stage it would read every owner's entries of the stage.
        return list(session.scalars(
            _scoped(_open(session.query(Deal.id)), actor, manager_id)
            .filter(_warning_condition(today))
            .order_by(Deal.expected_close_date, Deal.id)
            .with_hint(Deal, "INDEXED BY ix_deal_owner_forecast", "sqlite").limit(limit)
            .statement))
    arms = [
        _scoped(session.query(Deal.id, Deal.expected_close_date), actor, manager_id)
        .filter(Deal.stage_id == stage_id, _warning_condition(today))
        # By date alone, the order of ix_deal_past_close (archived, stage, date): with the
        # id too, PostgreSQL walks every deal by date instead, sorted or not.
        .order_by(Deal.expected_close_date).limit(limit).subquery()
        for stage_id in stage_ids
    ]
    chosen = union_all(*(select(arm.c.id, arm.c.expected_close_date) for arm in arms)
                       ).subquery()
    return list(session.scalars(select(chosen.c.id).order_by(
        chosen.c.expected_close_date, chosen.c.id).limit(limit)))


def _warnings(session, actor, manager_id, today: date, stage_ids: list[int], limit: int):
    base = _scoped(_open(session.query(Deal.id)), actor, manager_id).filter(
        _warning_condition(today))
    # Counted up to a cap ("999+"): past it the head needs the list, not the number.
    counted = base.order_by(None).with_entities(Deal.id).limit(WARNINGS_COUNTED + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    ids = _warning_ids(session, actor, manager_id, today, stage_ids, limit)
    deals = {deal.id: deal for deal in session.query(Deal).filter(Deal.id.in_(ids)).options(
        selectinload(Deal.company), selectinload(Deal.contact))} if ids else {}
    warnings = []
    for deal_id in ids:
        deal = deals.get(deal_id)
        if deal is None:
            continue
        close = deal.expected_close_date
        warnings.append(Warning(
            deal,
            past=close is not None and close < today,
            task_after_close=close is not None and deal.next_task_at is not None
            and deal.next_task_at.date() > close,
            moved=deal.close_date_moves >= WARN_AT,
        ))
    return warnings, total


def forecast(session: Session, actor, today: date, manager_id: int | None = None,
             months: int = MONTHS, limit: int = LISTED) -> Forecast:
    """Return the forecast of the open deals the actor may see, from the current month.

    One GROUP BY over the pipeline's summary for the months, one for the plan, a count and
    a page of warnings.
    """
    first = today.replace(day=1)
    end = add_months(first, months)
    # The open stages and their probabilities.
    stages = dict(session.execute(
        select(Stage.id, Stage.probability).where(Stage.is_open)).tuples().all())
    rows = _rows(session, actor, manager_id, first, end, stages)
    for month, amount in _plans(session, actor, manager_id, first, end).items():
        row = rows.get(month.isoformat())
        if row is not None:
            row.plan = Decimal(amount).quantize(Decimal("0.01"))
    ordered = [rows[OVERDUE], *(rows[key] for key in rows if key not in (OVERDUE, NO_DATE)),
               rows[NO_DATE]]
    total = ForecastRow("total", None)
    for row in ordered:
        total.count += row.count
        for currency, amount in row.amounts.items():
            _add(total.amounts, currency, amount)
        for currency, amount in row.weighted.items():
            _add(total.weighted, currency, amount)
        if row.plan is not None:
            total.plan = (total.plan or Decimal("0.00")) + row.plan
    warnings, count = _warnings(session, actor, manager_id, today, sorted(stages), limit)
    return Forecast(ordered, total, warnings, count)
