"""The readable timeline of a company, contact or deal, newest first."""

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Deal, HistoryEntry, Stage, Task, User
from app.models.enums import ClientStatus, StageKind, TaskState, TaskType, label

ENTITY_LABELS = {
    "company": _l("Company"), "contact": _l("Contact"), "deal": _l("Deal"), "task": _l("Task"),
}
ACTION_LABELS = {
    "created": _l("created"), "changed": _l("changed"), "archived": _l("archived"),
    "restored": _l("restored"), "reassigned": _l("moved to another manager"),
}
REFERENCES = {"owner_id": User, "stage_id": Stage, "company_id": Company,
              "contact_id": Contact, "deal_id": Deal}
ENUM_FIELDS = {"status": ClientStatus, "state": TaskState, "type": TaskType, "kind": StageKind}
NAMES = {Company: "company", Contact: "contact", Deal: "deal", Task: "task"}


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


def _condition(record):
    if isinstance(record, Company):
        return HistoryEntry.company_id == record.id
    if isinstance(record, Contact):
        return HistoryEntry.contact_id == record.id
    return HistoryEntry.deal_id == record.id


def _names(session: Session, entries: list[HistoryEntry]) -> dict:
    """Load, in one query per kind, the names of every record the entries refer to."""
    wanted: dict[type, set[int]] = {}
    for entry in entries:
        for change in entry.changes or []:
            model = REFERENCES.get(change.get("field"))
            if model is not None:
                for value in (change.get("old"), change.get("new")):
                    if value is not None:
                        wanted.setdefault(model, set()).add(value)
        wanted.setdefault(_model_of(entry.entity), set()).add(entry.entity_id)
    names = {}
    for model, ids in wanted.items():
        for row in session.scalars(select(model).where(model.id.in_(ids))):
            names[(model, row.id)] = str(row)
    return names


def _model_of(entity: str):
    return {value: key for key, value in NAMES.items()}[entity]


def _value_text(name: str, value, names: dict, labels: dict) -> str:
    if value is None or value == "":
        return "—"
    if name in REFERENCES:
        return names.get((REFERENCES[name], value), f"#{value}")
    if name in ENUM_FIELDS:
        return label(ENUM_FIELDS[name], value)
    if isinstance(value, bool):
        return str(_l("yes") if value else _l("no"))
    return str(value)


def timeline(session: Session, record, labels: dict, limit: int = 100) -> list[Event]:
    """Return the record's story, newest first, with values in words.

    `labels` maps field names to their translated labels.
    """
    entries = session.scalars(
        select(HistoryEntry).where(_condition(record))
        .order_by(HistoryEntry.at.desc(), HistoryEntry.id.desc()).limit(limit)
    ).all()
    names = _names(session, entries)
    events = []
    for entry in entries:
        changes = [
            (str(labels.get(c["field"].removesuffix("_id"), c["field"])),
             _value_text(c["field"], c.get("old"), names, labels),
             _value_text(c["field"], c.get("new"), names, labels))
            for c in entry.changes or []
        ]
        events.append(Event(
            at=entry.at, actor=str(entry.actor) if entry.actor else "",
            entity=str(ENTITY_LABELS[entry.entity]), entity_id=entry.entity_id,
            title=names.get((_model_of(entry.entity), entry.entity_id), ""),
            action=str(ACTION_LABELS.get(entry.action, entry.action)), changes=changes,
        ))
    return events
