"""The counters in the menu bar: new leads, overdue, today's, the queue without a next task."""

import time

from flask import g, request, session

from app.extensions import db
from app.models.mixins import local_now
from app.services.queries import agenda
from app.services.queries import inbox as inbox_queries
from app.services.queries.menu_counts import TASK_COUNT_CAP, menu_counts

# The queue count scans the user's live records: keep it for a while in the session,
# and forget it whenever the user changes something.
QUEUE_COUNT_SECONDS = 120
_SESSION_KEY = "crm_queue_count"


def queue_count_kept(user) -> int:
    """Return the user's queue count, kept in the session for a while."""
    cached = session.get(_SESSION_KEY)
    now = time.time()
    if cached and cached[2] == user.id and now - cached[1] < QUEUE_COUNT_SECONDS:
        return cached[0]
    count = agenda.queue_count(db.session, user)
    session[_SESSION_KEY] = (count, now, user.id)
    return count


def menu_counters() -> dict | None:
    """Return the logged-in user's counters, computed once per request."""
    user = getattr(g, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if "crm_counters" not in g:
        # The overdue and today's counters stop at TASK_COUNT_CAP and say "100+".
        counts = menu_counts(db.session, user, local_now(), cap=TASK_COUNT_CAP)
        counts["task_cap"] = TASK_COUNT_CAP
        counts["queue"] = queue_count_kept(user)
        counts["queue_cap"] = agenda.QUEUE_CAP
        counts["inbox_cap"] = inbox_queries.COUNT_CAP + 1
        g.crm_counters = counts
    return g.crm_counters


def forget_queue_count_on_change() -> None:
    """Drop the kept queue count when the request may change records (a before_request)."""
    if request.method in ("POST", "PUT", "DELETE") and _SESSION_KEY in session:
        session.pop(_SESSION_KEY)
