"""Off cadence: open deals not touched, or not planned to be, within their stage's limit.

A stage may say how many days may pass between touches (`Stage.max_days_between_touches`).
The last touch is the deal's latest done task, or its creation while there is none
(`Deal.last_touch_at`, kept by app/services/rules/next_task.py). Counted in whole days of
the team's calendar, a deal is off cadence when

- more than the limit has passed since the last touch (today - last touch > limit), or
- its next task is planned later than the last touch plus the limit.

Exactly at the limit is still on cadence. Everything is one statement over the deals of
the stages with a limit (ix_deal_owner_cadence / ix_deal_cadence hold every column asked).
"""

from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Integer, false, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.functions import FunctionElement

from app.models import Deal, Stage
from app.models.mixins import local_now
from app.services.rules.visibility import scope_query, sees_everything

LISTED = 200  # deals listed on the page; the rest are counted
EPOCH = date(2000, 1, 1)


class day_number(FunctionElement):  # noqa: N801 - a SQL function, named like one
    """The whole days from 2000-01-01 to the date of a time column, in SQL."""

    type = Integer()
    inherit_cache = True


@compiles(day_number, "sqlite")
def _day_number_sqlite(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"CAST(julianday(date({column})) - 2451544.5 AS INTEGER)"


@compiles(day_number, "postgresql")
def _day_number_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"(CAST({column} AS DATE) - DATE '2000-01-01')"


def _days(day: date) -> int:
    return (day - EPOCH).days


def touch_day(deal: Deal) -> date | None:
    """Return the day of the deal's last touch (its creation while nothing was done)."""
    moment = deal.last_touch_at or deal.created_at
    return moment.date() if moment is not None else None


def is_off_cadence(deal: Deal, today: date) -> bool:
    """Tell whether an open deal breaks its stage's cadence (no query: stored dates only)."""
    stage = deal.stage
    limit = stage.max_days_between_touches if stage is not None else None
    touched = touch_day(deal)
    if not limit or touched is None or deal.archived or not stage.is_open:
        return False
    if (today - touched).days > limit:
        return True
    return deal.next_task_at is not None and (deal.next_task_at.date() - touched).days > limit


def off_cadence_condition(today: date):
    """Return the SQL condition 'off cadence' (the query must join Stage)."""
    limit = Stage.max_days_between_touches
    touched = day_number(Deal.last_touch_at)
    return (
        limit.is_not(None)
        & Stage.is_open
        & ((_days(today) - touched > limit) | (day_number(Deal.next_task_at) - touched > limit))
    )


def _scoped(query, actor, manager_id: int | None):
    query = scope_query(query, Deal, actor)
    if manager_id is not None and sees_everything(actor):
        query = query.filter(Deal.owner_id == manager_id)
    return query


def _base(session: Session, columns, actor, today: date, manager_id: int | None):
    query = (
        session.query(*columns)
        .join(Stage, Stage.id == Deal.stage_id)
        .filter(Deal.archived == false(), off_cadence_condition(today))
    )
    return _scoped(query, actor, manager_id)


@dataclass
class OffCadence:
    """The deals off cadence a user may see: the first `LISTED`, and how many in all."""

    deals: list[Deal]
    total: int
    per_manager: dict[int, int]


def off_cadence(session: Session, actor, manager_id: int | None = None,
                today: date | None = None, limit: int = LISTED) -> OffCadence:
    """Return the open deals off cadence: a manager's own, or the head's choice (or all).

    Three statements whatever the number of deals: the count per manager, the ids of the
    longest untouched, and those deals with their clients and stages.
    """
    today = today or local_now().date()
    counts = _base(session, (Deal.owner_id, func.count()), actor, today, manager_id) \
        .group_by(Deal.owner_id)
    per_manager = {owner_id: number for owner_id, number in counts}
    total = sum(per_manager.values())
    deals: list[Deal] = []
    if total:
        ids = [deal_id for (deal_id,) in _base(session, (Deal.id,), actor, today, manager_id)
               .order_by(Deal.last_touch_at, Deal.id).limit(limit)]
        loaded = {deal.id: deal for deal in session.query(Deal).filter(Deal.id.in_(ids))
                  .options(selectinload(Deal.company), selectinload(Deal.contact))}
        deals = [loaded[deal_id] for deal_id in ids if deal_id in loaded]
    return OffCadence(deals, total, per_manager)


def count_off_cadence(session: Session, actor, manager_id: int | None = None,
                      today: date | None = None) -> int:
    """Count the open deals off cadence the actor may see (one statement)."""
    today = today or local_now().date()
    return _base(session, (func.count(Deal.id),), actor, today, manager_id).scalar() or 0


def days_until(due_at: datetime, touched: date) -> int:
    """Return the whole days from the touch day to the due day."""
    return (due_at.date() - touched).days


def planning_warning(session: Session, deal: Deal | None, due_at: datetime | None,
                     touched: date | None = None) -> str | None:
    """Return the warning for planning a deal's next task beyond its stage's limit, or None.

    `touched` is the day of the touch being recorded (completing a task); without it the
    deal's stored last touch counts. Planning beyond the limit stays allowed.
    """
    if deal is None or due_at is None or deal.stage_id is None:
        return None
    stage = deal.stage if deal.stage is not None else session.get(Stage, deal.stage_id)
    limit = stage.max_days_between_touches if stage is not None else None
    touched = touched or touch_day(deal)
    if not limit or touched is None or not stage.is_open:
        return None
    days = days_until(due_at, touched)
    if days <= limit:
        return None
    return str(_l("Stage «%(stage)s» expects a touch every %(limit)s days; the next task is in "
                  "%(days)s.", stage=stage.label, limit=limit, days=days))


def manager_ids_in(result: OffCadence) -> list[int]:
    """Return the managers who have deals off cadence, most first."""
    return sorted(result.per_manager, key=lambda owner: (-result.per_manager[owner], owner))


def select_off_cadence_ids(today: date):
    """Return a SELECT of the ids of every open deal off cadence (for other queries)."""
    return (select(Deal.id).join(Stage, Stage.id == Deal.stage_id)
            .where(Deal.archived == false(), off_cadence_condition(today)))


def completion_warning(session: Session, task, planned) -> str | None:
    """Return the warning for the next task planned on completing `task`, or None.

    Completing a task is a touch today (a cancelled one is not: the deal's stored last
    touch counts); the warning never stops the completion.
    """
    if planned is None or planned.deal_id is None:
        return None
    deal = session.get(Deal, planned.deal_id)
    touched = local_now().date() if task.state == "done" else None
    return planning_warning(session, deal, planned.due_at, touched)
