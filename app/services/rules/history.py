"""Write the history of every change to a company, contact, deal or task.

Changes made through the ORM are recorded by a flush hook, in the same transaction as
the change itself; bulk operations (reassignment) write their entries themselves. The
acting user is taken from `session.info["actor_id"]`, which the services set.
"""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from app.models import HistoryEntry
from app.models.mixins import local_now
from app.services.rules.kinds import KINDS, kind_of

ENTITIES = {model: kind.entity for model, kind in KINDS.items()}
UNTRACKED_FIELDS = frozenset(
    {"id", "changed_at", "changed_by_id", "created_at", "created_by_id", "version",
     "birthday_key", "archived_at", "last_touch_at", "close_date_moves"}
)


def set_actor(session: Session, actor) -> None:
    """Remember who acts in this session, for the history entries its flush writes."""
    session.info["actor_id"] = getattr(actor, "id", None)


def plain(value):
    """Return a value as JSON can hold it (dates as ISO text, money as text)."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def context_of(record) -> dict[str, int | None]:
    """Return the company, contact and deal a record's history belongs to."""
    return kind_of(record).context(record)


def field_changes(record) -> list[dict]:
    """Return [{field, old, new}] for every tracked column changed on the record."""
    state = inspect(record)
    changes = []
    for attribute in state.mapper.column_attrs:
        key = attribute.key
        if key in UNTRACKED_FIELDS:
            continue
        history = state.attrs[key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if plain(old) == plain(new):
            continue
        changes.append({"field": key, "old": plain(old), "new": plain(new)})
    return changes


def _entry(session: Session, record, action: str, changes: list | None) -> dict:
    return {
        "at": local_now(),
        "actor_id": session.info.get("actor_id"),
        "entity": ENTITIES[type(record)],
        "entity_id": record.id,
        "action": action,
        "changes": changes,
        "reassignment_id": None,
        **context_of(record),
    }


def _action_for(changes: list[dict]) -> str:
    fields = {change["field"] for change in changes}
    merged = next((c for c in changes if c["field"] == "merged_into_id"), None)
    if merged is not None and merged["new"] is not None:
        return "merged"
    if "archived" in fields and fields <= {"archived", "merged_into_id"}:
        archived = next(c for c in changes if c["field"] == "archived")["new"]
        return "archived" if archived else "restored"
    return "changed"


_NOTES = "history_notes"


def note(session: Session, record, action: str, changes: list[dict]) -> None:
    """Have the next flush write the record's entry as `action`, with `changes` added.

    For what the columns do not show: the record kept by a merge names the one merged
    into it. The record's row must change in that flush (its audit stamp does).
    """
    session.info.setdefault(_NOTES, {})[(ENTITIES[type(record)], record.id)] = (action,
                                                                                 changes)


def row_updated(record) -> bool:
    """Tell whether the flush wrote an UPDATE of the record's row (any column changed)."""
    state = inspect(record)
    for attribute in state.mapper.column_attrs:
        if attribute.key == "version":
            continue
        history = state.attrs[attribute.key].history
        if history.has_changes():
            old = history.deleted[0] if history.deleted else None
            new = history.added[0] if history.added else None
            if plain(old) != plain(new):
                return True
    return False


def write_flush_history(session: Session, _flush_context) -> None:
    """Record created and changed tracked records of a flush (an after_flush hook).

    Every UPDATE of a record's row gets its entry, even one that changed no tracked
    field (an empty entry, left out of the timeline): each entry then stands for one
    step of the record's version, which `changes_since` relies on.
    """
    rows = []
    notes = session.info.get(_NOTES, {})
    for record in session.new:
        if type(record) in ENTITIES:
            rows.append(_entry(session, record, "created", None))
    for record in session.dirty:
        if type(record) not in ENTITIES or not session.is_modified(record):
            continue
        if not row_updated(record):
            continue
        changes = field_changes(record)
        action = _action_for(changes) if changes else "changed"
        noted = notes.pop((ENTITIES[type(record)], record.id), None)
        if noted is not None:
            action, changes = noted[0], [*noted[1], *changes]
        rows.append(_entry(session, record, action, changes))
    if rows:
        session.connection().execute(insert(HistoryEntry.__table__), rows)


def install(session_class=Session) -> None:
    """Attach the history hook to every ORM session (idempotent)."""
    if not event.contains(session_class, "after_flush", write_flush_history):
        event.listen(session_class, "after_flush", write_flush_history)


def changes_since(session: Session, record, seen_version: int | None) -> list[HistoryEntry]:
    """Return the history entries written after the record had `seen_version`, oldest first.

    Each update of a record's row bumps its version by one and writes one entry (the
    flush hook, or the bulk operations themselves), so the newest
    `stored version - seen version` entries are the changes made meanwhile.
    """
    model = type(record)
    entity = ENTITIES.get(model)
    if entity is None or seen_version is None:
        return []
    with session.no_autoflush:
        stored = session.scalar(select(model.version).where(model.id == record.id))
    missed = (stored or 0) - seen_version
    if missed <= 0:
        return []
    entries = session.scalars(
        select(HistoryEntry)
        .where(HistoryEntry.entity == entity, HistoryEntry.entity_id == record.id,
               HistoryEntry.action != "created")
        .order_by(HistoryEntry.id.desc()).limit(missed)
    ).all()
    return list(reversed(entries))
