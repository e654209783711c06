"""What a manager has to do: overdue and today's planned tasks."""

from datetime import datetime, timedelta

from sqlalchemy.orm import Session, selectinload

from app.models import Task
from app.models.enums import TaskState
from app.services.visibility import scope_query


def day_bounds(now: datetime) -> tuple[datetime, datetime]:
    """Return the start of today and of tomorrow for `now`."""
    start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return start, start + timedelta(days=1)


def my_tasks(session: Session, user, now: datetime, limit: int = 50) -> dict[str, list[Task]]:
    """Return the user's own planned tasks that are overdue and that are due today."""
    start, end = day_bounds(now)
    base = (
        session.query(Task)
        .filter(Task.owner_id == user.id, Task.state == TaskState.PLANNED.value)
        .options(selectinload(Task.company), selectinload(Task.contact),
                 selectinload(Task.deal))
    )
    base = scope_query(base, Task, user)
    overdue = base.filter(Task.due_at < now).order_by(Task.due_at).limit(limit).all()
    today = (
        base.filter(Task.due_at >= now, Task.due_at < end).order_by(Task.due_at)
        .limit(limit).all()
    )
    return {"overdue": overdue, "today": today}


