"""The counters in the menu bar: overdue, today's, and the queue without a next task."""

from flask import g

from app.extensions import db
from app.models.mixins import local_now
from app.services import agenda


def menu_counters() -> dict | None:
    """Return the logged-in user's counters, computed once per request."""
    user = getattr(g, "user", None)
    if user is None or not user.is_authenticated:
        return None
    if "crm_counters" not in g:
        counts = agenda.task_counters(db.session, user, local_now())
        counts["queue"] = agenda.queue_count(db.session, user)
        counts["queue_cap"] = agenda.QUEUE_CAP
        g.crm_counters = counts
    return g.crm_counters
