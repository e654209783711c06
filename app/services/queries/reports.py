"""The figures behind the charts, aggregated in the database and scoped by visibility.

Every function groups in SQL (a handful of rows come back, never the records) and leaves
archived records out. A Manager gets only own numbers; Head and Admin get everyone's, or
one manager's when `manager_id` is given.
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select, text
from sqlalchemy.orm import Query, Session

from app.formatting import name_text
from app.models import (
    ClientCreatedMonth,
    Deal,
    DealClosedMonth,
    DealStageMonth,
    Stage,
    TaskDoneDay,
    User,
)
from app.models.client_created_month import COMPANY
from app.models.enums import StageKind
from app.models.task import PLANNED_PREDICATE
from app.services.queries.agenda import (
    PLANNED_DUE,
    PLANNED_OWNER,
    QUEUE_INDEXES,
    QUEUE_MODELS,
    planned_by_owner_and_due,
)
from app.services.rules.followup import queue_filter
from app.services.rules.team import active_client_owner_ids
from app.services.rules.visibility import scope_query, sees_everything

MAX_MONTHS = 60
MAX_WEEKS = 52
TOP_REASONS = 10
TOP_SOURCES = 8
# The column of the sources left out of the top; PostgreSQL text cannot hold NUL, so no
# source typed by a person can be equal to it.
OTHER_SOURCES = "\x00other"

Amounts = dict[str, Decimal]


def scoped(query: Query, model, actor, manager_id: int | None) -> Query:
    """Apply the visibility rule, then the head's choice of one manager."""
    query = scope_query(query, model, actor)
    if manager_id is not None and sees_everything(actor):
        query = query.filter(model.owner_id == manager_id)
    return query


def summary_scope(query: Query, column, actor, manager_id: int | None) -> Query:
    """Keep the summary rows the actor may count: a manager their own, the head any."""
    if not sees_everything(actor):
        return query.filter(column == getattr(actor, "id", None))
    if manager_id is not None:
        query = query.filter(column == manager_id)
    return query


def _add(amounts: Amounts, currency: str | None, amount) -> None:
    if amount is None:
        return
    key = currency or "RUB"
    amounts[key] = amounts.get(key, Decimal("0")) + Decimal(amount).quantize(Decimal("0.01"))


def user_names(session: Session, ids: Iterable[int]) -> dict[int, str]:
    """Return the full names of the given users, in one query."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.query(User.id, User.first_name, User.last_name).filter(User.id.in_(wanted))
    return {user_id: name_text(first, last) for user_id, first, last in rows}


def team(session: Session) -> list[tuple[int, str]]:
    """Return (id, full name) of the active client owners, by name: the manager filter's."""
    rows = (
        session.query(User.id, User.first_name, User.last_name)
        .filter(User.id.in_(active_client_owner_ids()))
        .order_by(User.last_name, User.first_name, User.id)
    )
    return [(user_id, name_text(first, last)) for user_id, first, last in rows]


def open_stages(session: Session) -> list[Stage]:
    """Return the open stages of the pipeline in their order."""
    return list(
        session.query(Stage)
        .filter(Stage.is_open)
        .order_by(Stage.position, Stage.id)
    )


# --- periods ---------------------------------------------------------------------------


def add_months(day: date, count: int) -> date:
    """Return the first day of the month `count` months after the month of `day`."""
    index = day.year * 12 + day.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Period:
    """Whole months: from the first day of `start` up to (not including) `end`."""

    start: date
    end: date

    @classmethod
    def last_months(cls, today: date, count: int) -> "Period":
        """Return the `count` months up to and including the month of `today`."""
        count = min(max(count, 1), MAX_MONTHS)
        end = add_months(today, 1)
        return cls(add_months(end, -count), end)

    @classmethod
    def between(cls, first: date, last: date) -> "Period":
        """Return the months from the month of `first` to that of `last`, both included."""
        if last < first:
            first, last = last, first
        start = add_months(first, 0)
        end = min(add_months(last, 1), add_months(start, MAX_MONTHS))
        return cls(start, end)

    @property
    def months(self) -> list[date]:
        """Return the first day of every month of the period, oldest first."""
        result, month = [], self.start
        while month < self.end:
            result.append(month)
            month = add_months(month, 1)
        return result

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        """Return the start and the end of the period as times, for column comparisons."""
        return datetime.combine(self.start, time()), datetime.combine(self.end, time())


