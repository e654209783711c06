"""What the card of a client or deal shows: the next task, the activity feed, related records.

The card is the manager's workplace: a header with the next task, a feed of what was
done and what is planned, and the client's people and deals each with its next task.
Every part is a fixed number of queries, however long the client's story.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import false, select, union, union_all
from sqlalchemy.orm import Session, joinedload, lazyload

from app.models import Company, Contact, Deal, Task
from app.models.enums import TaskState, label
from app.models.mixins import local_now
from app.services.queries.timeline import Event, timeline
from app.services.rules.followup import is_live
from app.services.rules.visibility import sees_everything

FEED_SIZE = 25
FEED_MAX = 1000
RELATED_SIZE = 20
# Changes a card names in the feed's line itself; the others fold under "what changed".
HEADLINE_FIELDS = {"stage_id": "stage", "owner_id": "owner", "status": "status"}
KINDS = {Company: "company", Contact: "contact", Deal: "deal"}
# A task's completion is its own line in the feed; its history entry would repeat it.
COMPLETION_FIELDS = frozenset({"state", "result", "done_at", "done_by_id"})
DONE_STATES = (TaskState.DONE.value, TaskState.CANCELLED.value)


@dataclass
class FeedItem:
    """One line of the feed: a task (planned, done, cancelled) or a change of a record."""

    at: datetime
    kind: str  # planned, done, cancelled, stage, owner, status, created, changed...
    title: str
    actor: str = ""
    badge: str = ""  # a task's state in words
    about: str = ""  # the related record the line is about, if not the card's own
    result: str = ""
    task_id: int | None = None
    overdue: bool = False
    headline: list[tuple[str, str, str]] = field(default_factory=list)
    changes: list[tuple[str, str, str]] = field(default_factory=list)


@dataclass
class Related:
    """A contact person or a deal in the card's compact lists, with its own next task."""

    id: int
    kind: str  # contact or deal
    title: str
    detail: str = ""
    next_task: Task | None = None


@dataclass
class Card:
    """Everything the card shows besides the record's own fields."""

    record: Company | Contact | Deal
    kind: str  # company, contact or deal
    live: bool  # a live client or open deal: it must have a next task
    next_task: Task | None
    feed: list[FeedItem]
    feed_more: bool
    phones: list[tuple[str, str]]  # (as written, as dialled)
    emails: list[str]
    contacts: list[Related] = field(default_factory=list)
    contacts_more: bool = False
    deals: list[Related] = field(default_factory=list)
    deals_more: bool = False


def dialled(phone: str) -> str:
    """Return a phone number as a tel: link dials it (digits and a leading +)."""
    digits = re.sub(r"[^\d+]", "", phone)
    return digits[:1] + digits[1:].replace("+", "")


def _reachable(record) -> tuple[list[str], list[str]]:
    """Return the phones and e-mails of the record (a deal: of its contact, else client)."""
    if isinstance(record, Deal):
        people = [r for r in (record.contact, record.company) if r is not None]
        record = people[0] if people else None
    if isinstance(record, Contact):
        return ([p for p in (record.phone, record.mobile_phone) if p],
                [e for e in (record.email, record.second_email) if e])
    if isinstance(record, Company):
        return [record.phone] if record.phone else [], [record.email] if record.email else []
    return [], []


def _link_column(record):
    return {Company: Task.company_id, Contact: Task.contact_id, Deal: Task.deal_id}[type(record)]


def _visible_task_conditions(record, viewer) -> list:
    """Return the conditions of the record's tasks the viewer may read."""
    conditions = [_link_column(record) == record.id, Task.archived == false()]
    if not sees_everything(viewer):
        # `+ 0`: found through the record's task index; the owner's index would walk
        # every task of theirs in due order.
        conditions.append(Task.owner_id + 0 == getattr(viewer, "id", None))
    return conditions


def _tasks_with_names():
    # The feed names a task's deal and person: their names only, not their owners or stage;
    # with who owns them, so that the history's lines name them without a query of theirs.
    return (select(Task)
            .options(joinedload(Task.deal).load_only(
                          Deal.title, Deal.currency, Deal.owner_id, Deal.archived).options(
                          lazyload(Deal.owner), lazyload(Deal.stage)),
                      joinedload(Task.contact).load_only(
                          Contact.last_name, Contact.first_name, Contact.middle_name,
                          Contact.company_id, Contact.owner_id, Contact.archived).options(
                          lazyload(Contact.owner))))


