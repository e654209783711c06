"""What a manager has to do: overdue and today's tasks, the queue, birthdays."""

from datetime import date, datetime, timedelta

from sqlalchemy import DateTime, Integer, case, column, false, func, literal_column, select, text
from sqlalchemy.orm import Session, joinedload, lazyload, load_only, selectinload

from app.models import Company, Contact, Deal, Task, User
from app.models.task import PLANNED_OWNER_DUE_INDEX, PLANNED_PREDICATE, planned_clause
from app.services.rules.followup import queue_filter
from app.services.rules.validation import birthday_key
from app.services.rules.visibility import scope_query, sees_everything

QUEUE_CAP = 100


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Return the start of today and of tomorrow for `now`."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def _own_planned(session: Session, user):
    return session.query(Task).filter(Task.owner_id == user.id, planned_clause())


def my_tasks(session: Session, user, now: datetime, limit: int = 50) -> dict[str, list[Task]]:
    """Return the user's own planned tasks that are overdue and that are due today."""
    _, end = day_bounds(now)
    # Joined, names only: the rows show their client and deal by name, and each list is
    # one statement instead of four round trips. The owner is the user, already loaded:
    # joining the users' table too only made PostgreSQL plan a five-table join each time.
    base = _own_planned(session, user).options(
        lazyload(Task.owner),
        joinedload(Task.company).load_only(Company.name).lazyload(Company.owner),
        joinedload(Task.contact).load_only(
            Contact.last_name, Contact.first_name, Contact.middle_name, Contact.company_id,
        ).lazyload(Contact.owner),
        joinedload(Task.deal).load_only(Deal.title).options(
            lazyload(Deal.owner), lazyload(Deal.stage)),
    # SQLite otherwise may walk ix_task_owner_archived_due_at, done tasks and all, up to
    # now: 32 ms for a manager with 900 overdue among 50,000 tasks, against 0.1 ms
    # through the partial index of planned tasks (the counters' own, for the same reason).
    ).with_hint(Task, f"INDEXED BY {PLANNED_OWNER_DUE_INDEX}", "sqlite")
    overdue = base.filter(Task.due_at < now).order_by(Task.due_at).limit(limit).all()
    today = (
        base.filter(Task.due_at >= now, Task.due_at < end).order_by(Task.due_at)
        .limit(limit).all()
    )
    return {"overdue": overdue, "today": today}


# The planned tasks' columns as read through the named index (no table bound to them).
PLANNED_OWNER = column("owner_id", Integer)
PLANNED_DUE = column("due_at", DateTime)
_OWNER, _DUE = PLANNED_OWNER, PLANNED_DUE


def planned_by_owner_and_due(session: Session):
    """Return the task table as the counters read it: through ix_task_planned_owner_due."""
    if session.get_bind().dialect.name == "sqlite":
        # SQLite rates ix_task_owner_state_due as good and then reads every row to check
        # `archived`: 20 ms for a manager with 10,000 planned tasks against 2 ms through
        # the partial index. The plan is named, not left to its guess (tests check it).
        return text(f"task INDEXED BY {PLANNED_OWNER_DUE_INDEX}")
    return Task.__table__


def task_counters(session: Session, user, now: datetime) -> dict[str, int]:
    """Count the user's overdue tasks and the rest of today's, in one indexed query.

    Both are the user's planned tasks due before the end of today, split at `now`, read
    from ix_task_planned_owner_due alone (no table row is visited). Exact, for the digest;
    the menu bar reads them capped (menu_counts, capped_task_counts).
    """
    _, end = day_bounds(now)
    row = session.execute(
        select(func.count().filter(_DUE < now), func.count().filter(_DUE >= now))
        .select_from(planned_by_owner_and_due(session))
        .where(_OWNER == user.id, text(PLANNED_PREDICATE), _DUE < end)
    ).one()
    return {"overdue": row[0] or 0, "today": row[1] or 0}


def capped_task_counts(session: Session, owner_id, now, end, cap) -> tuple:
    """Return the overdue and rest-of-today counts as two scalar subqueries, each capped.

    For a statement of its own or beside other counts (the menu bar reads them all at
    once): each stops at `cap` rows of ix_task_planned_owner_due. The owner, now, the end
    of today and the cap are values or bound parameters (a statement built once).
    """
    mine = select(literal_column("1")).select_from(planned_by_owner_and_due(session)) \
        .where(_OWNER == owner_id, text(PLANNED_PREDICATE))
    overdue = mine.where(_DUE < now).limit(cap).subquery()
    today = mine.where(_DUE >= now, _DUE < end).limit(cap).subquery()
    return (select(func.count()).select_from(overdue).scalar_subquery(),
            select(func.count()).select_from(today).scalar_subquery())


