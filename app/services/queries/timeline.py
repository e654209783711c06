"""The readable timeline of a company, contact, deal or task, newest first."""

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from sqlalchemy import false, inspect, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from app import formatting
from app.formatting import person_name
from app.models import Company, Contact, Deal, HistoryEntry, Stage, Task, User
from app.models.enums import ClientStatus, StageKind, TaskState, TaskType, label
from app.services.errors import DomainError
from app.services.rules.history import changes_since
from app.services.rules.visibility import sees_everything

ENTITY_LABELS = {
    "company": _l("Company"), "contact": _l("Contact"), "deal": _l("Deal"), "task": _l("Task"),
}
ACTION_LABELS = {
    "created": _l("created"), "changed": _l("changed"), "archived": _l("archived"),
    "restored": _l("restored"), "reassigned": _l("moved to another manager"),
    "deleted": _l("deleted for good"),
    "handover": _l("handed over: a brief for the new manager"),
    "merged": _l("merged"),
}
REFERENCES = {"owner_id": User, "stage_id": Stage, "company_id": Company,
              "contact_id": Contact, "deal_id": Deal}
# Fields naming another record of the entry's own kind (a merge's two records).
SELF_REFERENCES = frozenset({"merged_into_id", "merged_from_id"})
ENUM_FIELDS = {"status": ClientStatus, "state": TaskState, "type": TaskType, "kind": StageKind}
NAMES = {Company: "company", Contact: "contact", Deal: "deal", Task: "task"}
MODELS = {entity: model for model, entity in NAMES.items()}
TASK_LINKS = {Company: Task.company_id, Contact: Task.contact_id, Deal: Task.deal_id}
DATE_FIELDS = frozenset({"birthday", "expected_close_date"})
DATETIME_FIELDS = frozenset({"due_at", "done_at", "closed_at"})
MONEY_FIELDS = frozenset({"amount"})
# Archiving and restoring say it in their action; the flag itself is not repeated.
QUIET_ACTIONS = frozenset({"archived", "restored"})
# A record the reader may not open is named by this, never by its own name.
HIDDEN = _l("another manager's record")
YES, NO = _l("yes"), _l("no")
# The stale-save message names what the saver may edit: no filter needed.
_EVERYONE = object()


@dataclass
class Event:
    """One line of the timeline: when, who, what, and the field changes in words."""

    at: datetime
    actor: str
    entity: str
    entity_id: int
    title: str
    action: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    reassignment_id: int | None = None
    kind: str = ""  # company, contact, deal or task: the record the line is about
    fields: tuple[str, ...] = ()  # the stored names of the changed fields
    action_code: str = ""  # created, changed, archived... as stored


def _condition(record):
    """Return the entries of a record's story: a client's or deal's include their tasks'."""
    if isinstance(record, Company):
        return HistoryEntry.company_id == record.id
    if isinstance(record, Contact):
        return HistoryEntry.contact_id == record.id
    if isinstance(record, Deal):
        return HistoryEntry.deal_id == record.id
    return (HistoryEntry.entity == NAMES[type(record)]) & (HistoryEntry.entity_id == record.id)


def _restricted(model, viewer) -> bool:
    """Tell whether the viewer may open only some rows of the model (their own, live)."""
    return not (viewer is _EVERYONE or model not in NAMES or sees_everything(viewer))


def _visible(model, viewer):
    """Return the condition 'the viewer may open this row', or None when they see all."""
    if not _restricted(model, viewer):
        return None
    # `owner_id + 0`: the rows are found by id; the owner index would read the whole book.
    return (model.owner_id + 0 == getattr(viewer, "id", None)) & (model.archived == false())


# The attributes a record's name (and, for a deal, its currency) is made of.
NAME_FIELDS = {Company: ("name",), Contact: ("last_name", "first_name", "middle_name"),
               Deal: ("title", "currency"), Task: ("subject",), Stage: ("name",),
               User: ("first_name", "last_name", "username")}


