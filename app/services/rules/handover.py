"""The handover brief: what the new owner of reassigned clients reads first.

Per client moved, one history entry in the client's feed (action "handover"): the last
three results, the open deals with stage and amount, and the next task. A history entry,
not a task: it is a record of the moment of the move that nobody completes, it does not
count as a touch or a planned task, and the card's feed already shows history. Unless the
head unticks it, each live client also gets an "introduce yourself" call for the new
owner, due before the client's next planned task (at the latest tomorrow at 10:00).

Set-based: a few statements for the whole move (window functions pick the three results
and the next task per client), and one multi-row insert for the entries and one for the
tasks, whatever the number of clients.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, false, func, insert, select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, HistoryEntry, Stage, Task
from app.models.enums import LIVE_CLIENT_STATUSES, TaskState, TaskType
from app.models.mixins import local_now
from app.services.rules import next_task
from app.services.rules.followup import default_due
from app.services.rules.history import plain

RESULTS = 3
LEAD = timedelta(hours=1)  # the introduction comes this long before the next planned task


@dataclass
class Brief:
    """What the new owner learns about one client."""

    entity: str  # company or contact
    client_id: int
    live: bool
    next_task_at: datetime | None
    results: list[tuple[datetime | None, str]] = field(default_factory=list)
    deals: list[tuple[int, int, object, str]] = field(default_factory=list)
    next_subject: str | None = None

    def changes(self) -> list[dict]:
        """Return the brief as history changes, which the feed shows field by field."""
        lines = []
        for done_at, result in self.results:
            lines.append({"field": "done_at", "old": None, "new": plain(done_at)})
            lines.append({"field": "result", "old": None, "new": result})
        for deal_id, stage_id, amount, currency in self.deals:
            shown = None if amount is None else (
                plain(amount) if currency == "RUB" else f"{plain(amount)} {currency}")
            lines += [{"field": "deal_id", "old": None, "new": deal_id},
                      {"field": "stage_id", "old": None, "new": stage_id},
                      {"field": "amount", "old": None, "new": shown}]
        if self.next_task_at is not None:
            lines.append({"field": "due_at", "old": None, "new": plain(self.next_task_at)})
            lines.append({"field": "subject", "old": None, "new": self.next_subject})
        return lines


def _moved(reassignment_id: int, entity: str):
    return select(HistoryEntry.entity_id).where(
        HistoryEntry.reassignment_id == reassignment_id, HistoryEntry.entity == entity)


def _clients(session: Session, reassignment_id: int) -> dict[tuple[str, int], Brief]:
    briefs = {}
    for entity, model, extra in (("company", Company, True),
                                 ("contact", Contact, Contact.company_id.is_(None))):
        rows = session.execute(select(model.id, model.status, model.next_task_at).where(
            model.id.in_(_moved(reassignment_id, entity)), extra))
        for client_id, status, next_at in rows:
            briefs[(entity, client_id)] = Brief(entity, client_id,
                                                status in LIVE_CLIENT_STATUSES, next_at)
    return briefs


def _links(reassignment_id: int):
    """Yield (entity, the name of the column linking to it, the SELECT of the moved ids)."""
    yield "company", "company_id", _moved(reassignment_id, "company")
    yield "contact", "contact_id", _moved(reassignment_id, "contact")


def _ranked(model, link, ids, order, condition):
    column = getattr(model, link)
    rank = func.row_number().over(partition_by=column, order_by=order).label("rank")
    extra = model.company_id.is_(None) if link == "contact_id" else True
    return column, rank, and_(column.in_(ids), extra, condition)


def _results(session: Session, reassignment_id: int, briefs: dict) -> None:
    for entity, link, ids in _links(reassignment_id):
        column, rank, where = _ranked(
            Task, link, ids, (Task.done_at.desc(), Task.id.desc()),
            and_(Task.state == TaskState.DONE.value, Task.archived == false(),
                 Task.result.is_not(None)))
        inner = select(column.label("client"), Task.done_at, Task.result, rank) \
            .where(where).subquery()
        rows = session.execute(select(inner.c.client, inner.c.done_at, inner.c.result)
                               .where(inner.c.rank <= RESULTS)
                               .order_by(inner.c.client, inner.c.rank))
        for client_id, done_at, result in rows:
            brief = briefs.get((entity, client_id))
            if brief is not None:
                brief.results.append((done_at, result))


def _next_subjects(session: Session, reassignment_id: int, briefs: dict) -> None:
    for entity, link, ids in _links(reassignment_id):
        column, rank, where = _ranked(
            Task, link, ids, (Task.due_at, Task.id),
            and_(Task.state == TaskState.PLANNED.value, Task.archived == false()))
        inner = select(column.label("client"), Task.subject, rank).where(where).subquery()
        for client_id, subject in session.execute(
                select(inner.c.client, inner.c.subject).where(inner.c.rank == 1)):
            brief = briefs.get((entity, client_id))
            if brief is not None:
                brief.next_subject = subject


def _deals(session: Session, reassignment_id: int, briefs: dict) -> None:
    for entity, link, ids in _links(reassignment_id):
        column = getattr(Deal, link)
        extra = Deal.company_id.is_(None) if link == "contact_id" else True
        rows = session.execute(
            select(column, Deal.id, Deal.stage_id, Deal.amount, Deal.currency)
            .join(Stage, Stage.id == Deal.stage_id)
            .where(column.in_(ids), extra, Stage.is_open, Deal.archived == false())
            .order_by(column, Deal.id))
        for client_id, deal_id, stage_id, amount, currency in rows:
            brief = briefs.get((entity, client_id))
            if brief is not None:
                brief.deals.append((deal_id, stage_id, amount, currency))


def introduction_due(now: datetime, next_task_at: datetime | None) -> datetime:
    """Return when to introduce oneself: before the next planned task, tomorrow at the latest."""
    due = default_due(now)
    if next_task_at is not None and next_task_at - LEAD < due:
        due = max(now, next_task_at - LEAD)
    return due


def _entry(brief: Brief, actor_id: int, reassignment_id: int, now: datetime, entity: str,
           entity_id: int, action: str, changes) -> dict:
    return {"at": now, "actor_id": actor_id, "entity": entity, "entity_id": entity_id,
            "action": action, "changes": changes,
            "company_id": brief.client_id if brief.entity == "company" else None,
            "contact_id": brief.client_id if brief.entity == "contact" else None,
            "deal_id": None, "reassignment_id": reassignment_id}


def _introductions(session: Session, actor_id: int, to_user_id: int, reassignment_id: int,
                   briefs: list[Brief], now: datetime) -> None:
    live = [brief for brief in briefs if brief.live]
    if not live:
        return
    subject = str(_l("Introduce yourself: you are the client's new manager"))
    rows = [{
        "type": TaskType.CALL.value, "subject": subject,
        "due_at": introduction_due(now, brief.next_task_at),
        "company_id": brief.client_id if brief.entity == "company" else None,
        "contact_id": brief.client_id if brief.entity == "contact" else None,
        "deal_id": None, "state": TaskState.PLANNED.value, "owner_id": to_user_id,
        "created_by_id": actor_id, "changed_by_id": actor_id, "created_at": now,
        "changed_at": now, "archived": False, "version": 1,
    } for brief in live]
    ids = session.execute(insert(Task.__table__).returning(Task.__table__.c.id), rows,
                          ).scalars().all()
    session.execute(insert(HistoryEntry.__table__), [
        _entry(brief, actor_id, reassignment_id, now, "task", task_id, "created", None)
        for brief, task_id in zip(live, ids, strict=True)])
    next_task.refresh(session, companies=[b.client_id for b in live if b.entity == "company"],
                      contacts=[b.client_id for b in live if b.entity == "contact"])


def write_briefs(session: Session, actor, reassignment, *, introduce: bool = True) -> int:
    """Write the brief of every client the reassignment moved; plan the introductions.

    Runs inside the reassignment's transaction, after the rows moved. Returns the number
    of clients briefed.
    """
    briefs = _clients(session, reassignment.id)
    if not briefs:
        return 0
    _results(session, reassignment.id, briefs)
    _deals(session, reassignment.id, briefs)
    _next_subjects(session, reassignment.id, briefs)
    now = local_now()
    ordered = [briefs[key] for key in sorted(briefs)]
    session.execute(insert(HistoryEntry.__table__), [
        _entry(brief, actor.id, reassignment.id, now, brief.entity, brief.client_id,
               "handover", brief.changes()) for brief in ordered])
    if introduce:
        _introductions(session, actor.id, reassignment.to_user_id, reassignment.id, ordered,
                       now)
    return len(ordered)
