"""The menu bar's counts on every page: overdue, the rest of today, new leads, one statement.

Every page runs it, so it is one round trip to the database, not one per count; each
count is capped (the menu says "100+"), so a full book costs no more than a light one.
The statement is built once per database and scope (own leads or all) with bound
parameters: building it anew and computing its cache key took longer than running it.
On PostgreSQL its caps are written into its text (literal_execute), so that it is planned
once (app/prepared_statements.py): sent as values, the head's counts were planned anew on
every page. SQLite plans alike either way, and writing them in cost it 0.04 ms a page.
"""

from datetime import datetime

from sqlalchemy import DateTime, Integer, Select, bindparam, select
from sqlalchemy.orm import Session

from app.services.queries import agenda, inbox
from app.services.rules.visibility import sees_everything

TASK_COUNT_CAP = 100
_BUILT: dict[tuple[str, bool], Select] = {}


def menu_counts(session: Session, user, now: datetime, cap: int = TASK_COUNT_CAP) -> dict:
    """Count the user's overdue tasks, the rest of today's and the new leads."""
    _, end = agenda.day_bounds(now)
    row = session.execute(_statement(session, user), {
        "own_id": user.id, "now": now, "end": end, "cap": cap,
        "leads_cap": inbox.COUNT_CAP + 1,
    }).one()
    return {"overdue": row[0] or 0, "today": row[1] or 0, "inbox": row[2] or 0}


def _statement(session: Session, user) -> Select:
    key = (session.get_bind().dialect.name, sees_everything(user))
    statement = _BUILT.get(key)
    if statement is None:
        written = key[0] == "postgresql"
        own_id = bindparam("own_id", type_=Integer)
        overdue, today = agenda.capped_task_counts(
            session, own_id, bindparam("now", type_=DateTime),
            bindparam("end", type_=DateTime),
            bindparam("cap", type_=Integer, literal_execute=written))
        leads = inbox.new_count_query(
            user, bindparam("leads_cap", type_=Integer, literal_execute=written), own_id)
        statement = _BUILT[key] = select(overdue, today, leads)
    return statement
