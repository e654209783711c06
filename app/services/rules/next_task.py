"""Keep `next_task_at` of companies, contacts and deals equal to their earliest planned task.

A deal's `last_touch_at` (its latest done task, or its creation) rides along: the same
task changes move both.

One place does it: `refresh` recomputes the date of given records with one set-based
UPDATE per table, and a flush hook (installed by `install`, like the history hook) calls
it for the records of every task a flush inserts, changes or deletes, old links and new,
in the same transaction. Bulk writers that bypass the unit of work call `refresh` (or
`refresh_all`) themselves.
"""

from collections.abc import Iterable

from sqlalchemy import DateTime, column, event, false, func, inspect, select, text, update
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, Task
from app.models.enums import TaskState
from app.models.task import planned_clause

# A deal's tasks by state, then due time (app/models/task.py).
DEAL_TASKS_INDEX = "ix_task_deal_state"
LINKS = {Company: Task.company_id, Contact: Task.contact_id, Deal: Task.deal_id}
LINK_KEYS = {"company_id": Company, "contact_id": Contact, "deal_id": Deal}
# A change to any of these moves a record's next task date.
RELEVANT = frozenset({"due_at", "state", "archived", *LINK_KEYS, "company", "contact", "deal"})
CHUNK = 500  # ids per UPDATE, well under every database's parameter limit
_OLD = "next_task_old_links"
_DONE = "next_task_refreshed"


def earliest_planned(model):
    """Return the SQL expression 'earliest due time of the row's planned tasks'."""
    table = model.__table__
    return (
        select(func.min(Task.due_at))
        .where(LINKS[model] == table.c.id, planned_clause())
        .scalar_subquery()
    )


def last_touch(dialect: str = ""):
    """Return the SQL expression 'the deal's latest done task, or its creation if none'."""
    table = Deal.__table__
    if dialect == "sqlite":
        # Without fresh statistics SQLite walks ix_task_done_report backwards (every done
        # task) looking for the deal's; the deal's own entries are one step away here.
        tasks = text(f"task INDEXED BY {DEAL_TASKS_INDEX}")
        latest = select(func.max(column("done_at", DateTime))).select_from(tasks).where(
            column("deal_id") == table.c.id, column("state") == TaskState.DONE.value,
            column("archived") == false())
    else:
        latest = select(func.max(Task.done_at)).where(
            Task.deal_id == table.c.id, Task.state == TaskState.DONE.value,
            Task.archived == false())
    return func.coalesce(latest.scalar_subquery(), table.c.created_at)


def _statement(model, dialect: str):
    table = model.__table__
    # Naming changed_at keeps its onupdate stamp away: the record itself did not change.
    values = {"next_task_at": earliest_planned(model), "changed_at": table.c.changed_at}
    if model is Deal:
        # The tasks that move a deal's next task are those that make its last touch.
        values["last_touch_at"] = last_touch(dialect)
    return update(table).values(values)


def refresh(session: Session, companies: Iterable[int] = (), contacts: Iterable[int] = (),
            deals: Iterable[int] = ()) -> None:
    """Recompute the next task date of the given records in the session's transaction."""
    connection = session.connection()
    for model, ids in ((Company, companies), (Contact, contacts), (Deal, deals)):
        wanted = sorted({record_id for record_id in ids if record_id is not None})
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start:start + CHUNK]
            connection.execute(_statement(model, connection.dialect.name)
                               .where(model.__table__.c.id.in_(chunk)))


def refresh_all(session: Session) -> None:
    """Recompute the next task date of every company, contact and deal (bulk writers)."""
    connection = session.connection()
    for model in LINKS:
        connection.execute(_statement(model, connection.dialect.name))
    session.expire_all()


def _changed(task) -> bool:
    state = inspect(task)
    return any(state.attrs[key].history.has_changes() for key in RELEVANT)


def _links(task, ids: dict, *, old: bool) -> None:
    """Add the ids the task points at (with `old`, also those it pointed at before)."""
    state = inspect(task)
    for key, model in LINK_KEYS.items():
        if old:
            history = state.attrs[key].load_history()
            values = [*history.unchanged, *history.deleted]
        else:
            values = [state.dict.get(key)]
        ids[model].update(value for value in values if value is not None)


def _empty() -> dict:
    return {model: set() for model in LINKS}


def _tasks(objects, *, changed_only: bool = False):
    """Yield the tasks among the session's objects (with `changed_only`, those moved)."""
    for task in objects:
        if isinstance(task, Task) and (not changed_only or _changed(task)):
            yield task


def remember_old_links(session: Session, _flush_context, _instances) -> None:
    """Note the records changed and deleted tasks pointed at before the flush."""
    old = _empty()
    for task in (*_tasks(session.deleted), *_tasks(session.dirty, changed_only=True)):
        _links(task, old, old=True)
    session.info[_OLD] = old


def refresh_flushed(session: Session, _flush_context) -> None:
    """Refresh the records of the tasks the flush wrote, old links and new (after_flush)."""
    ids = session.info.pop(_OLD, None) or _empty()
    for task in (*_tasks(session.new), *_tasks(session.dirty, changed_only=True)):
        _links(task, ids, old=False)
    if not any(ids.values()):
        return
    refresh(session, companies=ids[Company], contacts=ids[Contact], deals=ids[Deal])
    session.info.setdefault(_DONE, []).append(ids)


def expire_refreshed(session: Session, _flush_context) -> None:
    """Make loaded records read their refreshed date again (after_flush_postexec)."""
    for ids in session.info.pop(_DONE, []):
        for model, record_ids in ids.items():
            fields = ["next_task_at", "last_touch_at"] if model is Deal else ["next_task_at"]
            for record_id in record_ids:
                record = session.identity_map.get(inspect(model).identity_key_from_primary_key(
                    (record_id,)))
                if record is not None:
                    session.expire(record, fields)


HOOKS = (("before_flush", remember_old_links), ("after_flush", refresh_flushed),
         ("after_flush_postexec", expire_refreshed))


def install(session_class=Session) -> None:
    """Attach the next task hooks to every ORM session (idempotent)."""
    for name, hook in HOOKS:
        if not event.contains(session_class, name, hook):
            event.listen(session_class, name, hook)