def _known_name(session: Session, model, record_id, viewer,
                restricted: bool) -> tuple[bool, str | None]:
    """Name a record the session already holds: (found, name or None if not to be named).

    The card has just read its record, the feed's tasks, their deals and people and their
    owners: naming them again would be a query per kind for what is at hand. A record not
    held, or held without what its name or the viewer's right to it needs, is not found.
    `restricted`: the viewer may open only their own live rows of the model.
    """
    record = session.identity_map.get(identity_key(model, record_id))
    if record is None:
        return False, None
    state = inspect(record)
    needed = set(NAME_FIELDS.get(model, ()))
    if restricted:
        needed |= {"owner_id", "archived"}
    if not needed or state.expired or needed & state.unloaded:
        return False, None
    if restricted and (record.archived or record.owner_id != getattr(viewer, "id", None)):
        return True, None
    return True, str(record)


def _held_names(session: Session, model, ids: set[int], viewer, names: dict) -> set[int]:
    """Add to `names` those of the records the session holds; return the ids left to read."""
    missing = set()
    # Once per kind: a card's feed names hundreds of records.
    restricted = _restricted(model, viewer)
    for record_id in ids:
        found, name = _known_name(session, model, record_id, viewer, restricted)
        if not found:
            missing.add(record_id)
        elif name is not None:
            names[(model, record_id)] = name
            if model is Deal:
                names[("currency", record_id)] = session.identity_map.get(
                    identity_key(Deal, record_id)).currency
    return missing


def _names(session: Session, entries: list[HistoryEntry], viewer=None) -> dict:
    """Load, in one query per kind, the names of every record the entries refer to.

    Records the session holds already are named from there (`_known_name`). With a
    `viewer` who does not see everything, only records they may open are named.
    """
    wanted: dict[type, set[int]] = {}
    for entry in entries:
        for change in entry.changes or []:
            model = _referenced(change.get("field"), entry.entity)
            if model is not None:
                for value in (change.get("old"), change.get("new")):
                    if value is not None:
                        wanted.setdefault(model, set()).add(value)
        wanted.setdefault(_model_of(entry.entity), set()).add(entry.entity_id)
    names = {}
    for model, ids in wanted.items():
        missing = _held_names(session, model, ids, viewer, names)
        if not missing:
            continue
        query = select(model).where(model.id.in_(missing))
        condition = _visible(model, viewer)
        if condition is not None:
            query = query.where(condition)
        for row in session.scalars(query):
            names[(model, row.id)] = str(row)
            if model is Deal:
                names[("currency", row.id)] = row.currency
    return names


def _referenced(name: str | None, entity: str):
    """Return the model a field's value is the id of, if it names a record."""
    if name in SELF_REFERENCES:
        return _model_of(entity)
    return REFERENCES.get(name)


def _model_of(entity: str):
    return MODELS[entity]


def _value_text(name: str, value, names: dict, currency: str = "RUB",
                entity: str = "company", words=str) -> str:
    """Return a stored value in the user's language: names, labels, dates, money."""
    if value is None or value == "":
        return "—"
    model = _referenced(name, entity)
    if model is not None:
        return names.get((model, value), words(HIDDEN))
    if name in ENUM_FIELDS:
        return label(ENUM_FIELDS[name], value, words)
    if isinstance(value, bool):
        return words(YES if value else NO)
    try:
        if name in DATE_FIELDS:
            return formatting.date_text(date.fromisoformat(str(value)[:10]))
        if name in DATETIME_FIELDS:
            return formatting.datetime_text(datetime.fromisoformat(str(value)))
        if name in MONEY_FIELDS:
            return formatting.money_text(Decimal(str(value)), currency)
    except (ValueError, InvalidOperation):
        return str(value)
    return str(value)


def change_lines(entry: HistoryEntry, names: dict, labels: dict,
                 words=str) -> list[tuple[str, str, str]]:
    """Return the entry's changes as (field label, old value, new value) in words."""
    if entry.action in QUIET_ACTIONS:
        return []
    currency = names.get(("currency", entry.entity_id), "RUB") if entry.entity == "deal" \
        else "RUB"
    return [
        (words(labels.get(c["field"].removesuffix("_id"), c["field"])),
         _value_text(c["field"], c.get("old"), names, currency, entry.entity, words),
         _value_text(c["field"], c.get("new"), names, currency, entry.entity, words))
        for c in entry.changes or []
    ]