# --- a. the sales funnel ---------------------------------------------------------------


@dataclass
class FunnelStage:
    """One open stage: its deals, their amounts, and how many got this far."""

    stage: Stage
    count: int = 0
    amounts: Amounts = field(default_factory=dict)
    reached: int = 0
    # Percent of the deals at the previous stage or further that are here or further.
    conversion: Decimal | None = None


def funnel(session: Session, actor, manager_id: int | None = None,
           stages: list[Stage] | None = None) -> list[FunnelStage]:
    """Count open deals and sum their amounts per open stage, in pipeline order.

    One GROUP BY over the pipeline's summary (DealStageMonth, kept by the write paths),
    whatever the number of deals. A deal "reached" a stage when it is there or at a later
    open stage. `stages`: every stage in pipeline order, when the caller has read them.
    """
    stages = open_stages(session) if stages is None else [s for s in stages if s.is_open]
    rows = {stage.id: FunnelStage(stage) for stage in stages}
    summary = DealStageMonth
    query = (
        session.query(summary.stage_id, summary.currency, func.sum(summary.n),
                      func.sum(summary.amount_n), func.sum(summary.amount))
        .filter(summary.stage_id.in_(list(rows)))
        .group_by(summary.stage_id, summary.currency)
    )
    for stage_id, currency, count, amounts, amount in summary_scope(
            query, summary.owner_id, actor, manager_id):
        rows[stage_id].count += int(count or 0)
        _add(rows[stage_id].amounts, currency, amount if amounts else None)
    result = [rows[stage.id] for stage in stages]
    reached = 0
    for row in reversed(result):
        reached += row.count
        row.reached = reached
    for previous, row in zip(result, result[1:], strict=False):
        if previous.reached:
            row.conversion = (Decimal(row.reached * 100) / previous.reached).quantize(
                Decimal("0.1")
            )
    return result


# --- b. deals won and lost per month ---------------------------------------------------


@dataclass
class MonthOutcome:
    """The deals closed in one month: won and lost, counted and summed."""

    month: date
    won: int = 0
    won_amounts: Amounts = field(default_factory=dict)
    lost: int = 0
    lost_amounts: Amounts = field(default_factory=dict)


@dataclass
class WonLost:
    """Won and lost deals per month of a period, the totals, and the top lost reasons."""

    months: list[MonthOutcome]
    reasons: list[tuple[str | None, int]]
    total: MonthOutcome


def _amount(amounts: int, amount) -> Decimal | None:
    return amount if amounts else None


def won_lost(session: Session, actor, period: Period, manager_id: int | None = None) -> WonLost:
    """Count and sum the deals closed won or lost in each month of the period.

    Read from the summary of closed deals per manager and month (app/services/rules/
    summaries.py keeps it with every write), joined to the few stages for their kind:
    a few hundred rows whatever the number of deals. Lost reasons: the most frequent,
    with their counts.
    """
    summary = DealClosedMonth
    in_period = (summary.month >= period.start, summary.month < period.end)
    count, amounts = func.sum(summary.n), func.sum(summary.amount_n)
    query = (
        session.query(summary.month, Stage.kind, summary.currency, count, amounts,
                      func.sum(summary.amount))
        .join(Stage, Stage.id == summary.stage_id)
        .filter(Stage.kind.in_([StageKind.WON.value, StageKind.LOST.value]), *in_period)
        .group_by(summary.month, Stage.kind, summary.currency)
        .having(count != 0)
    )
    months = {first: MonthOutcome(first) for first in period.months}
    total = MonthOutcome(period.start)
    for first, kind, currency, number, with_amount, amount in summary_scope(
        query, summary.owner_id, actor, manager_id
    ):
        outcome = months.get(_as_date(first))
        if outcome is None:
            continue
        for target in (outcome, total):
            if kind == StageKind.WON.value:
                target.won += number
                _add(target.won_amounts, currency, _amount(with_amount, amount))
            else:
                target.lost += number
                _add(target.lost_amounts, currency, _amount(with_amount, amount))
    reasons = (
        summary_scope(
            session.query(summary.lost_reason, count)
            .join(Stage, Stage.id == summary.stage_id)
            .filter(Stage.kind == StageKind.LOST.value, *in_period)
            .group_by(summary.lost_reason)
            .having(count != 0),
            summary.owner_id,
            actor,
            manager_id,
        )
        .order_by(count.desc(), summary.lost_reason)
        .limit(TOP_REASONS)
    )
    return WonLost(list(months.values()), [(reason or None, n) for reason, n in reasons], total)


