"""The head's team day: per manager what is late, due, done and waiting, in a few queries.

Every figure is the one the manager sees on their own pages, read by the same query
grouped by owner: overdue and today's tasks (the menu bar's counters, capped as there at
"100+"), done tasks (the tasks chart's summary), without a next task (the queue's
condition, as the chart counts it). One statement per kind of figure, whatever the size
of the team.
"""

from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import bindparam, false, func, select
from sqlalchemy.orm import Session

from app.models import Deal
from app.services.errors import DomainError
from app.services.queries import agenda, inbox, reports
from app.services.queries.menu_counts import TASK_COUNT_CAP
from app.services.rules.visibility import sees_everything

PAST_CLOSE_INDEX = "ix_deal_past_close"
# The figures of a row, in the order of the table's columns.
FIGURES = ("overdue", "today", "done_today", "done_week", "without_next_task", "inbox",
           "past_close")


@dataclass
class MemberDay:
    """One manager's figures of the day (user_id 0: the team's totals)."""

    user_id: int
    name: str
    overdue: int = 0
    today: int = 0
    done_today: int = 0
    done_week: int = 0
    without_next_task: int = 0
    # None until the CRM has an inbox: the column then shows nothing.
    inbox: int | None = None
    past_close: int = 0
    # The figures that reached the menu bar's cap: shown "100+", as the manager sees them.
    capped: frozenset[str] = frozenset()


@dataclass
class TeamDay:
    """The team's rows by name, their totals, and the moments the figures were taken at."""

    members: list[MemberDay]
    total: MemberDay
    now: datetime
    week_start: date
    inbox_ready: bool


def _done(session: Session, actor, today: date) -> dict[int, tuple[int, int]]:
    """Return {who did them: (done today, done this week)} from the tasks chart's summary."""
    monday = reports.week_start(today)
    result: dict[int, list[int]] = {}
    for user_id, day, count in reports.done_days(session, actor, monday,
                                                 today + timedelta(days=1)):
        row = result.setdefault(user_id, [0, 0])
        row[1] += count
        if day == today:
            row[0] += count
    return {user_id: (row[0], row[1]) for user_id, row in result.items()}


def past_close_query(session: Session, today: date):
    """Return the count per owner of open deals whose expected close date has passed.

    The open stages are written into the SQL as values, so that SQLite too reads just
    those deals from ix_deal_past_close (archived, stage, date, owner). SQLite is told
    the index: left to itself it skips through the forecast's index by owner, which reads
    every deal dated before today, closed ones too (three times as slow at 155,000 deals).
    """
    stages = sorted(stage.id for stage in reports.open_stages(session))
    open_stage = bindparam("open_stages", stages, expanding=True, literal_execute=True)
    return (
        select(Deal.owner_id, func.count())
        .where(Deal.archived == false(), Deal.stage_id.in_(open_stage),
               Deal.expected_close_date < today)
        .group_by(Deal.owner_id)
        .with_hint(Deal, f"INDEXED BY {PAST_CLOSE_INDEX}", "sqlite")
    )


def past_close(session: Session, today: date) -> dict[int, int]:
    """Count per owner the open deals whose expected close date has passed."""
    return dict(session.execute(past_close_query(session, today)).all())


def inbox_waiting(session: Session) -> dict[int, int]:
    """Count per owner the inbox items waiting for a decision."""
    return inbox.waiting_by_owner(session)


def team_day(session: Session, actor, now: datetime) -> TeamDay:
    """Return each manager's figures of the day and the team's totals.

    :raise DomainError: if the actor is a manager (the team day is the head's).
    """
    if not sees_everything(actor):
        raise DomainError(_l("The team day is for the head of sales."))
    today = now.date()
    team = reports.team(session)
    tasks = agenda.capped_task_counters_by_owner(
        session, [user_id for user_id, _name in team], now, TASK_COUNT_CAP)
    done = _done(session, actor, today)
    waiting = {row.user_id: row.total for row in reports.without_next_task(session, actor)}
    late = past_close(session, today)
    inbox = inbox_waiting(session)
    members = []
    for user_id, name in team:
        counts = tasks.get(user_id, {})
        done_today, done_week = done.get(user_id, (0, 0))
        members.append(MemberDay(
            user_id, name, overdue=counts.get("overdue", 0), today=counts.get("today", 0),
            done_today=done_today, done_week=done_week,
            without_next_task=waiting.get(user_id, 0),
            inbox=None if inbox is None else inbox.get(user_id, 0),
            past_close=late.get(user_id, 0),
            capped=frozenset(key for key in ("overdue", "today")
                             if counts.get(key, 0) >= TASK_COUNT_CAP),
        ))
    return TeamDay(members, totals(members, inbox is not None), now,
                   reports.week_start(today), inbox is not None)


def totals(members: list[MemberDay], inbox_ready: bool) -> MemberDay:
    """Return the row of the team's totals."""
    total = MemberDay(0, "", capped=frozenset().union(*(m.capped for m in members)))
    for figure in (f.name for f in fields(MemberDay) if f.name in FIGURES):
        if figure == "inbox" and not inbox_ready:
            continue
        setattr(total, figure, sum(getattr(member, figure) or 0 for member in members))
    return total
