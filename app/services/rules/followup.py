"""The key rule: every live client and every open deal has a next planned task.

Live client: a company, or a private contact (no company), with status potential or
active, not archived. Open deal: a deal in a stage of kind open, not archived.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import Column, bindparam, exists, false, inspect, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.sql.visitors import iterate

from app.models import Deal, InboxItem, Stage, Task
from app.models.enums import ClientStatus, StageKind, TaskState, TaskType
from app.models.inbox_item import InboxState, answer_seconds
from app.models.mixins import local_now
from app.models.task import planned_clause
from app.services.errors import DomainError, ValidationError
from app.services.queries import cadence
from app.services.rules import records
from app.services.rules import validation as v
from app.services.rules.history import set_actor
from app.services.rules.kinds import KINDS, kind_of, kind_of_model
from app.services.rules.visibility import can_see


class NextTaskRequired(ValidationError):
    """The action would leave a live client or an open deal without a planned task."""


@dataclass
class NextTask:
    """What the next (or first) task is: type, subject, due time, optional owner."""

    type: str = TaskType.CALL.value
    subject: str = ""
    due_at: datetime | None = None
    owner_id: int | None = None


def default_due(now: datetime) -> datetime:
    """Return tomorrow at 10:00, the usual time of a follow-up call."""
    return (now + timedelta(days=1)).replace(hour=10, minute=0, second=0, microsecond=0)


def is_live(record) -> bool:
    """Tell whether a company, contact or deal must have a planned task."""
    if record is None or record.archived:
        return False
    kind = KINDS.get(type(record))
    return kind is not None and kind.live(record)


def describe(record) -> str:
    """Name a record in a message: company, private client or deal."""
    return kind_of(record).describe(record)


def targets_of(task: Task) -> list:
    """Return the live records this task keeps covered (its client and deal)."""
    candidates = [task.company, task.contact, task.deal]
    return [record for record in candidates if record is not None and is_live(record)]


def has_planned_task(session: Session, record, excluding: tuple[int, ...] = ()) -> bool:
    """Tell whether the record has a planned, not archived task (other than `excluding`)."""
    column = kind_of(record).task_link
    query = select(Task.id).where(
        column == record.id, planned_clause()
    )
    if excluding:
        query = query.where(Task.id.not_in(excluding))
    return session.scalar(select(exists(query))) or False


class RecordBusy(DomainError):
    """Another save holds the records for longer than the database waits (SQLite)."""


# Lock order: by table, then id, so that two writers never wait for each other in a ring.
_ORDER = {"company": 0, "contact": 1, "deal": 2, "stage": 3, "task": 4}


def _lock_rows(records_: list) -> dict:
    """Return {model: sorted ids} of the saved records and of the deals' stages."""
    rows: dict = {}
    for record in records_:
        if record is None:
            continue
        if _holds_stage(record):
            stage_id = record.stage.id if record.stage is not None else record.stage_id
            if stage_id is not None:
                rows.setdefault(Stage, set()).add(stage_id)
        if record.id is not None:
            rows.setdefault(type(record), set()).add(record.id)
    return {model: sorted(ids) for model, ids in
            sorted(rows.items(), key=lambda item: _ORDER[item[0].__tablename__])}


def lock(session: Session, records_: list, *, exclusive: bool = False) -> None:
    """Hold the records (and the stages of deals) until the transaction ends, then re-read them.

    PostgreSQL: the rows are locked (a deal's stage shared, so that its kind cannot change
    meanwhile). SQLite ignores row locks: touching the rows takes the database's write
    lock, so a second writer waits for the first to commit instead of checking a stale
    state. Either way the records are then read again, except those this save changes.
    `exclusive` locks stages for a change of their own (their kind), not shared.

    :raise RecordBusy: if SQLite's wait for the write lock ran out.
    """
    sqlite = session.get_bind().dialect.name == "sqlite"
    reread: set = set()
    with session.no_autoflush:
        rows = _lock_rows(records_)
        try:
            for model, ids in rows.items():
                table = model.__table__
                if sqlite:
                    session.execute(update(table).where(table.c.id.in_(ids))
                                    .values(unchanged(table)))
                    continue
                # A deal's stage is held shared (FOR SHARE): many deals of one stage
                # are saved at once, only a change of the stage itself must wait.
                shared = model is Stage and not exclusive
                if _none_changed(session, model, ids):
                    _read_and_hold(session, model, ids, shared)
                    reread.update((model, row_id) for row_id in ids)
                else:
                    _hold(session, model, ids, shared)
        except OperationalError as error:
            if sqlite and "locked" in str(error.orig):
                raise RecordBusy(_l("Someone else is saving this record right now. "
                                    "Please try again.")) from error
            raise
        for record in _with_stages(records_):
            if record in session and record.id is not None and \
                    (type(record), record.id) not in reread and not session.is_modified(record):
                session.refresh(record)


