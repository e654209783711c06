"""My day's block for the head: the leads left unanswered past the head's limit."""

from flask import current_app, g

from app.extensions import db
from app.formatting import minutes_text
from app.models.inbox_item import InboxSource, inbox_label
from app.models.mixins import local_now
from app.services.queries import speed_to_lead


def leads_waiting() -> dict | None:
    """Return the waiting leads for the logged-in head's block (None for anyone else)."""
    user = g.user
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    now = local_now()
    limit = current_app.config.get("CRM_LEAD_ALERT_MINUTES",
                                   speed_to_lead.DEFAULT_ALERT_MINUTES)
    waiting = speed_to_lead.waiting_leads(db.session, user, now, limit)
    if waiting is None:
        return None
    return {
        "waiting": waiting,
        "waited": lambda item: minutes_text(speed_to_lead.minutes_waited(item, now)),
        "source": lambda item: inbox_label(InboxSource, item.source),
    }
