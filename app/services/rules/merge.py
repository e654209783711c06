"""Merge two companies, or two contacts, that are the same client: one door for the screen,
the API and the duplicates report.

The user picks the record to keep and, field by field, whose value wins. In one
transaction, holding both records (followup.lock, in its fixed order): every contact,
deal, task and history entry of the other record moves to the kept one (the moved rows
take the kept record's owner), the kept record gets the chosen values and is checked as
every save is, and the other is archived pointing at the kept one (`merged_into_id`).
Both histories say so. A live kept record without a planned task takes `next_task`.

Restoring the merged record (archive.restore, Head and Admin) brings it back as it was
when merged: its own fields were never changed. What is not undone: the contacts, deals,
tasks and history entries moved stay with the kept record (they may have been worked on
since; move them by hand if needed), and the kept record keeps the values it took. The
restored record, if live, waits in the queue "without a next task" for its first task.
"""

from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from app.models import Company, Contact, HistoryEntry, Task
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.rules import followup, history, saving
from app.services.rules.followup import NextTask
from app.services.rules.kinds import kind_of
from app.services.rules.visibility import can_see

KEPT, OTHER = "kept", "other"
# The fields whose value the user chooses, in the order the merge screen shows them.
FIELDS = {
    Company: ("name", "legal_name", "inn", "industry", "website", "phone", "email", "address",
              "status", "lost_reason", "source", "notes", "owner_id"),
    Contact: ("last_name", "first_name", "middle_name", "position", "company_id", "phone",
              "mobile_phone", "email", "second_email", "birthday", "spouse_name",
              "preferences", "status", "lost_reason", "source", "owner_id"),
}
# Values that go together: choosing one side for the first takes the second from it too.
TOGETHER = {"status": "lost_reason"}
MODELS = {"company": Company, "contact": Contact}


@dataclass
class Merged:
    """What a merge did: the kept record, the archived one, how many rows moved by kind."""

    kept: Company | Contact
    other: Company | Contact
    moved: dict[str, int] = field(default_factory=dict)
    next_task: Task | None = None


def can_merge(actor, kept, other) -> bool:
    """Tell whether the user may merge these two (Head, Admin; a manager: both their own)."""
    return can_see(kept, actor) and can_see(other, actor)


def find_visible(session: Session, actor, entity: str, record_id):
    """Return the live company or contact of this id the user may see.

    :raise NotFound: if it is missing, archived or another manager's.
    """
    model = MODELS.get(entity)
    record = session.get(model, record_id) if model is not None and isinstance(
        record_id, int) else None
    if record is None or not can_see(record, actor):
        raise NotFound(_l("No such record."), "other_id")
    return record


def find_pair(session: Session, actor, entity: str, kept_id, other_id):
    """Return the two live records of this kind the user may merge.

    :raise NotFound: if either is missing, archived or not visible to the user.
    :raise ValidationError: if they are one and the same record.
    """
    records = [find_visible(session, actor, entity, record_id)
               for record_id in (kept_id, other_id)]
    if records[0].id == records[1].id:
        raise ValidationError(_l("Choose another record to merge with."), "other_id")
    return records[0], records[1]


def differing_fields(kept, other) -> list[str]:
    """Return the fields whose values differ between the two, in the screen's order."""
    return [name for name in FIELDS[type(kept)] if getattr(kept, name) != getattr(other, name)]


def check_choices(model, choices: dict | None) -> dict[str, str]:
    """Return the choices as {field: "kept" | "other"}; unnamed fields keep the kept value.

    :raise ValidationError: naming an unknown field or side.
    """
    checked = {}
    for name, side in (choices or {}).items():
        if name not in FIELDS[model]:
            raise ValidationError(_l("Fields: «%(name)s» cannot be chosen.", name=name),
                                  "fields")
        if side not in (KEPT, OTHER):
            raise ValidationError(_l("Fields: say «kept» or «other» for «%(name)s».",
                                     name=name), "fields")
        checked[name] = side
    for name, follower in TOGETHER.items():
        if name in checked and follower in FIELDS[model]:
            checked[follower] = checked[name]
    return checked


def _moves(kept, other) -> list[tuple[str, type, object, str]]:
    """Return (kind, model, condition, relation) for each kind of row that moves."""
    kind = kind_of(kept)
    return [(label, model, column == other.id, kind.entity)
            for label, model, column in kind.referrers if label in kind.merge_moves]


def _move_rows(session: Session, kept, other, owner_id: int) -> dict[str, int]:
    """Point the other's contacts, deals, tasks and history at the kept record.

    One query per kind loads the rows; each change goes through the unit of work, so the
    history and the next task dates follow them.
    """
    moved = {}
    for kind, model, condition, relation in _moves(kept, other):
        rows = session.scalars(select(model).where(condition).order_by(model.id)).all()
        for row in rows:
            setattr(row, relation, kept)
            row.owner_id = owner_id
        moved[kind] = len(rows)
    # Entries already written keep what they say; the kept record's timeline shows them.
    column = getattr(HistoryEntry, f"{kind_of(kept).entity}_id")
    result = session.execute(update(HistoryEntry).where(column == other.id)
                             .values({column: kept.id}))
    moved["history"] = result.rowcount or 0
    return moved


def _chosen_owner(kept, other, choices: dict) -> int:
    return other.owner_id if choices.get("owner_id") == OTHER else kept.owner_id


def merge(session: Session, actor, kept, other, choices: dict | None = None,
          next_task: NextTask | None = None) -> Merged:
    """Merge `other` into `kept` in one transaction (commits); see the module's notes.

    :raise NotFound: if the user may not see both records.
    :raise ValidationError: for the same record twice, two kinds, or a bad choice.
    :raise DomainError: if either was merged or archived meanwhile.
    :raise NextTaskRequired: if the kept record is live, has no planned task and no
        `next_task` is given.
    """
    if type(kept) is not type(other) or type(kept) not in FIELDS:
        raise ValidationError(_l("Merge companies with companies, contacts with contacts."),
                              "other_id")
    if kept.id == other.id:
        raise ValidationError(_l("Choose another record to merge with."), "other_id")
    if not can_merge(actor, kept, other):
        raise NotFound(_l("No such record."), "other_id")
    chosen = check_choices(type(kept), choices)
    history.set_actor(session, actor)
    try:
        followup.lock(session, [kept, other])
        if kept.archived or other.archived:
            raise DomainError(_l("One of these records has just been merged or archived. "
                                 "Open them again."))
        moved = _move_rows(session, kept, other, _chosen_owner(kept, other, chosen))
        other.merged_into_id = kept.id
        other.archived = True
        other.archived_at = local_now()
        other.changed_by_id = getattr(actor, "id", None)
        session.flush()
        for name, side in chosen.items():
            if side == OTHER and name == "company_id":
                kept.company = other.company  # the relation, which the checks read
            elif side == OTHER:
                setattr(kept, name, getattr(other, name))
        history.note(session, kept, "merged",
                     [{"field": "merged_from_id", "old": None, "new": other.id}])
        # The kept record may share keys with the archived one and with others: the user
        # merges because they are the same client, so duplicates are allowed here.
        task = saving.save_record(session, actor, kept, is_new=False, next_task=next_task,
                                  allow_duplicate=True)
        session.flush()
        session.commit()
    except Exception:
        session.rollback()
        raise
    return Merged(kept=kept, other=other, moved=moved, next_task=task)
