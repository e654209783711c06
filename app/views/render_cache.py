"""Parts of a page that are the same on every request for a while: rendered once, kept.

The menu's entries and a list's search form depend only on who asks (their roles, their
language) and on data that changes rarely (the menu, the users offered in a filter); yet
rendering them was a quarter of every page's time. Each process keeps them for
KEEP_SECONDS, so a change (a new user, a role's new permission) shows within that time;
the views themselves check permissions on every request as before.
"""

import time
from collections.abc import Callable, Hashable

from flask import current_app, has_app_context

KEEP_SECONDS = 60
# Keys are (part, user or role set, language): a few per user. Past this, start afresh.
MOST_KEPT = 4096


class KeptParts:
    """A small map of rendered parts that forgets each one after `seconds`."""

    def __init__(self, seconds: float = KEEP_SECONDS, most: int = MOST_KEPT) -> None:
        self._seconds = seconds
        self._most = most
        self._parts: dict[Hashable, tuple[float, object]] = {}

    def get(self, key: Hashable, make: Callable[[], object]) -> object:
        """Return the part kept under the key, made anew when missing or too old."""
        now = time.monotonic()
        kept = self._parts.get(key)
        if kept is not None and now - kept[0] < self._seconds:
            return kept[1]
        part = make()
        if len(self._parts) >= self._most:
            self._parts.clear()
        self._parts[key] = (now, part)
        return part

    def clear(self) -> None:
        """Forget every part (tests, and a change that must show at once)."""
        self._parts.clear()


def kept_parts() -> KeptParts:
    """Return the running app's kept parts (each app its own: tests make many)."""
    return current_app.extensions.setdefault("crm_kept_parts", KeptParts())


def forget_on_access_change(session, _flush_context) -> None:
    """Forget the kept parts when a flush changes users, roles or permissions (a hook)."""
    from flask_appbuilder.security.sqla.models import Permission, PermissionView, Role, User

    watched = (User, Role, PermissionView, Permission)
    for records in (session.new, session.dirty, session.deleted):
        if any(isinstance(record, watched) for record in records):
            if has_app_context():
                kept_parts().clear()
            return