def unchanged(table) -> dict:
    """Return SET values that leave a row as it is: one plain column and the stamps.

    The stamps (columns with an onupdate) are named so that none of them changes. Not the
    key: "id = id" makes SQLite look for the row in every table that refers to it (1 to
    3 ms a table at 100,000 clients, against 0.04 ms).
    """
    same = {column.name: column for column in table.c if column.onupdate is not None}
    indexed = {column.name for index in table.indexes for expression in index.expressions
               for column in iterate(expression) if isinstance(column, Column)}
    # A column in no index: SQLite rewrites the entries of every index it is part of.
    plain = min((column for column in table.c
                 if not column.primary_key and not column.foreign_keys),
                key=lambda column: column.name in indexed)
    same.setdefault(plain.name, plain)
    return same


def _none_changed(session: Session, model, ids: list[int]) -> bool:
    """Tell whether none of the rows is loaded with changes this save has not written yet."""
    for row_id in ids:
        record = session.identity_map.get(session.identity_key(model, row_id))
        if record is not None and session.is_modified(record):
            return False
    return True


def _hold(session: Session, model, ids: list[int], shared: bool) -> None:
    """Lock the rows (PostgreSQL) in id order, reading nothing."""
    table = model.__table__
    session.execute(select(table.c.id).where(table.c.id.in_(ids)).order_by(table.c.id)
                    .with_for_update(read=shared, key_share=not shared))


def _read_and_hold(session: Session, model, ids: list[int], shared: bool) -> None:
    """Lock the rows (PostgreSQL) in id order and read them afresh in the same statement.

    One statement per table instead of a lock and a re-read per record: on a card's
    completion that was four round trips fewer. Only the table's own rows are locked
    (OF). Its relations are not joined: read afresh, a joined owner would be written over
    the acting user's loaded self (the same row), whose roles would then be read again; an
    owner or client is found among the loaded records by key when asked for.
    """
    session.scalars(
        select(model).where(model.id.in_(ids)).order_by(model.id)
        .options(lazyload("*"))
        .with_for_update(read=shared, key_share=not shared, of=model.__table__)
        .execution_options(populate_existing=True)
    ).unique().all()


def _holds_stage(record) -> bool:
    # Stages themselves pass through here too (a deal's new stage): they hold nothing.
    kind = KINDS.get(type(record))
    return kind is not None and kind.holds_stage


def _with_stages(records_: list) -> list:
    stages = [record.stage for record in records_
              if _holds_stage(record) and record.stage is not None]
    return [record for record in [*records_, *stages] if record is not None]


def guard(session: Session, records_: list, excluding: tuple[int, ...] = (), *,
          hold: list = (), when=None) -> None:
    """Lock the records, re-read them, then refuse if a live one has no other planned task.

    Every write that can take away a record's last planned task goes through here, so
    that two such writes at once are checked one after the other. `hold` adds rows to
    lock and re-read (the task being changed); `when`, asked after the lock, tells
    whether the check applies at all (the task may have been completed meanwhile).

    :raise NextTaskRequired: naming what would be left without a planned task.
    :raise RecordBusy: if SQLite's wait for the write lock ran out.
    """
    lock(session, [*records_, *hold])
    if when is None or when():
        refuse_uncovered(uncovered(session, [r for r in records_ if r is not None], excluding))


def uncovered(session: Session, records_: list, excluding: tuple[int, ...] = ()) -> list:
    """Return the live records that have no planned task apart from `excluding`."""
    return [
        record for record in records_
        if is_live(record) and (record.id is None or not has_planned_task(
            session, record, excluding))
    ]


def refuse_uncovered(missing: list) -> None:
    """Raise the message naming what would be left without a next task.

    :raise NextTaskRequired: if `missing` is not empty.
    """
    if missing:
        names = ", ".join(describe(record) for record in missing)
        raise NextTaskRequired(
            _l("Plan the next task: %(names)s would be left without one.", names=names),
            "next_subject",
        )


