"""The personal calendar feed: a user's own planned tasks as iCalendar events.

The feed's address carries a secret token instead of a login, so that calendar apps
(Google, Outlook, Apple) can subscribe to it. Regenerating the token retires the old address.
"""

import re
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from flask_appbuilder.security.sqla.models import User
from flask_babel import force_locale
from flask_babel import gettext as _
from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from app.formatting import person_name
from app.models import Task, UserProfile
from app.models.task import PLANNED_OWNER_DUE_INDEX, planned_clause
from app.services.io.digest import task_links, task_title, task_url

# The window of tasks a feed carries, and its size limit (calendar apps poll it often).
FEED_PAST = timedelta(days=30)
FEED_FUTURE = timedelta(days=365)
FEED_CAP = 2000
EVENT_LENGTH = timedelta(minutes=30)
REFRESH_INTERVAL = timedelta(hours=1)
PRODUCT_ID = "-//CRM//Task calendar//EN"
TOKEN_BYTES = 32
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9_-]+")


def _new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def _profile(session: Session, user: User) -> UserProfile:
    """Return the user's profile row, creating it (not yet committed) when missing."""
    profile = session.get(UserProfile, user.id)
    if profile is None:
        profile = UserProfile(user_id=user.id)
        session.add(profile)
    return profile


def _set_token(session: Session, user: User, replace: bool) -> str:
    profile = _profile(session, user)
    if replace or not profile.calendar_token:
        profile.calendar_token = _new_token()
        session.commit()
    return profile.calendar_token


def _store_token(session: Session, user: User, replace: bool) -> str:
    """Give the user a token (a new one when `replace`) and commit; return the token."""
    try:
        return _set_token(session, user, replace)
    except IntegrityError:
        # Another request created the same profile row at the same moment: use that row.
        session.rollback()
        return _set_token(session, user, replace)


def ensure_token(session: Session, user: User) -> str:
    """Return the user's calendar token, creating the profile and token on first use.

    :raise IntegrityError: when the profile cannot be stored even on a second try.
    """
    return _store_token(session, user, replace=False)


def regenerate_token(session: Session, user: User) -> str:
    """Replace the user's calendar token; the feed's old address answers 404 from now on.

    :raise IntegrityError: when the profile cannot be stored even on a second try.
    """
    return _store_token(session, user, replace=True)


def profile_for_token(session: Session, token: str) -> UserProfile | None:
    """Return the profile whose feed this token opens; None if unknown or the user is inactive."""
    # Only a text our tokens can be is looked up (no NUL byte reaches the database).
    if not token or len(token) > 64 or not _TOKEN_CHARACTERS.fullmatch(token):
        return None
    profile = session.scalar(select(UserProfile).where(UserProfile.calendar_token == token))
    if profile is None or profile.user is None or not profile.user.active:
        return None
    return profile


def feed_tasks(session: Session, user: User, now: datetime, cap: int = FEED_CAP) -> list[Task]:
    """Return the user's own planned, not archived tasks due within the feed's window."""
    return list(
        session.scalars(
            select(Task)
            .where(
                Task.owner_id == user.id,
                planned_clause(),
                Task.due_at >= now - FEED_PAST,
                Task.due_at < now + FEED_FUTURE,
            )
            .options(
                selectinload(Task.company), selectinload(Task.contact), selectinload(Task.deal)
            )
            .order_by(Task.due_at, Task.id)
            .limit(cap)
            # As My day's lists: SQLite's own pick walked the owner's done tasks too.
            .with_hint(Task, f"INDEXED BY {PLANNED_OWNER_DUE_INDEX}", "sqlite")
        )
    )


def task_event(task: Task, zone: ZoneInfo, base_url: str, uid_domain: str) -> Event:
    """Return the task as a 30-minute event starting at its due time, in the team's zone."""
    start = task.due_at.replace(tzinfo=zone)
    url = task_url(base_url, task.id)
    event = Event()
    event.add("uid", f"task-{task.id}@{uid_domain}")
    # Without METHOD, DTSTAMP is when the information last changed (RFC 5545, 3.8.7.2).
    changed = task.changed_at.replace(tzinfo=zone)
    event.add("dtstamp", changed.astimezone(ZoneInfo("UTC")))
    event.add("dtstart", start)
    event.add("dtend", start + EVENT_LENGTH)
    event.add("summary", task_title(task))
    event.add("description", "\n".join([*task_links(task), url]))
    event.add("url", url)
    return event


def build_feed(
    session: Session,
    user: User,
    now: datetime,
    *,
    base_url: str,
    uid_domain: str,
    zone_name: str,
    language: str,
) -> bytes:
    """Return the user's task calendar as iCalendar bytes, labels in `language`.

    `now` and the tasks' due times are naive times of the team's zone `zone_name`.

    :raise zoneinfo.ZoneInfoNotFoundError: when `zone_name` is not a known time zone.
    """
    zone = ZoneInfo(zone_name)
    calendar = Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-timezone", zone_name)
    calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", REFRESH_INTERVAL)
    with force_locale(language):
        calendar.add("x-wr-calname", _("CRM tasks: %(name)s", name=person_name(user)))
        for task in feed_tasks(session, user, now):
            calendar.add_component(task_event(task, zone, base_url, uid_domain))
    calendar.add_missing_timezones(
        first_date=(now - FEED_PAST).date(), last_date=(now + FEED_FUTURE).date()
    )
    return calendar.to_ical()
