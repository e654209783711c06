"""Count how often a deal's expected close date moved from one date to another.

The history records every change of the field (app/services/rules/history.py); the
forecast warns about deals whose date moved three times or more, and reads that from a
counter on the deal, kept here by an update hook in the same transaction as the change,
instead of parsing the history of every open deal at each view.
"""

from sqlalchemy import event, inspect

from app.models import Deal

WARN_AT = 3  # moves of the expected close date that the forecast warns about


def moved(deal: Deal) -> bool:
    """Tell whether this flush moves the deal's expected close date from one date to another."""
    history = inspect(deal).attrs.expected_close_date.history
    if not history.has_changes():
        return False
    old = history.deleted[0] if history.deleted else None
    new = history.added[0] if history.added else None
    return old is not None and new is not None and old != new


def count_move(_mapper, _connection, deal: Deal) -> None:
    """Add one to the deal's counter when its expected close date moves (before_update)."""
    if moved(deal):
        deal.close_date_moves = (deal.close_date_moves or 0) + 1


def install() -> None:
    """Attach the counting hook to the deals' updates (idempotent)."""
    if not event.contains(Deal, "before_update", count_move):
        event.listen(Deal, "before_update", count_move)
