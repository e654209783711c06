"""Off cadence: open deals not touched, or not planned to be, within their stage's limit.

A stage may say how many days may pass between touches (`Stage.max_days_between_touches`).
The last touch is the deal's latest done task, or its creation while there is none
(`Deal.last_touch_at`, kept by app/services/rules/next_task.py). Counted in whole days of
the team's calendar, a deal is off cadence when

- more than the limit has passed since the last touch (today - last touch > limit), or
- its next task is planned later than the last touch plus the limit.

Exactly at the limit is still on cadence. The stages with a limit are read first (none:
nothing more is asked); then the counts per owner (each stopped at COUNT_CAP) and the
longest untouched are one statement each over the deals of those stages, compared and
picked from ix_deal_owner_cadence / ix_deal_cadence alone; only the deals listed are read
from the table, by key.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Date,
    and_,
    cast,
    false,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.formatting import name_text
from app.models import Company, Contact, Deal, Stage, User
from app.models.mixins import local_now
from app.services.rules.visibility import scope_query, sees_everything

# Deals listed on the page, untouched longest first (a page to work through: the deals
# touched leave it and the next come up); the rest are counted.
LISTED = 100
COUNT_CAP = 1000  # an owner's deals off cadence are counted up to here ("1,000+")
OWNER_CADENCE_INDEX = "ix_deal_owner_cadence"


class date_of(FunctionElement):  # noqa: N801 - a SQL function, named like one
    """The date of a time column, in SQL, compared with a date column as dates are.

    SQLite keeps times as ISO text: their first ten characters are the date, as a date
    column holds it (julianday() of both sides cost three times as much per row).
    """

    type = Date()
    inherit_cache = True


@compiles(date_of, "sqlite")
def _date_of_sqlite(element, compiler, **kw):
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(date_of, "postgresql")
def _date_of_postgresql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS DATE)"


def touch_day(deal: Deal) -> date | None:
    """Return the day of the deal's last touch (its creation while nothing was done)."""
    moment = deal.last_touch_at or deal.created_at
    return moment.date() if moment is not None else None


def is_off_cadence(deal, today: date, stage: Stage | None = None) -> bool:
    """Tell whether an open deal breaks its stage's cadence (no query: stored dates only).

    `deal` is a Deal or what a board's card holds of one; `stage` is the deal's, when the
    caller holds it (the board's column): not looked up again for each card.
    """
    stage = stage if stage is not None else deal.stage
    limit = stage.max_days_between_touches if stage is not None else None
    touched = touch_day(deal)
    if not limit or touched is None or deal.archived or not stage.is_open:
        return False
    if (today - touched).days > limit:
        return True
    return deal.next_task_at is not None and (deal.next_task_at.date() - touched).days > limit


def _limited_stages(session: Session) -> list[Stage]:
    """Return the open stages with a limit: a handful of rows."""
    return list(session.scalars(
        select(Stage).where(Stage.max_days_between_touches.is_not(None), Stage.is_open)
        .order_by(Stage.id)))


def _limits(stages: list[Stage]) -> list[tuple[int, int]]:
    """Return (stage id, days) of the stages."""
    return [(stage.id, stage.max_days_between_touches) for stage in stages]


def _stage_off_cadence(session: Session, stage_id: int, days: int, today: date):
    """Return the SQL condition "off cadence" for the deals of one stage, compared cheaply.

    The stage's limit is turned into bounds here, so that a deal is compared, not
    computed: untouched since before the first day past the limit (a time, not a count of
    days), or its next task at or after the day the limit ends past its last touch. The
    count of days per deal cost SQLite four date conversions a row, 80 ms for 85,000 deals.
    """
    cutoff = datetime.combine(today - timedelta(days=days), time.min)
    if session.get_bind().dialect.name == "sqlite":
        # Stored as 'YYYY-MM-DD HH:MM:SS...': a time compares with a day as text.
        beyond = func.date(Deal.last_touch_at, f"+{days + 1} days")
    else:
        beyond = cast(Deal.last_touch_at, Date) + (days + 1)
    return and_(Deal.stage_id == stage_id,
                or_(Deal.last_touch_at < cutoff, Deal.next_task_at >= beyond))


def _scoped(query, actor, manager_id: int | None):
    query = scope_query(query, Deal, actor)
    if manager_id is not None and sees_everything(actor):
        query = query.filter(Deal.owner_id == manager_id)
    return query


@dataclass(frozen=True, slots=True)
class ListedDeal:
    """What the page shows of a deal off cadence: read as one row, not as records."""

    id: int
    title: str
    stage_id: int
    owner_id: int
    last_touch_at: datetime | None
    created_at: datetime | None
    next_task_at: datetime | None
    company_name: str | None
    contact_names: tuple[str | None, str | None, str | None]  # first, last, middle

    @property
    def client_name(self) -> str:
        """The company's name, else the private client's in the reader's order."""
        if self.company_name is not None:
            return self.company_name
        return name_text(*self.contact_names)


@dataclass
class OffCadence:
    """The deals off cadence a user may see: the first `LISTED`, and how many per owner.

    An owner's count stops at `COUNT_CAP`: the owners past it are in `capped` ("1,000+").
    """

    deals: list[ListedDeal]
    per_manager: dict[int, int] = field(default_factory=dict)
    capped: frozenset[int] = frozenset()
    stages: dict[int, Stage] = field(default_factory=dict)  # the stages with a limit

    @property
    def total(self) -> int:
        """The deals counted, each owner's up to the cap (more when `total_capped`)."""
        return sum(self.per_manager.values())

    @property
    def total_capped(self) -> bool:
        return bool(self.capped)


