"""Speed to lead: how soon the leads of the inbox were first answered, and who still waits.

A lead's time to answer runs from `received_at` to `answered_at` (the first done task on
it, set once by accepting, linking or completing a task). A lead not answered yet counts
as waiting, with its age so far; a lead declined without an answer (spam, not a client)
is counted apart and stays out of the shares.

Each lead keeps the number of the week it arrived in and its whole seconds to the first
answer (set when it is written), so the report computes neither for tens of thousands of
leads. One statement groups the answered leads of the period by week, owner and source,
in the order of a covering partial index (ix_inbox_item_week for the head,
ix_inbox_item_owner_week for one owner), so that neither database sorts or visits the
table; each group brings its leads' answer seconds, from which the medians are taken
here. Its other parts count the unanswered leads, a few thousand, per week, per owner
and per source along a partial index of their own: counting them beside the seconds cost
an expression per lead. The groups are few and are added up here per manager, per source,
per week and in total. A pass over the leads for the medians in the database cost more:
PostgreSQL's `percentile_cont` over GROUPING SETS sorted them four times, and reading them
one row a lead took SQLite 35 ms at 45,000. The seconds held are those of at most
MAX_WEEKS weeks of leads, a number a lead.

Times are compared in whole seconds, so a lead answered at exactly 15 minutes counts as
answered within 15 minutes.
"""

import bisect
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import chain

from sqlalchemy import case, func, null, select, union_all
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.types import NullType

from app.models import InboxItem
from app.models.inbox_item import InboxSource, InboxState, week_number
from app.services.queries.reports import user_names, week_start
from app.services.rules.visibility import sees_everything

# Answered within 15 minutes, within an hour, within a day (minutes).
BOUNDS = (15, 60, 24 * 60)
MAX_WEEKS = 52
DEFAULT_WEEKS = 8
# The head's limit for a lead left unanswered (CRM_LEAD_ALERT_MINUTES overrides it).
DEFAULT_ALERT_MINUTES = 60
# Waiting leads listed on My day and in the digest; the rest are counted.
WAITING_LISTED = 20
# The waiting count stops here ("99+"), as the inbox counter does.
WAITING_COUNT_CAP = 99
SOURCES = tuple(source.value for source in InboxSource)
UNANSWERED_INDEX = "ix_inbox_item_unanswered_week"


@dataclass
class Speed:
    """One group of leads: how many, how soon answered, how many still wait."""

    key: str
    name: str = ""
    answered: int = 0
    within: list[int] = field(default_factory=lambda: [0] * len(BOUNDS))
    median_minutes: float | None = None
    waiting: int = 0
    oldest_waiting_minutes: float | None = None
    declined: int = 0

    @property
    def leads(self) -> int:
        """The leads the shares are of: answered, or still waiting."""
        return self.answered + self.waiting

    @property
    def shares(self) -> list[Decimal | None]:
        """Percent of the leads answered within each bound (None without leads)."""
        if not self.leads:
            return [None] * len(BOUNDS)
        return [(Decimal(count * 100) / self.leads).quantize(Decimal("0.1"))
                for count in self.within]


@dataclass
class SpeedReport:
    """The weeks of the report (their Mondays) and the leads grouped by week, manager, source."""

    weeks: list[date]
    by_week: list[Speed]
    by_manager: list[Speed]
    by_source: list[Speed]
    total: Speed


def _on_sqlite(session: Session) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _period(now: datetime, weeks: int) -> tuple[list[date], int]:
    """Return the Mondays of the report's weeks and the number of its first week."""
    weeks = min(max(weeks, 1), MAX_WEEKS)
    first = week_start(now.date()) - timedelta(weeks=weeks - 1)
    return [first + timedelta(weeks=n) for n in range(weeks)], week_number(first)


@dataclass(frozen=True)
class _Ask:
    """What the report is asked for: whose leads, received in which weeks, from which source."""

    actor: object
    first_week: int
    weeks: int
    manager_id: int | None
    source: str | None


def _scoped(statement, ask: _Ask):
    """Keep the leads of the period, of the owner and source asked for."""
    statement = statement.where(InboxItem.received_week >= ask.first_week,
                                InboxItem.received_week < ask.first_week + ask.weeks)
    if not sees_everything(ask.actor):
        statement = statement.where(InboxItem.owner_id == getattr(ask.actor, "id", None))
    elif ask.manager_id is not None:
        statement = statement.where(InboxItem.owner_id == ask.manager_id)
    if ask.source is not None:
        statement = statement.where(InboxItem.source == ask.source)
    return statement


