"""Formatters turning stored values into what the user reads in lists and show pages."""

from flask_babel import gettext as _
from markupsafe import Markup

from app import formatting
from app.models.enums import ClientStatus, MoveState, StageKind, TaskState, TaskType, label
from app.models.mixins import local_now


def status(value) -> str:
    return label(ClientStatus, value)


def stage_kind(value) -> str:
    return label(StageKind, value)


def task_type(value) -> str:
    return label(TaskType, value)


def task_state(value) -> str:
    return label(TaskState, value)


def move_state(value) -> str:
    return label(MoveState, value)


def next_task(value) -> str:
    """The next task's date and time; an overdue one marked red (exported as plain text)."""
    text = formatting.datetime_text(value)
    if value is None or value >= local_now():
        return text
    return Markup('<span class="text-danger crm-overdue" title="%s">%s</span>') % (
        _("Overdue"), text)


COMMON = {
    "created_at": formatting.datetime_text,
    "changed_at": formatting.datetime_text,
    "birthday": formatting.date_text,
    "expected_close_date": formatting.date_text,
    "closed_at": formatting.datetime_text,
    "due_at": formatting.datetime_text,
    "done_at": formatting.datetime_text,
    "archived_at": formatting.datetime_text,
    "next_task_at": next_task,
    "status": status,
    "kind": stage_kind,
    "type": task_type,
    "state": task_state,
    # People: the user's name in the reader's order (Russian: last name first).
    "owner": formatting.person_name,
    "from_user": formatting.person_name,
    "to_user": formatting.person_name,
    "actor": formatting.person_name,
    "created_by": formatting.person_name,
    "changed_by": formatting.person_name,
}


def amount(value) -> str:
    """The amount with the locale's grouping and two decimals (currency shown beside)."""
    return formatting.amount_text(value)


COMMON["amount"] = amount
