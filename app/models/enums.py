"""Closed sets of values stored as short strings, with their translated labels."""

from enum import StrEnum

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext


class ClientStatus(StrEnum):
    POTENTIAL = "potential"
    ACTIVE = "active"
    LOST = "lost"


class StageKind(StrEnum):
    OPEN = "open"
    WON = "won"
    LOST = "lost"


class TaskType(StrEnum):
    CALL = "call"
    MEETING = "meeting"
    EMAIL = "email"
    OTHER = "other"


class TaskState(StrEnum):
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class MoveState(StrEnum):
    """Where a reassignment stands: it runs in the background, then is done or failed."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


LIVE_CLIENT_STATUSES = (ClientStatus.POTENTIAL.value, ClientStatus.ACTIVE.value)

LABELS = {
    ClientStatus: {
        ClientStatus.POTENTIAL: _l("Potential"),
        ClientStatus.ACTIVE: _l("Active"),
        ClientStatus.LOST: lazy_pgettext("client status", "Lost"),
    },
    StageKind: {
        StageKind.OPEN: _l("Open"),
        StageKind.WON: _l("Won"),
        StageKind.LOST: _l("Lost"),
    },
    TaskType: {
        TaskType.CALL: _l("Call"),
        TaskType.MEETING: _l("Meeting"),
        TaskType.EMAIL: _l("E-mail"),
        TaskType.OTHER: _l("Other"),
    },
    TaskState: {
        TaskState.PLANNED: _l("Planned"),
        TaskState.DONE: _l("Done"),
        TaskState.CANCELLED: _l("Cancelled"),
    },
    MoveState: {
        MoveState.RUNNING: lazy_pgettext("reassignment", "Under way"),
        MoveState.DONE: lazy_pgettext("reassignment", "Done"),
        MoveState.FAILED: lazy_pgettext("reassignment", "Failed"),
    },
}


def choices(enum_class: type[StrEnum]) -> list[tuple[str, object]]:
    """Return (value, translated label) pairs for a select field."""
    return [(member.value, LABELS[enum_class][member]) for member in enum_class]


def code_of(enum_class: type[StrEnum], text):
    """Return the code a code or a translated label (any case) stands for; else `text` as is."""
    if not isinstance(text, str):
        return text
    typed = text.strip().casefold()
    for code, name in choices(enum_class):
        if typed in (code, str(name).casefold()):
            return code
    return text


def label(enum_class: type[StrEnum], value: str | None, words=str) -> str:
    """Return the translated label of a stored value (the value itself if unknown).

    `words` translates the lazy label (a caller writing many may remember each one).
    """
    if value is None:
        return ""
    try:
        return words(LABELS[enum_class][enum_class(value)])
    except ValueError:
        return value


def check_in(column: str, enum_class: type[StrEnum]) -> str:
    """Return a SQL CHECK expression limiting a column to the enum's values."""
    values = ", ".join(f"'{member.value}'" for member in enum_class)
    return f"{column} IN ({values})"
