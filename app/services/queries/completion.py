"""What the complete dialog shows beside its form: whom to call, what was said, when next."""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models import Company, Contact, Task
from app.models.enums import TaskState
from app.services.rules.visibility import can_see, scope_query

# The quick choices of the next task's date: days ahead, or months ahead.
QUICK_DUES = (("1d", 1, 0), ("3d", 3, 0), ("1w", 7, 0), ("1m", 0, 1))


@dataclass(frozen=True)
class Phone:
    """A number to call: as written, and as a tel: link dials it."""

    text: str
    dial: str
    whose: str


def client_of(task: Task):
    """Return the task's client: its company, its private contact, or its deal's client."""
    if task.company is not None:
        return task.company
    if task.contact is not None and task.contact.company_id is None:
        return task.contact
    if task.deal is not None:
        return task.deal.company or task.deal.contact
    return None


def add_months(moment: datetime, months: int) -> datetime:
    """Return the same day `months` later, the month's last day if it is shorter."""
    month_index = moment.month - 1 + months
    year, month = moment.year + month_index // 12, month_index % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def quick_dues(now: datetime, task_due: datetime) -> list[tuple[str, datetime]]:
    """Return (code, due time) of each quick choice: from today, at the task's time of day."""
    today_at_task_time = now.replace(hour=task_due.hour, minute=task_due.minute,
                                     second=0, microsecond=0)
    return [(code, add_months(today_at_task_time + timedelta(days=days), months))
            for code, days, months in QUICK_DUES]


def dial_string(text: str | None) -> str:
    """Return what a tel: link dials: the digits, with a leading + kept."""
    text = (text or "").strip()
    digits = "".join(char for char in text if char.isdigit())
    return f"+{digits}" if text.startswith("+") and digits else digits


def phones_of(task: Task, viewer) -> list[Phone]:
    """Return the numbers to call about the task: the client's, then the contact's.

    Only records the viewer may see are read; a number is listed once.
    """
    found: list[Phone] = []
    people = [client_of(task), task.contact]
    for record in people:
        if record is None or not can_see(record, viewer):
            continue
        numbers = [record.phone] if isinstance(record, Company) else (
            [record.phone, record.mobile_phone] if isinstance(record, Contact) else [])
        for number in numbers:
            dial = dial_string(number)
            if dial and all(phone.dial != dial for phone in found):
                found.append(Phone(text=number.strip(), dial=dial, whose=str(record)))
    return found


def recent_results(session: Session, viewer, task: Task, limit: int = 3) -> list[Task]:
    """Return the client's last done tasks with a result, newest first (those the viewer sees).

    Read through the client's (link, state) index: a client has few done tasks.
    """
    client = client_of(task)
    if client is None or not can_see(client, viewer):
        return []
    link = Task.company_id if isinstance(client, Company) else Task.contact_id
    query = select(Task).where(link == client.id, Task.state == TaskState.DONE.value,
                               Task.result.is_not(None), Task.id != task.id)
    query = scope_query(query, Task, viewer)
    return list(session.scalars(
        query.order_by(Task.done_at.desc(), Task.id.desc()).limit(limit)))