def _capped(counts: dict[int, int], cap: int) -> tuple[dict[int, int], frozenset[int]]:
    """Split the counts read up to `cap` + 1 into counts up to `cap` and the owners past it."""
    return ({owner: min(number, cap) for owner, number in counts.items()},
            frozenset(owner for owner, number in counts.items() if number > cap))


def off_cadence(session: Session, actor, manager_id: int | None = None,
                today: date | None = None, limit: int = LISTED,
                cap: int | None = None) -> OffCadence:
    """Return the open deals off cadence: a manager's own, or the head's choice (or all).

    Three statements whatever the number of deals: the stages with a limit, the counts
    per owner (each up to `cap`), and the longest untouched with their clients' names.
    """
    today = today or local_now().date()
    stages = _limited_stages(session)
    limits = _limits(stages)
    if not limits:
        return OffCadence([])
    cap = COUNT_CAP if cap is None else cap
    per_manager, capped = _capped(_counts(session, actor, today, manager_id, limits, cap), cap)
    deals = (_longest_untouched(session, actor, today, manager_id, limits, limit)
             if per_manager else [])
    return OffCadence(deals, per_manager, capped, {stage.id: stage for stage in stages})


def _counts(session: Session, actor, today: date, manager_id: int | None,
            limits: list[tuple[int, int]], cap: int) -> dict[int, int]:
    """Count each owner's deals off cadence, reading no more than `cap` + 1 of them.

    One statement: per user (all of them for the head, a leaver's book too), the stages'
    parts along the cadence index by owner, stopped at `cap` + 1 deals. Counting them
    all read every open deal of the limited stages: 40-60 ms for the head with 85,000
    deals off cadence (a team that has just set limits on an old pipeline), a cost the
    page paid on every visit; a count past the cap tells the head as much ("1,000+").
    """
    owners = select(User.id).order_by(User.id)  # owners with equal counts: in one order
    if not sees_everything(actor):
        owners = owners.where(User.id == getattr(actor, "id", None))
    elif manager_id is not None:
        owners = owners.where(User.id == manager_id)
    parts = [
        select(literal_column("1")).select_from(Deal).where(
            Deal.owner_id == User.id, Deal.archived == false(),
            _stage_off_cadence(session, stage_id, days, today))
        # SQLite is told the owner's index: the stage's led it through every owner's deals.
        .with_hint(Deal, f"INDEXED BY {OWNER_CADENCE_INDEX}", "sqlite").correlate(User)
        for stage_id, days in limits]
    taken = (parts[0] if len(parts) == 1 else union_all(*parts)).limit(cap + 1).subquery()
    counted = select(func.count()).select_from(taken).scalar_subquery()
    return {owner_id: number for owner_id, number in session.execute(owners.add_columns(counted))
            if number}


def _longest_untouched(session: Session, actor, today: date, manager_id: int | None,
                       limits: list[tuple[int, int]], limit: int) -> list[ListedDeal]:
    """Return the deals off cadence untouched longest, oldest touch first, as the page shows them.

    Per stage, the first `limit` along the cadence index, which holds a stage's deals in
    the order of their last touch (so nothing is sorted but the few taken per stage); then
    the oldest of those, with their clients' names, in the same statement. One ORDER BY
    over every deal off cadence sorted them all (51 ms on SQLite for 85,000); loading the
    listed deals as records with their companies and contacts took three more statements
    (15-20 ms for the 200 listed then).
    """
    parts = []
    for stage_id, days in limits:
        first = _scoped(select(Deal.id, Deal.last_touch_at).where(
            Deal.archived == false(), _stage_off_cadence(session, stage_id, days, today)),
            actor, manager_id).order_by(Deal.last_touch_at, Deal.id).limit(limit).subquery()
        parts.append(select(first.c.id, first.c.last_touch_at))
    taken = union_all(*parts).subquery()
    oldest = select(taken.c.id).order_by(taken.c.last_touch_at, taken.c.id).limit(limit)
    listed = (
        select(Deal.id, Deal.title, Deal.stage_id, Deal.owner_id, Deal.last_touch_at,
               Deal.created_at, Deal.next_task_at, Company.name, Contact.first_name,
               Contact.last_name, Contact.middle_name)
        .outerjoin(Company, Company.id == Deal.company_id)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .where(Deal.id.in_(oldest))
        .order_by(Deal.last_touch_at, Deal.id))
    rows = session.execute(listed)
    return [ListedDeal(*row[:8], tuple(row[8:])) for row in rows]


def count_off_cadence(session: Session, actor, manager_id: int | None = None,
                      today: date | None = None, cap: int | None = None) -> tuple[int, bool]:
    """Count the open deals off cadence the actor may see, each owner's up to `cap`.

    Return the count and whether some owner has more (the stages, then the count).
    """
    today = today or local_now().date()
    limits = _limits(_limited_stages(session))
    if not limits:
        return 0, False
    cap = COUNT_CAP if cap is None else cap
    per_manager, capped = _capped(_counts(session, actor, today, manager_id, limits, cap), cap)
    return sum(per_manager.values()), bool(capped)


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