def _action_text(entry: HistoryEntry, words=str) -> str:
    if entry.action == "reassigned" and entry.reassignment_id is not None:
        return str(_l("moved to another manager (reassignment #%(number)s)",
                      number=entry.reassignment_id))
    return words(ACTION_LABELS.get(entry.action, entry.action))


def _words():
    """Return a translator of lazy labels that translates each one once per story.

    A story of a hundred entries names the same few fields, actions and values again and
    again; each lazy label is translated on its first use in the story only. Every label
    given (this module's, the enums', the caller's field labels) stays alive while the
    story is told, so its identity stands for it.
    """
    known: dict[int, str] = {}

    def text(lazy) -> str:
        found = known.get(id(lazy))
        if found is None:
            found = known[id(lazy)] = str(lazy)
        return found

    return text


def timeline(session: Session, record, labels: dict, limit: int = 100, *,
             viewer, without_task_creation: bool = False) -> list[Event]:
    """Return the record's story as `viewer` may read it, newest first, values in words.

    A company's, contact's or deal's story includes what happened to the records tied to
    it; a task's is its own. `labels` maps field names to their translated labels.
    Updates that changed no tracked field are left out. A Manager reads only entries
    about records they may open, and no name of another manager's record.
    `without_task_creation` leaves out the creation of the tasks linked to the record now
    (its card shows them as tasks); a task since moved elsewhere keeps its line.
    """
    query = select(HistoryEntry).where(_condition(record))
    if without_task_creation and type(record) in TASK_LINKS:
        linked = select(Task.id).where(TASK_LINKS[type(record)] == record.id)
        query = query.where(~((HistoryEntry.entity == "task")
                              & (HistoryEntry.action == "created")
                              & HistoryEntry.entity_id.in_(linked)))
    entries = [
        entry for entry in session.scalars(
            query.order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc()).limit(limit * 2)
        )
        if entry.changes or entry.action != "changed"
    ]
    names = _names(session, entries, viewer)
    if not sees_everything(viewer):
        entries = [entry for entry in entries
                   if (_model_of(entry.entity), entry.entity_id) in names]
    entries = entries[:limit]
    words = _words()
    return [
        Event(
            at=entry.at, actor=person_name(entry.actor) if entry.actor else "",
            entity=words(ENTITY_LABELS[entry.entity]), entity_id=entry.entity_id,
            title=names.get((_model_of(entry.entity), entry.entity_id), ""),
            action=_action_text(entry, words),
            changes=change_lines(entry, names, labels, words),
            reassignment_id=entry.reassignment_id, kind=entry.entity,
            fields=tuple(change.get("field") for change in entry.changes or []),
            action_code=entry.action,
        )
        for entry in entries
    ]


class StaleRecord(DomainError):
    """Someone saved the record after the user read it: the save is refused, not merged."""


def stale_record(session: Session, record, seen_version: int | None,
                 labels: dict) -> StaleRecord:
    """Return the refusal of a save based on `seen_version`, naming what changed meanwhile.

    Each field changed since that version is named with its value now and who changed it.
    """
    entries = changes_since(session, record, seen_version)
    names = _names(session, entries, _EVERYONE)
    latest: dict[str, str] = {}
    actors: list[str] = []
    for entry in entries:
        actor = str(entry.actor) if entry.actor else ""
        if actor and actor not in actors:
            actors.append(actor)
        for name, _old, new in change_lines(entry, names, labels):
            latest[name] = new
    if not latest:
        return StaleRecord(_l(
            "Someone changed this record while you were editing it. Your changes are "
            "not saved: check them and save again."
        ))
    changes = "; ".join(f"{name}: {value}" for name, value in latest.items())
    return StaleRecord(_l(
        "%(who)s changed this record while you were editing it: %(changes)s. Your "
        "changes are not saved: check them and save again.",
        who=", ".join(actors) or _l("Someone"), changes=changes,
    ))