def _feed_tasks(session: Session, record, viewer, size: int) -> dict[str, list[Task]]:
    """Return the record's first `size` + 1 tasks of each state, in one statement.

    Each state is its own ordered, limited read along the record's task index (link,
    state, archived, due): a list of states made SQLite scan the whole table. The reads
    are put together as one list of ids, so that the tasks come in one round trip.
    """
    ids = select(Task.id).where(*_visible_task_conditions(record, viewer))
    planned = ids.where(Task.state == TaskState.PLANNED.value).order_by(
        Task.due_at, Task.id).limit(size + 1)
    past = [ids.where(Task.state == state).order_by(Task.due_at.desc(), Task.id.desc())
            .limit(size + 1) for state in DONE_STATES]
    chosen = union_all(*(select(arm.subquery().c.id) for arm in (planned, *past))).subquery()
    found: dict[str, list[Task]] = {state: [] for state in (TaskState.PLANNED.value,
                                                             *DONE_STATES)}
    # Joined by id: the reads above chose them; each is then found by its key.
    for task in session.scalars(_tasks_with_names().join(chosen, chosen.c.id == Task.id)
                                ).unique():
        found[task.state].append(task)
    found[TaskState.PLANNED.value].sort(key=lambda task: (task.due_at, task.id))
    for state in DONE_STATES:
        found[state].sort(key=lambda task: (task.due_at, task.id), reverse=True)
    return found


class _Words:
    """The feed's words, translated once per feed rather than once per line."""

    def __init__(self) -> None:
        self.states = {state.value: label(TaskState, state.value) for state in TaskState}
        self.deal = gettext("Deal «%(title)s»")
        self.contact = gettext("Contact «%(name)s»")


def _about_task(record, task: Task, words: _Words) -> str:
    """Name the deal or person a task of a client is about (empty on their own card)."""
    own_deal = isinstance(record, Deal) and task.deal_id == record.id
    if task.deal is not None and not own_deal:
        return words.deal % {"title": task.deal.title}
    if task.contact is not None and isinstance(record, Company):
        return words.contact % {"name": str(task.contact)}
    return ""


def _task_item(record, task: Task, now: datetime, words: _Words) -> FeedItem:
    done = task.state in DONE_STATES
    return FeedItem(
        at=(task.done_at or task.due_at) if done else task.due_at, kind=task.state,
        title=task.subject, actor=str(task.owner) if task.owner else "",
        badge=words.states.get(task.state, task.state),
        about=_about_task(record, task, words), result=task.result or "", task_id=task.id,
        overdue=not done and task.due_at < now,
    )


def _event_kind(event: Event) -> str:
    for stored, kind in HEADLINE_FIELDS.items():
        if stored in event.fields:
            return kind
    return event.action_code


def _repeats_a_task_line(event: Event) -> bool:
    """Tell whether the entry only completed a task, which the task's line already says."""
    return event.kind == "task" and event.action_code == "changed" and (
        set(event.fields) <= COMPLETION_FIELDS)


def _history_item(record, event: Event) -> FeedItem:
    headline_labels = {label for stored, (label, _old, _new) in
                       zip(event.fields, event.changes, strict=False)
                       if stored in HEADLINE_FIELDS}
    return FeedItem(
        at=event.at, kind=_event_kind(event), actor=event.actor,
        title=f"{event.entity} «{event.title}» — {event.action}",
        headline=[c for c in event.changes if c[0] in headline_labels],
        changes=[c for c in event.changes if c[0] not in headline_labels],
    )


def feed(session: Session, record, labels: dict, *, viewer,
         size: int = FEED_SIZE) -> tuple[list[FeedItem], bool, Task | None]:
    """Return the feed (planned tasks soonest first, then the rest newest first).

    Also tells whether older lines were left out, and returns the next planned task.
    A Manager reads only their own tasks and the history of records they may open.
    """
    size = max(1, min(size, FEED_MAX))
    now = local_now()
    tasks = _feed_tasks(session, record, viewer, size)
    planned = tasks[TaskState.PLANNED.value]
    past = [task for state in DONE_STATES for task in tasks[state]]
    events = [event for event in timeline(session, record, labels, size + 1, viewer=viewer,
                                          without_task_creation=True)
              if not _repeats_a_task_line(event)]
    words = _Words()
    history = [_task_item(record, task, now, words) for task in past]
    history += [_history_item(record, event) for event in events]
    history.sort(key=lambda item: item.at, reverse=True)
    more = len(planned) > size or len(history) > size
    items = [_task_item(record, task, now, words) for task in planned[:size]] + history[:size]
    return items, more, planned[0] if planned else None