def _groups(session: Session, ask: _Ask) -> list[tuple]:
    """Return the leads of the period: the answered per week, owner and source, the rest counted.

    One statement, so that all its parts see the same leads (a lead answered between two
    statements would count in neither), each a GROUP BY along a covering partial index:
    - the unanswered leads (ix_inbox_item_unanswered_week, a few thousand of tens of
      thousands) are counted per week, per owner and per source, a row a key each:
      waiting, declined, the oldest waiting. Grouped by all three at once they came one
      row a lead or so, each a time read and added up three times here. SQLite
      is told the index: for one owner it guessed the owner's index, which visits every
      lead of the owner's and sorts them.
    - the answered leads (ix_inbox_item_week for the head, ix_inbox_item_owner_week for one
      owner), in the index's order, bring their answer seconds, from which the caller
      takes the medians and the counts within each bound: PostgreSQL's as an array,
      SQLite's as a comma-separated text. Nothing else is computed per lead.
    A row of the answered leads has no counts (None); one of the unanswered no seconds and
    one key (week, owner or source), the others None.
    """
    on_sqlite = _on_sqlite(session)
    if on_sqlite:
        seconds = func.group_concat(InboxItem.answer_seconds)
    else:
        # Untyped, so that the array comes as psycopg built it (SQLAlchemy's array type
        # converts every item in Python).
        seconds = func.array_agg(InboxItem.answer_seconds, type_=NullType())
    group = (InboxItem.received_week, InboxItem.owner_id, InboxItem.source)
    answered = _scoped(select(*group, seconds, null(), null(), null()), ask).where(
        InboxItem.answer_seconds.is_not(None)).group_by(*_grouping(ask))
    waiting = InboxItem.state == InboxState.NEW.value
    counts = (func.count(case((waiting, 1))),
              func.min(case((waiting, InboxItem.received_at))),
              func.count(case((~waiting, 1))))

    def unanswered_by(*keys):
        # (By identity: a column's == makes an SQL expression.)
        kept = [column if any(column is key for key in keys) else null() for column in group]
        return _scoped(select(*kept, null(), *counts), ask).where(
            InboxItem.answer_seconds.is_(None)).with_hint(
            InboxItem, f"INDEXED BY {UNANSWERED_INDEX}", "sqlite")

    # The unanswered leads counted per week, per owner and per source apart: a row a
    # dimension's key (about 50), not one a week, owner and source (one a lead or so).
    # PostgreSQL counts the three in one pass (grouping sets); SQLite, which has none,
    # in three parts.
    if on_sqlite:
        unanswered = [unanswered_by(key).group_by(key) for key in group]
    else:
        unanswered = [unanswered_by(*group).group_by(func.grouping_sets(*group))]
    # On the session's connection, not through the ORM: its row loading cost more per
    # group than adding the group up. (So nothing pending in the session is flushed
    # first: the report reads what was saved.)
    # The counts first: a compound statement's columns take the types of its first part
    # (SQLite's times are text to be read as such).
    return session.connection().execute(union_all(*unanswered, answered)).all()


def _grouping(ask: _Ask) -> tuple:
    """Group in the order of the index read: by week first for all owners, else by owner."""
    if not sees_everything(ask.actor) or ask.manager_id is not None:
        return (InboxItem.owner_id, InboxItem.received_week, InboxItem.source)
    return (InboxItem.received_week, InboxItem.owner_id, InboxItem.source)


def _seconds_lists(values: list) -> list[list[int]]:
    """Return each group's answer seconds, from PostgreSQL's arrays or SQLite's texts.

    SQLite's texts are read in one go: one JSON list of lists, not one parse a group.
    """
    if any(isinstance(value, str) for value in values):
        return json.loads("[[" + "],[".join(value or "" for value in values) + "]]")
    return [value or [] for value in values]


def speed_report(session: Session, actor, now: datetime, weeks: int = DEFAULT_WEEKS,
                 manager_id: int | None = None, source: str | None = None) -> SpeedReport:
    """Measure how soon the leads of the last `weeks` were answered, per week, manager, source.

    A manager counts own leads only; Head and Admin all of them, or one manager's.
    """
    mondays, first_week = _period(now, weeks)
    ask = _Ask(actor, first_week, len(mondays), manager_id,
               source if source in SOURCES else None)
    rows = _Rows()
    groups = _groups(session, ask)
    answered = [group for group in groups if group[4] is None]
    for (week, owner, source_code, *_counts), seconds in zip(
            answered, _seconds_lists([group[3] for group in answered]), strict=True):
        rows.add_answered((owner, source_code, week - first_week), seconds)
    for week, owner, source_code, _seconds, waiting, oldest, declined in groups:
        if waiting is None:
            continue
        waited = (None if oldest is None
                  else max(math.floor((now - oldest).total_seconds()), 0) / 60)
        # A row of the unanswered names one key: its week's, owner's or source's.
        keys = (owner, source_code, None if week is None else week - first_week)
        rows.add_unanswered(keys, waiting, declined, waited)
    return _assembled(session, mondays, rows.finished())


# The report's dimensions, in the order of the keys that _Rows is given.
DIMENSIONS = ("manager", "source", "week")


