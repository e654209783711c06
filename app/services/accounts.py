"""Rules on logging in and passwords: lockout after failed logins, password strength.

The time of the last failed login is kept in the user's `changed_on` (FAB's user table
has no column of its own for it and never updates `changed_on` itself).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l

from app.services.errors import DomainError

MIN_PASSWORD_LENGTH = 10


@dataclass(frozen=True)
class LockoutPolicy:
    """How many consecutive failed logins lock an account, and for how many minutes."""

    attempts: int = 10
    minutes: int = 15


def locked_until(user, policy: LockoutPolicy, now: datetime) -> datetime | None:
    """Return when the user's lock ends, or None when the account may log in now."""
    if policy.attempts <= 0 or (user.fail_login_count or 0) < policy.attempts:
        return None
    if user.changed_on is None:
        return None
    until = user.changed_on + timedelta(minutes=policy.minutes)
    return until if until > now else None


def reached_attempts(user, policy: LockoutPolicy) -> bool:
    """Return whether the user's consecutive failed logins reached the policy's limit."""
    return policy.attempts > 0 and (user.fail_login_count or 0) >= policy.attempts


def minutes_left(until: datetime, now: datetime) -> int:
    """Return the whole minutes until `until`, at least one."""
    return max(1, -(-int((until - now).total_seconds()) // 60))


def unlock(user) -> None:
    """End the user's lock: the count of failed logins starts again from zero."""
    user.fail_login_count = 0


def check_password(password: str | None, username: str | None = None) -> None:
    """Refuse a weak password.

    :raise DomainError: when the password is shorter than 10 characters, lacks a letter
        or a digit, or contains the username.
    """
    password = password or ""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("The password must be at least %(num)d characters long.", num=MIN_PASSWORD_LENGTH),
            "password",
        )
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise DomainError(_l("The password must contain both letters and digits."), "password")
    name = (username or "").strip().casefold()
    if len(name) >= 3 and name in password.casefold():
        raise DomainError(_l("The password must not contain the user name."), "password")