def capped_task_counters_by_owner(session: Session, owner_ids: list[int], now: datetime,
                                  cap: int) -> dict[int, dict[str, int]]:
    """Count each owner's overdue and rest-of-today tasks as their menu bar does, capped.

    One statement for the whole team: per owner, two capped reads of
    ix_task_planned_owner_due correlated with the owner's row, so that the statement is
    the same (and planned as cheaply) however large the team, and a team with thousands
    of overdue tasks costs no more than one with a few.
    """
    if not owner_ids:
        return {}
    _, end = day_bounds(now)

    def capped(condition):
        # The index is named on SQLite as for the menu bar (planned_by_owner_and_due).
        mine = (select(literal_column("1")).select_from(Task)
                .where(Task.owner_id == User.id, text(PLANNED_PREDICATE), condition)
                .with_hint(Task, f"INDEXED BY {PLANNED_OWNER_DUE_INDEX}", "sqlite")
                .limit(cap).correlate(User).subquery())
        return select(func.count()).select_from(mine).scalar_subquery()

    rows = session.execute(select(User.id, capped(Task.due_at < now),
                                  capped((Task.due_at >= now) & (Task.due_at < end)))
                           .where(User.id.in_(owner_ids)))
    return {owner_id: {"overdue": overdue or 0, "today": today or 0}
            for owner_id, overdue, today in rows}


QUEUE_MODELS = (("companies", Company), ("private_clients", Contact), ("deals", Deal))
# SQLite's planner judged the partial queue indexes of clients poorly (they hold a few
# rows, or none) and read every private client by company_id IS NULL instead (4 to 12 ms
# at 20,000), or a manager's companies by next task: they are named. The open deals are
# read from the stage-led index, which holds their ids (PostgreSQL read every won and
# lost deal from ix_deal_queue before it did).
QUEUE_INDEXES = {Company: "ix_company_queue", Contact: "ix_contact_queue"}


def _queue_query(session: Session, user, model, owner_id: int | None = None):
    query = scope_query(session.query(model), model, user).filter(queue_filter(model))
    if model in QUEUE_INDEXES:
        query = query.with_hint(model, f"INDEXED BY {QUEUE_INDEXES[model]}", "sqlite")
    if owner_id is not None and sees_everything(user):
        query = query.filter(model.owner_id == owner_id)
    return query


def queue_count(session: Session, user, cap: int = QUEUE_CAP) -> int:
    """Count live clients and open deals without a planned task, up to `cap`."""
    total = 0
    for _, model in QUEUE_MODELS:
        ids = _queue_query(session, user, model).with_entities(model.id).limit(cap - total)
        total += session.scalar(select(func.count()).select_from(ids.subquery())) or 0
        if total >= cap:
            break
    return total


def queue(session: Session, user, limit: int = 50, offset: int = 0,
          owner_id: int | None = None) -> dict[str, list]:
    """Return the visible live clients and open deals that have no planned task.

    The head may ask for one manager's (`owner_id`); a manager always gets their own.

    The records waiting are picked first (a materialised CTE, read from the partial
    "queue" indexes), then sorted by name: a planner left to itself would walk the whole
    table in name order, expecting waiting records all along the way.
    """
    order = {Company: Company.name, Contact: Contact.last_name, Deal: Deal.title}
    result = {}
    for kind, model in QUEUE_MODELS:
        waiting = (
            _queue_query(session, user, model, owner_id).with_entities(model.id)
            .cte(f"waiting_{kind}").prefix_with("MATERIALIZED")
        )
        query = (
            session.query(model).join(waiting, waiting.c.id == model.id)
            .options(selectinload(model.owner))
        )
        if model is Deal:
            query = query.options(selectinload(Deal.company), selectinload(Deal.contact))
        result[kind] = query.order_by(order[model], model.id).offset(offset).limit(limit).all()
    return result


def birthdays(session: Session, user, today: date, days: int = 7, limit: int = 50):
    """Return the user's contacts whose birthday falls within the next `days` days, soonest first.

    The soonest come first even across the new year (31 December before 1 January), so a
    long list cuts off the farthest days. They are chosen from ix_contact_owner_birthday
    alone (a manager of 60,000 contacts has about 1,200 birthdays a week), then loaded.
    """
    keys = [birthday_key(today + timedelta(days=shift)) for shift in range(days)]
    soonest = case({key: index for index, key in enumerate(keys)}, value=Contact.birthday_key)
    chosen = (
        select(Contact.id, soonest.label("soonest")).where(
            Contact.owner_id == user.id, Contact.archived == false(),
            Contact.birthday_key.in_(keys),
        ).order_by(soonest, Contact.id).limit(limit).subquery()
    )
    # What My day shows of them: the name, the day and the company's name (a week's 50
    # whole contacts and their companies cost more to load than to choose).
    return session.scalars(
        select(Contact).join(chosen, chosen.c.id == Contact.id)
        .order_by(chosen.c.soonest, Contact.id).options(
            load_only(Contact.last_name, Contact.first_name, Contact.middle_name,
                      Contact.birthday, Contact.company_id),
            lazyload(Contact.owner),
            selectinload(Contact.company).load_only(Company.name).lazyload(Company.owner))
    ).all()