def _as_date(value) -> date:
    """Return a date column's value as a date (a driver may hand it back as text)."""
    return date.fromisoformat(value[:10]) if isinstance(value, str) else value


# --- c. tasks done per manager per week, overdue tasks ---------------------------------


def week_start(day: date) -> date:
    """Return the Monday of the week of `day`."""
    return day - timedelta(days=day.weekday())


@dataclass
class ManagerTasks:
    """One manager's done tasks per week (oldest week first) and overdue tasks now."""

    user_id: int
    name: str
    done: list[int]
    overdue: int = 0

    @property
    def done_total(self) -> int:
        return sum(self.done)


@dataclass
class TaskActivity:
    """The weeks of the report (their Mondays) and each manager's figures."""

    weeks: list[date]
    managers: list[ManagerTasks]

    @property
    def done_per_week(self) -> list[int]:
        return [sum(row.done[index] for row in self.managers) for index in range(len(self.weeks))]

    @property
    def overdue(self) -> int:
        return sum(row.overdue for row in self.managers)


def done_days(session: Session, actor, first: date, end: date,
              manager_id: int | None = None) -> list[tuple[int, date, int]]:
    """Return (who did them, day, how many) of the tasks done from `first` to before `end`.

    One query over the summary of done tasks (who did them: a manager counts their own
    work, also on clients since handed over), visibility applied.
    """
    query = summary_scope(
        session.query(TaskDoneDay.user_id, TaskDoneDay.day, TaskDoneDay.n)
        .filter(TaskDoneDay.day >= first, TaskDoneDay.day < end, TaskDoneDay.n != 0),
        TaskDoneDay.user_id,
        actor,
        manager_id,
    )
    return [(user_id, _as_date(day), count) for user_id, day, count in query]


def overdue_by_owner(session: Session, actor, now: datetime,
                     manager_id: int | None = None) -> dict[int, int]:
    """Count the planned tasks due before `now` per owner the actor may count.

    Read from ix_task_planned_owner_due owner by owner (named on SQLite, whose guess
    otherwise visits every planned task's row).
    """
    statement = (select(PLANNED_OWNER, func.count())
                 .select_from(planned_by_owner_and_due(session))
                 .where(text(PLANNED_PREDICATE), PLANNED_DUE < now)
                 .group_by(PLANNED_OWNER))
    if not sees_everything(actor):
        statement = statement.where(PLANNED_OWNER == getattr(actor, "id", None))
    elif manager_id is not None:
        statement = statement.where(PLANNED_OWNER == manager_id)
    return dict(session.execute(statement).tuples().all())


def task_activity(
    session: Session, actor, now: datetime, weeks: int = 8, manager_id: int | None = None
) -> TaskActivity:
    """Count the tasks done per manager per week (the last `weeks`), and overdue ones.

    Done: the summary of tasks done per manager who did them and day (a manager counts
    their own work, also on clients since handed over; app/services/rules/summaries.py
    keeps it), the days folded into weeks here. Overdue: planned tasks
    due before `now`, one GROUP BY owner read from the partial ix_task_planned_owner_due.
    """
    weeks = min(max(weeks, 1), MAX_WEEKS)
    first = week_start(now.date()) - timedelta(weeks=weeks - 1)
    mondays = [first + timedelta(weeks=index) for index in range(weeks)]
    per_user: dict[int, list[int]] = {}
    end = first + timedelta(weeks=weeks)
    for user_id, done_day, count in done_days(session, actor, first, end, manager_id):
        index = (done_day - first).days // 7
        if 0 <= index < weeks:
            per_user.setdefault(user_id, [0] * weeks)[index] += count
    overdue = overdue_by_owner(session, actor, now, manager_id)
    names = user_names(session, [*per_user, *overdue])
    rows = [
        ManagerTasks(
            user_id,
            names.get(user_id, ""),
            per_user.get(user_id, [0] * weeks),
            overdue.get(user_id, 0),
        )
        for user_id in set(per_user) | set(overdue)
    ]
    rows.sort(key=lambda row: (row.name, row.user_id))
    return TaskActivity(mondays, rows)


