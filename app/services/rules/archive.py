"""Archive a record with what hangs on it, restore such a batch, delete archived rows for good.

A batch is what one archiving took away: the record and its dependents (a company's
contacts, deals and tasks; a private client's deals and tasks; a deal's tasks). Every
row of a batch gets the very same `archived_at`, so a batch is found again by that
stamp plus the link to the record: rows archived earlier on their own carry another
stamp and stay archived when the batch is restored. No extra column is needed.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, or_, select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, HistoryEntry, Task
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound
from app.services.rules.followup import guard
from app.services.rules.history import ENTITIES, context_of, set_actor
from app.services.rules.kinds import BY_ENTITY, kind_of
from app.services.rules.visibility import role_names, sees_everything

MODELS = {entity: kind.model for entity, kind in BY_ENTITY.items()}
KINDS = ("contacts", "deals", "tasks")
KIND_LABELS = {"contacts": _l("contacts"), "deals": _l("deals"), "tasks": _l("tasks")}
REFERENCE_LABELS = {**KIND_LABELS, "reassignments": _l("reassignments"),
                    "merged": _l("records merged into it")}
# Hard delete goes children first, so that no foreign key points at a deleted row.
DELETE_ORDER = (Task, Deal, Contact, Company)


@dataclass
class Batch:
    """A record and the dependents archived (or to archive, restore, delete) with it."""

    record: object
    contacts: list = field(default_factory=list)
    deals: list = field(default_factory=list)
    tasks: list = field(default_factory=list)

    def rows(self) -> list:
        """Return every row of the batch, the record first."""
        return [self.record, *self.contacts, *self.deals, *self.tasks]

    def counts(self) -> dict[str, int]:
        """Return how many dependents of each kind the batch holds."""
        return {kind: len(getattr(self, kind)) for kind in KINDS}


def describe_counts(counts: dict[str, int]) -> str:
    """Say in words what goes with the record: "2 contacts, 1 deals, 5 tasks" or ""."""
    return ", ".join(
        f"{KIND_LABELS[kind]}: {number}" for kind, number in counts.items() if number
    )


def _dependents(session: Session, record, archived: bool, stamp=None) -> Batch:
    """Collect the dependents of `record` that are (not) archived, with `stamp` if given."""

    def state(model):
        condition = model.archived.is_(archived)
        if stamp is not None:
            condition = condition & (model.archived_at == stamp)
        return condition

    batch = Batch(record)
    kind = kind_of(record)
    carried = kind.dependents(record)
    if carried is None:
        # A task, or a contact person: the company's deals and tasks stay with it.
        return batch
    with session.no_autoflush:
        for attribute, model, condition in carried:
            setattr(batch, attribute, session.scalars(
                select(model).where(condition, state(model)).order_by(model.id)).all())
        links = [kind.task_link == record.id]
        contact_ids = [contact.id for contact in batch.contacts]
        deal_ids = [deal.id for deal in batch.deals]
        if contact_ids:
            links.append(Task.contact_id.in_(contact_ids))
        if deal_ids:
            links.append(Task.deal_id.in_(deal_ids))
        batch.tasks = session.scalars(
            select(Task).where(or_(*links), state(Task)).order_by(Task.id)).all()
    return batch


def preview(session: Session, record) -> dict[str, int]:
    """Count what archiving the record would take with it, by kind."""
    return _dependents(session, record, archived=False).counts()


def archive(session: Session, actor, record) -> Batch:
    """Mark the record and its dependents archived, with one shared stamp (no commit).

    Each row's history entry is written by the flush hook, in the same transaction.

    :raise DomainError: if a Manager's batch holds another manager's rows.
    :raise NextTaskRequired: if a live record outside the batch would lose its last task.
    """
    set_actor(session, actor)
    batch = _dependents(session, record, archived=False)
    _refuse_foreign_rows(actor, batch)
    _refuse_uncovering(session, batch)
    now = local_now()
    actor_id = getattr(actor, "id", None)
    for row in batch.rows():
        row.archived = True
        row.archived_at = now
        row.changed_by_id = actor_id
    return batch


def _refuse_foreign_rows(actor, batch: Batch) -> None:
    """Refuse a Manager archiving rows of another manager along with their own record."""
    if sees_everything(actor):
        return
    actor_id = getattr(actor, "id", None)
    foreign = [row for row in batch.rows() if row.owner_id != actor_id]
    if foreign:
        raise DomainError(
            _l("%(num)s records of this client belong to another manager: ask the head of "
               "sales to archive it.", num=len(foreign))
        )


def _refuse_uncovering(session: Session, batch: Batch) -> None:
    """Refuse taking away the last planned task of a live record that stays."""
    tasks = [*batch.tasks, *([batch.record] if isinstance(batch.record, Task) else [])]
    leaving = {(type(row), row.id) for row in batch.rows()}
    staying = {}
    for task in tasks:
        for target in (task.company, task.contact, task.deal):
            if target is not None and (type(target), target.id) not in leaving:
                staying[(type(target), target.id)] = target
    guard(session, list(staying.values()), excluding=tuple(task.id for task in tasks))


def can_restore(actor) -> bool:
    """Tell whether the user may see the archive and restore from it (Head, Admin)."""
    return sees_everything(actor)


def can_delete_for_good(actor) -> bool:
    """Tell whether the user may delete archived rows for good (Admin only)."""
    return "Admin" in role_names(actor)


def find_archived(session: Session, entity: str, record_id: int):
    """Return the archived record of this kind and id.

    :raise NotFound: if there is no such archived record.
    """
    model = MODELS.get(entity)
    record = session.get(model, record_id) if model is not None else None
    if record is None or not record.archived:
        raise NotFound(_l("No such record in the archive."))
    return record


def archived_batch(session: Session, record) -> Batch:
    """Return the record with the dependents archived together with it (same stamp)."""
    return _dependents(session, record, archived=True, stamp=record.archived_at)


def _archived_parents(record) -> list:
    parents = [getattr(record, name, None) for name in ("company", "contact", "deal")]
    return [parent for parent in parents
            if parent is not None and parent is not record and parent.archived]


def restore(session: Session, actor, record) -> Batch:
    """Bring an archived record back with its batch, in one transaction (commits).

    :raise DomainError: if the actor may not restore, the record is not archived, or
        a record it hangs on is still archived (restore that one first).
    """
    if not can_restore(actor):
        raise DomainError(_l("Only the head of sales can restore archived records."))
    if not record.archived:
        raise DomainError(_l("This record is not in the archive."))
    blocked = _archived_parents(record)
    if blocked:
        raise DomainError(_l("Restore «%(name)s» first: this record belongs to it.",
                             name=str(blocked[0])))
    try:
        set_actor(session, actor)
        batch = archived_batch(session, record)
        for row in batch.rows():
            row.archived = False
            row.archived_at = None
            row.changed_by_id = getattr(actor, "id", None)
        # A merged record comes back on its own (rules/merge.py says what stays merged).
        if getattr(record, "merged_into_id", None) is not None:
            record.merged_into_id = None
        session.commit()
    except Exception:
        session.rollback()
        raise
    return batch


def _references(session: Session, record, leaving: set) -> dict[str, int]:
    """Count the rows outside `leaving` that still point at the record, by kind."""
    found: dict[str, int] = {}
    for kind, model, column in kind_of(record).referrers:
        ids = [row_id for (entity, row_id) in leaving if entity is model]
        query = select(func.count()).select_from(model).where(column == record.id)
        if ids:
            query = query.where(model.id.not_in(ids))
        number = session.scalar(query) or 0
        if number:
            found[kind] = number
    return found


def delete_for_good(session: Session, actor, record, with_batch: bool = False) -> Batch:
    """Delete an archived record (and, if asked, its archived batch) for good; commits.

    Its history stays, with a last entry saying who deleted it.

    :raise DomainError: if the actor is not an Admin, the record is not archived, or
        other rows still point at it (delete those first, or the whole batch).
    """
    if not can_delete_for_good(actor):
        raise DomainError(_l("Only an administrator can delete records for good."))
    if not record.archived:
        raise DomainError(_l("Only archived records can be deleted for good."))
    batch = archived_batch(session, record) if with_batch else Batch(record)
    leaving = {(type(row), row.id) for row in batch.rows()}
    for row in batch.rows():
        references = _references(session, row, leaving)
        if references:
            kinds = ", ".join(
                f"{REFERENCE_LABELS[kind]}: {number}" for kind, number in references.items()
            )
            raise DomainError(_l(
                "«%(name)s» cannot be deleted: other records still refer to it "
                "(%(kinds)s). Delete those first, or delete the whole archived batch.",
                name=str(row), kinds=kinds,
            ))
    try:
        set_actor(session, actor)
        rows = [
            {"at": local_now(), "actor_id": getattr(actor, "id", None),
             "entity": ENTITIES[type(row)], "entity_id": row.id, "action": "deleted",
             "changes": None, "reassignment_id": None, **context_of(row)}
            for row in batch.rows()
        ]
        for model in DELETE_ORDER:
            for row in batch.rows():
                if type(row) is model:
                    session.delete(row)
            session.flush()
        session.execute(insert(HistoryEntry.__table__), rows)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return batch