def build_task(actor, spec: NextTask, *, company=None, contact=None, deal=None,
               owner_id: int | None = None) -> Task:
    """Make a planned task from a spec, linked to the given client and deal.

    :raise ValidationError: if the subject or the due time is missing, or it is past.
    """
    subject = v.require_text(spec.subject, "next_subject",
                             _l("Next task: say what to do."))
    if spec.due_at is None:
        raise ValidationError(_l("Next task: set the date and time."), "next_due_at")
    v.check_planned_time(spec.due_at, local_now(), "next_due_at", _l("Next task"))
    if spec.type not in [t.value for t in TaskType]:
        raise ValidationError(_l("Next task: unknown type."), "next_type")
    return Task(type=spec.type, subject=subject, due_at=spec.due_at,
                state=TaskState.PLANNED.value, company=company, contact=contact, deal=deal,
                owner_id=spec.owner_id or owner_id)


def links_for(record) -> dict:
    """Return the links a follow-up task of this record carries (client and deal)."""
    return kind_of(record).task_links(record)


def attach_first_task(session: Session, actor, record, spec: NextTask | None) -> Task | None:
    """Give a live record being saved its task, if it would otherwise have none.

    Called before the record is saved, so record and task are written together.

    :raise NextTaskRequired: if the record is live, uncovered and no task is given.
    :raise ValidationError: if the given task is not valid.
    """
    lock(session, [record])
    if not is_live(record):
        return None
    if record.id is not None and has_planned_task(session, record):
        return None
    if spec is None or not (spec.subject or "").strip():
        refuse_uncovered([record])
    owner_id = record.owner_id or (record.owner.id if record.owner else None)
    task = build_task(actor, spec, owner_id=owner_id or getattr(actor, "id", None),
                      **links_for(record))
    _check_and_stamp(session, actor, task, is_new=True)
    return task


def _check_and_stamp(session: Session, actor, record, *, is_new: bool) -> None:
    """Check a record this module writes by its kind's rules, stamp owner and audit; add it.

    The same checks as the screens' saves (records.before_save), so that a task made
    here obeys what a task made in a form obeys.

    :raise ValidationError: naming the first field at fault.
    """
    records.before_save(session, actor, record, is_new)
    if is_new:
        session.add(record)


@dataclass
class Outcome:
    """What the complete dialog says: the result, the next task, or closing instead."""

    result: str = ""
    cancel: bool = False
    next_task: NextTask | None = None
    client_status: str | None = None
    lost_reason: str | None = None
    deal_stage_id: int | None = None


def _client_of(task: Task):
    if task.company is not None:
        return task.company
    if task.contact is not None and task.contact.company_id is None:
        return task.contact
    return None


def _close_client(actor, client, outcome: Outcome) -> None:
    if outcome.client_status != ClientStatus.LOST.value or client is None:
        return
    if not can_see(client, actor):
        raise ValidationError(_l("Client: no such client."), "client_status")
    client.status = ClientStatus.LOST.value
    client.lost_reason = v.require_text(
        outcome.lost_reason, "lost_reason", _l("Lost reason: say why the client was lost.")
    )


def _move_deal(session: Session, actor, deal, outcome: Outcome) -> None:
    if outcome.deal_stage_id is None or deal is None:
        return
    stage = session.get(Stage, outcome.deal_stage_id)
    if stage is None:
        raise ValidationError(_l("Stage: choose a stage of the pipeline."), "deal_stage")
    deal.stage = stage
    if stage.kind == StageKind.LOST.value:
        deal.lost_reason = outcome.lost_reason
    _check_and_stamp(session, actor, deal, is_new=False)


def _refuse_undecided_lead(task: Task) -> None:
    """Refuse completing the answer task of a lead still new: the inbox decides it.

    :raise DomainError: if the task answers an item of the inbox not yet decided.
    """
    if task.inbox_item is not None and task.inbox_item.state == InboxState.NEW.value:
        raise DomainError(_l("Decide the lead in the inbox: accept it, link it to a client "
                             "or decline it."))


def _stamp_answered(session: Session, task: Task) -> None:
    """Note when a lead was first answered: the first done task on its inbox item."""
    if task.inbox_item_id is None or task.state != TaskState.DONE.value:
        return
    session.execute(update(InboxItem).where(InboxItem.id == task.inbox_item_id,
                                            InboxItem.answered_at.is_(None))
                    .values(answered_at=task.done_at,
                            answer_seconds=answer_seconds(task.inbox_item.received_at,
                                                          task.done_at)))


