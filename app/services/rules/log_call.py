"""Log a call on a client's or deal's card: what was said, and the next task, at once.

The call is saved as a done task with its result, the next task as a planned one, in
one transaction through the same pieces as a new client from a call
(`saving.save_record` checks and stamps the call, `followup.build_task` the next task)
and the same next-task rule: a live client or open deal left without a planned task is
refused on the next task.
"""

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, Task
from app.models.enums import TaskState, TaskType
from app.models.mixins import local_now
from app.services.errors import NotFound, ValidationError
from app.services.rules import followup, saving
from app.services.rules import validation as v
from app.services.rules.history import set_actor
from app.services.rules.visibility import can_see

CARDS = (Company, Contact, Deal)


@dataclass
class CallNote:
    """What the manager typed on the card: the call's result and the next task."""

    result: str | None = None
    next_task: followup.NextTask | None = None
    # The planned task this call answers (the card's next task): it is completed with
    # the call's result instead of a second, separate call being written.
    completes: int | None = None


@dataclass
class LoggedCall:
    """What was written: the done call, and the planned task (None if not asked for)."""

    call: Task
    next_task: Task | None


def _call(record, result: str) -> Task:
    # Kept exact: the feed puts the call after anything done a moment before it.
    now = local_now()
    return Task(type=TaskType.CALL.value, subject=str(_l("Call")), due_at=now,
                state=TaskState.DONE.value, result=result, done_at=now,
                **followup.links_for(record))


def _write(session: Session, actor, record, note: CallNote) -> LoggedCall:
    # Held first: a completion of the record's last planned task waits for this save.
    followup.lock(session, [record])
    result = v.require_text(note.result, "result", _l("Result: write what was said."))
    call = _call(record, result)
    saving.save_record(session, actor, call, is_new=True, next_task=None,
                       require_cover=False)
    # The call counts for whoever owns the client, as a completed task would.
    call.done_by_id = call.owner_id
    session.add(call)
    planned = None
    spec = note.next_task
    if spec is not None and (spec.subject or "").strip():
        planned = followup.build_task(actor, spec, owner_id=record.owner_id,
                                      **followup.links_for(record))
        saving.save_record(session, actor, planned, is_new=True, next_task=None,
                           require_cover=False)
        session.add(planned)
    session.flush()
    followup.refuse_uncovered(followup.uncovered(session, _covered_by(record)))
    return LoggedCall(call=call, next_task=planned)


def _covered_by(record) -> list:
    """Return the records the card's next task must cover: the record and its client."""
    links = followup.links_for(record)
    return [r for r in (links["company"], links["contact"], links["deal"]) if r is not None]


def _answered_task(session: Session, actor, record, task_id: int) -> Task:
    """Return the planned task of the record that the call answers.

    :raise ValidationError: naming `completes` when it is not a planned task of the card.
    """
    task = session.get(Task, task_id) if 0 < task_id <= v.MAX_ID else None
    links = followup.links_for(record)
    belongs = task is not None and any(
        linked is not None and getattr(task, f"{name}_id") == linked.id
        for name, linked in links.items())
    if not belongs or task.archived or not can_see(task, actor):
        raise ValidationError(_l("Task: this task is not planned on this card any more."),
                              "completes")
    return task


def _complete(session: Session, actor, record, note: CallNote) -> LoggedCall:
    """Complete the card's planned task with the call's result, through the one door."""
    task = _answered_task(session, actor, record, note.completes)
    finished = followup.finish_task(session, actor, task, followup.Outcome(
        result=note.result or "", next_task=note.next_task))
    return LoggedCall(call=task, next_task=finished.next_task)


def log_call(session: Session, actor, record, note: CallNote) -> LoggedCall:
    """Save a call done now with its result and plan the next task, or write nothing.

    With `note.completes`, the call is the card's planned task, completed as the complete
    dialog would (followup.finish_task) and the next task planned with it.

    :raise NotFound: if the actor may not see the record.
    :raise ValidationError: if the result or the next task is not valid (`result`,
        `next_subject`, `next_due_at`, `next_type`).
    :raise NextTaskRequired: if a live client or open deal would be left without a
        planned task (no next task given and none planned).
    :raise RecordBusy: if SQLite's wait for the write lock ran out.
    """
    if not isinstance(record, CARDS) or not can_see(record, actor):
        raise NotFound(_l("No such client or deal."))
    if note.completes is not None:
        return _complete(session, actor, record, note)
    set_actor(session, actor)
    try:
        logged = _write(session, actor, record, note)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return logged