# --- d. live clients and open deals without a next task --------------------------------


@dataclass
class ManagerGaps:
    """How many of one manager's live clients and open deals have no planned task."""

    user_id: int
    name: str
    companies: int = 0
    private_clients: int = 0
    deals: int = 0

    @property
    def total(self) -> int:
        return self.companies + self.private_clients + self.deals


def without_next_task(session: Session, actor, manager_id: int | None = None) -> list[ManagerGaps]:
    """Count per manager the live companies, private clients and open deals with no task.

    One GROUP BY owner per kind, with the queue's condition (followup.queue_filter): the
    stored next task date is NULL, read from the partial queue index of each table.
    """
    counts: dict[int, dict[str, int]] = {}
    open_ids = [stage.id for stage in open_stages(session)]
    for kind, model in QUEUE_MODELS:
        # Named on SQLite, as the queue names them: left to itself it read every deal
        # without a next task along the owner's index (39 ms for a team of three), and for
        # one manager every private client by company_id IS NULL (6 ms, for none found).
        index = "ix_deal_queue_stage" if model is Deal else QUEUE_INDEXES[model]
        query = session.query(model.owner_id, func.count()).with_hint(
            model, f"INDEXED BY {index}", "sqlite")
        query = scoped(
            query.filter(queue_filter(model, open_ids)).group_by(model.owner_id),
            model,
            actor,
            manager_id,
        )
        for owner_id, count in query:
            counts.setdefault(owner_id, {})[kind] = count
    names = user_names(session, counts)
    rows = [
        ManagerGaps(user_id, names.get(user_id, ""), **kinds) for user_id, kinds in counts.items()
    ]
    rows.sort(key=lambda row: (row.name, row.user_id))
    return rows


# --- e. new clients per month by source ------------------------------------------------


@dataclass
class MonthClients:
    """The clients created in one month: companies, private clients, and per source."""

    month: date
    companies: int = 0
    private_clients: int = 0
    by_source: dict[str | None, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return self.companies + self.private_clients


@dataclass
class NewClients:
    """New clients per month; `sources` are the columns (None: not specified)."""

    months: list[MonthClients]
    sources: list[str | None]
    total: MonthClients


def _clean_source(source: str | None) -> str | None:
    return (source or "").strip() or None


def new_clients(
    session: Session, actor, period: Period, manager_id: int | None = None
) -> NewClients:
    """Count the companies and private clients created in each month, per source.

    Read from the summary of clients created per manager, month, kind and source
    (app/services/rules/summaries.py keeps it with every write). The most frequent sources
    keep their own column; the rest are summed under OTHER_SOURCES.
    """
    summary = ClientCreatedMonth
    months = {first: MonthClients(first) for first in period.months}
    totals: dict[str | None, int] = {}
    count = func.sum(summary.n)
    query = summary_scope(
        session.query(summary.month, summary.kind, summary.source, count)
        .filter(summary.month >= period.start, summary.month < period.end)
        .group_by(summary.month, summary.kind, summary.source)
        .having(count != 0),
        summary.owner_id,
        actor,
        manager_id,
    )
    for first, kind, source, number in query:
        row = months.get(_as_date(first))
        if row is None:
            continue
        source = _clean_source(source)
        attribute = "companies" if kind == COMPANY else "private_clients"
        setattr(row, attribute, getattr(row, attribute) + number)
        row.by_source[source] = row.by_source.get(source, 0) + number
        totals[source] = totals.get(source, 0) + number
    named = sorted((s for s in totals if s is not None), key=lambda s: (-totals[s], s))
    kept = named[:TOP_SOURCES]
    sources: list[str | None] = [*kept]
    if len(named) > TOP_SOURCES:
        sources.append(OTHER_SOURCES)
        for row in months.values():
            other = sum(n for s, n in row.by_source.items() if s is not None and s not in kept)
            row.by_source = {s: n for s, n in row.by_source.items() if s is None or s in kept}
            row.by_source[OTHER_SOURCES] = other
    if None in totals:
        sources.append(None)
    total = MonthClients(period.start)
    for row in months.values():
        total.companies += row.companies
        total.private_clients += row.private_clients
        for source, count in row.by_source.items():
            total.by_source[source] = total.by_source.get(source, 0) + count
    return NewClients(list(months.values()), sources, total)