@dataclass(frozen=True)
class Finished:
    """What completing a task planned next, and the warning planning it deserves."""

    next_task: Task | None
    warning: str | None = None


def finish_task(session: Session, actor, task: Task, outcome: Outcome) -> Finished:
    """Complete (or cancel) a task, then plan the next one or close the client / deal.

    All in one transaction: the task is done with its result, the client may be marked
    lost or the deal moved, and the next task is created unless another planned task
    still covers the client and the deal. The next task's cadence warning is worked out
    before the commit, while the deal and its stage are loaded (after it, reading them
    again took five statements).

    :raise NextTaskRequired: naming what would be left without a planned task.
    :raise ValidationError: if the result or the next task is not valid.
    :raise DomainError: if the task is not planned any more.
    """
    if not can_see(task, actor):
        raise DomainError(_l("Task: no such task."))
    set_actor(session, actor)
    try:
        if task.state != TaskState.PLANNED.value:
            raise DomainError(_l("This task is not planned any more."))
        targets = [r for r in (task.company, task.contact, task.deal) if r is not None]
        new_stage = (session.get(Stage, outcome.deal_stage_id)
                     if outcome.deal_stage_id is not None and task.deal is not None else None)
        lock(session, [*targets, new_stage, task])
        if task.state != TaskState.PLANNED.value:
            raise DomainError(_l("Someone else has just completed this task."))
        _refuse_undecided_lead(task)
        if outcome.cancel:
            task.state = TaskState.CANCELLED.value
            task.result = (outcome.result or "").strip() or None
        else:
            task.state = TaskState.DONE.value
            task.result = v.require_text(outcome.result, "result",
                                         _l("Result: write what happened."))
        task.done_at = local_now()
        task.done_by_id = task.owner_id if task.state == TaskState.DONE.value else None
        records.stamp_owner_and_audit(session, actor, task, is_new=False)
        _close_client(actor, _client_of(task), outcome)
        _move_deal(session, actor, task.deal, outcome)
        next_task = None
        if outcome.next_task is not None and (outcome.next_task.subject or "").strip():
            next_task = build_task(actor, outcome.next_task, owner_id=task.owner_id,
                                   company=task.company, contact=task.contact, deal=task.deal)
            _check_and_stamp(session, actor, next_task, is_new=True)
        session.flush()
        refuse_uncovered(uncovered(session, targets_of(task), excluding=(task.id,))
                         if next_task is None else [])
        _stamp_answered(session, task)
        warning = cadence.completion_warning(session, task, next_task)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return Finished(next_task, warning)


def check_can_archive_task(session: Session, task: Task) -> None:
    """Refuse archiving the last planned task of a live client or open deal.

    :raise NextTaskRequired: naming the record that would be left without one.
    """
    _refuse_undecided_lead(task)
    links = [task.company, task.contact, task.deal]
    guard(session, links, excluding=(task.id,), hold=[task],
          when=lambda: task.state == TaskState.PLANNED.value and not task.archived)


def check_task_relink(session: Session, task: Task) -> None:
    """Refuse moving a planned task away from a live record it was the last task of.

    :raise NextTaskRequired: naming the record that would be left without one.
    """
    if task.state != TaskState.PLANNED.value or task.id is None:
        return
    state = inspect(task)
    dropped = []
    for attribute in ("company", "contact", "deal"):
        history = state.attrs[attribute].history
        current = getattr(task, attribute)
        dropped += [old for old in history.deleted or [] if old is not None and old is not current]
    # The new links are held too: the flush will update their next task dates, and two
    # tasks moved in opposite directions at once must not lock the records crosswise.
    guard(session, dropped, excluding=(task.id,),
          hold=[task.company, task.contact, task.deal, task])


def queue_filter(model, open_stage_ids: list[int] | None = None):
    """Return the SQL condition 'live and without a planned task' for a model.

    It reads the stored next task date (app/services/rules/next_task.py keeps it), which the
    model's partial "queue" index holds for exactly these rows. For deals, given the open
    stages' ids, they are written into the SQL as values: the index is then read for those
    stages only, not for every won and lost deal (which have no next task either).
    """
    if model is Deal and open_stage_ids is not None:
        stages = bindparam("queue_open_stages", sorted(open_stage_ids), expanding=True,
                           literal_execute=True)
        return (Deal.archived == false()) & Deal.stage_id.in_(stages) \
            & Deal.next_task_at.is_(None)
    return kind_of_model(model).live_where() & model.next_task_at.is_(None)
