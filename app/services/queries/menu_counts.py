"""The menu bar's counts on every page: overdue, the rest of today, new leads, one statement.

Every page runs it, so it is one round trip to the database, not one per count; each
count is capped (the menu says "100+"), so a full book costs no more than a light one.
"""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.services.queries import agenda, inbox

TASK_COUNT_CAP = 100


def menu_counts(session: Session, user, now: datetime, cap: int = TASK_COUNT_CAP) -> dict:
    """Count the user's overdue tasks, the rest of today's and the new leads."""
    overdue, today = agenda.capped_task_counts(session, user.id, now, cap)
    row = session.execute(select(overdue, today, inbox.new_count_query(user))).one()
    return {"overdue": row[0] or 0, "today": row[1] or 0, "inbox": row[2] or 0}