class _Rows:
    """The report's rows per dimension and key: the seconds of their groups, the unanswered."""

    def __init__(self):
        # Per dimension: key -> the answer seconds of each group that counts in it.
        self.runs: tuple[dict, ...] = tuple({} for _dim in DIMENSIONS)
        self.rows: tuple[dict, ...] = tuple({} for _dim in DIMENSIONS)

    def row(self, index: int, key) -> Speed:
        found = self.rows[index].get(key)
        if found is None:
            found = self.rows[index][key] = Speed(str(key))
        return found

    def add_answered(self, keys: tuple, seconds: list[int]) -> None:
        """Count a group's answered leads in its manager's, source's and week's rows."""
        for runs, key in zip(self.runs, keys, strict=True):
            runs.setdefault(key, []).append(seconds)

    def add_unanswered(self, keys: tuple, waiting: int, declined: int,
                       waited: float | None) -> None:
        """Count unanswered leads in the row of the one key given (the others None)."""
        for index, key in enumerate(keys):
            if key is not None:
                _add_unanswered(self.row(index, key), waiting, declined, waited)

    def finished(self) -> dict[str, dict[str, Speed]]:
        """Fill each row's answered counts and median, add up the total; rows by key."""
        for index, runs in enumerate(self.runs):
            for key, lists in runs.items():
                seconds = list(chain.from_iterable(lists))
                seconds.sort()
                lists[:] = [seconds]
                _answered(self.row(index, key), seconds)
        source = DIMENSIONS.index("source")
        total = Speed("") if self.rows[source] else None
        every = []
        for key, row in self.rows[source].items():
            # Every lead has one source: the total is the sources' rows added up.
            every.extend(self.runs[source].get(key, [[]])[0])
            _add_unanswered(total, row.waiting, row.declined, row.oldest_waiting_minutes)
        if total is not None:
            every.sort()
            _answered(total, every)
        found = {dim: {str(key): row for key, row in self.rows[index].items()}
                 for index, dim in enumerate(DIMENSIONS)}
        found["total"] = {"": total} if total is not None else {}
        return found


def _add_unanswered(row: Speed, waiting: int, declined: int, waited: float | None) -> None:
    row.waiting += waiting
    row.declined += declined
    if waited is not None and (row.oldest_waiting_minutes is None
                               or waited > row.oldest_waiting_minutes):
        row.oldest_waiting_minutes = waited


def _answered(row: Speed, seconds: list[int]) -> None:
    """Fill the row's answered count, counts within the bounds and median from sorted seconds."""
    if not seconds:
        return
    row.answered = len(seconds)
    row.within = [bisect.bisect_right(seconds, bound * 60) for bound in BOUNDS]
    # The list is sorted already (statistics.median would sort a copy of it).
    middle = len(seconds) // 2
    median = seconds[middle] if len(seconds) % 2 else (seconds[middle - 1] + seconds[middle]) / 2
    row.median_minutes = median / 60


def _assembled(session: Session, mondays: list[date], groups: dict) -> SpeedReport:
    names = user_names(session, (int(key) for key in groups["manager"]))
    managers = list(groups["manager"].values())
    for row in managers:
        row.name = names.get(int(row.key), "")
    managers.sort(key=lambda row: (row.name, int(row.key)))
    by_week = [groups["week"].get(str(index), Speed(str(index)))
               for index in range(len(mondays))]
    by_source = [groups["source"][source] for source in SOURCES if source in groups["source"]]
    return SpeedReport(mondays, by_week, managers, by_source,
                       groups["total"].get("", Speed("")))


# --- the head's flag: leads waiting past the limit --------------------------------------


@dataclass
class WaitingLeads:
    """The leads unanswered longer than the limit: the oldest few, and how many in all."""

    limit_minutes: int
    count: int
    items: list[InboxItem]

    @property
    def capped(self) -> bool:
        return self.count > WAITING_COUNT_CAP


def waiting_leads(session: Session, viewer, now: datetime, limit_minutes: int,
                  listed: int = WAITING_LISTED) -> WaitingLeads | None:
    """Return the leads still unanswered `limit_minutes` after arriving, oldest first.

    For Head and Admin only (None for anyone else): the flag is the head's. Two statements
    whatever the number, both along index ix_inbox_item_state_received.
    """
    if not sees_everything(viewer) or getattr(viewer, "is_system", False):
        return None
    limit_minutes = max(int(limit_minutes), 0)
    late = (InboxItem.state == InboxState.NEW.value, InboxItem.answered_at.is_(None),
            InboxItem.received_at < now - timedelta(minutes=limit_minutes))
    ids = select(InboxItem.id).where(*late).limit(WAITING_COUNT_CAP + 1)
    count = session.scalar(select(func.count()).select_from(ids.subquery())) or 0
    items = []
    if count:
        items = list(session.scalars(
            select(InboxItem).where(*late)
            .order_by(InboxItem.received_at, InboxItem.id).limit(listed)
            .options(selectinload(InboxItem.owner))))
    return WaitingLeads(limit_minutes, count, items)


def minutes_waited(item: InboxItem, now: datetime) -> float:
    """Return the minutes the lead has waited so far."""
    return max((now - item.received_at).total_seconds() / 60, 0.0)