def _next_tasks(session: Session, wanted: dict, viewer) -> dict[tuple, Task]:
    """Return the earliest planned task of each record, {(link column key, id): task}.

    `wanted` maps a task's link column (contact_id, deal_id) to the records' ids. One
    statement for them all: each column's tasks found along its own index, then joined.
    """
    arms = []
    for column, ids in wanted.items():
        if not ids:
            continue
        arm = select(Task.id).where(column.in_(ids), Task.state == TaskState.PLANNED.value,
                                    Task.archived == false())
        if not sees_everything(viewer):
            arm = arm.where(Task.owner_id + 0 == getattr(viewer, "id", None))
        arms.append(arm)
    if not arms:
        return {}
    chosen = (union(*arms) if len(arms) > 1 else arms[0]).subquery()
    first: dict[tuple, Task] = {}
    for task in session.scalars(select(Task).join(chosen, chosen.c.id == Task.id)
                                .order_by(Task.due_at, Task.id)):
        for column, ids in wanted.items():
            link = getattr(task, column.key)
            if link in ids:
                first.setdefault((column.key, link), task)
    return first


def _scoped(query, model, viewer):
    """Keep the rows the viewer may see, checked row by row on the client's few records.

    Written `owner_id + 0` so that no database reads a manager's whole book through the
    owner index: the client's own index (company or contact) finds its few rows.
    """
    query = query.where(model.archived == false())
    if not sees_everything(viewer):
        query = query.where(model.owner_id + 0 == getattr(viewer, "id", None))
    return query


def related_contacts(session: Session, company: Company, *, viewer) -> list[Contact]:
    """Return the company's first people the viewer may see (one more: are there more?).

    Ordered by id, which the company's index holds: no sort, no scan of other rows.
    """
    return list(session.scalars(_scoped(
        select(Contact).where(Contact.company_id == company.id), Contact, viewer)
        .order_by(Contact.id).limit(RELATED_SIZE + 1)))


def related_deals(session: Session, client, *, viewer) -> list[Deal]:
    """Return the client's newest deals the viewer may see (one more: are there more?)."""
    column = Deal.company_id if isinstance(client, Company) else Deal.contact_id
    return list(session.scalars(_scoped(select(Deal).where(column == client.id), Deal, viewer)
                                .order_by(Deal.id.desc()).limit(RELATED_SIZE + 1)))


def _related(session: Session, record, result: Card, viewer) -> None:
    """Fill the card's people and deals, each with its own next task."""
    people = related_contacts(session, record, viewer=viewer) \
        if isinstance(record, Company) else []
    deals = related_deals(session, record, viewer=viewer) \
        if isinstance(record, Company | Contact) else []
    tasks = _next_tasks(session, {Task.contact_id: {c.id for c in people[:RELATED_SIZE]},
                                  Task.deal_id: {d.id for d in deals[:RELATED_SIZE]}}, viewer)
    result.contacts = [Related(id=c.id, kind="contact", title=str(c), detail=c.position or "",
                               next_task=tasks.get(("contact_id", c.id)))
                       for c in people[:RELATED_SIZE]]
    result.contacts_more = len(people) > RELATED_SIZE
    result.deals = [Related(id=d.id, kind="deal", title=d.title,
                            detail=d.stage.label if d.stage is not None else "",
                            next_task=tasks.get(("deal_id", d.id)))
                    for d in deals[:RELATED_SIZE]]
    result.deals_more = len(deals) > RELATED_SIZE


def card(session: Session, record, labels: dict, *, viewer, size: int = FEED_SIZE) -> Card:
    """Return what the card of a company, contact or deal shows to `viewer`."""
    items, more, next_task = feed(session, record, labels, viewer=viewer, size=size)
    phones, emails = _reachable(record)
    result = Card(record=record, kind=KINDS[type(record)], live=is_live(record),
                  next_task=next_task, feed=items, feed_more=more,
                  phones=[(phone, dialled(phone)) for phone in phones], emails=emails)
    _related(session, record, result, viewer)
    return result


def card_title(kind_label, record) -> str:
    """Return the name of a card's page: «Company «Northwind»»."""
    return str(_l("%(what)s «%(name)s»", what=str(kind_label), name=str(record)))

