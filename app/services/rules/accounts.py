"""Rules on logging in and passwords: lockout, password strength, ending sessions.

The time of the last failed login is kept in the user's `changed_on` (FAB's user table
has no column of its own for it and never updates `changed_on` itself). Logins and failed
logins are counted by the database itself (one UPDATE ... RETURNING), so parallel attempts
cannot overwrite each other's count.

Every session cookie and API token carries the user's session version; raising it
(`end_sessions`) ends all of them at once, in every process and on every host.
"""

import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.security import check_password_hash

from app.models import User, UserProfile
from app.services.errors import DomainError

MIN_PASSWORD_LENGTH = 10
# The longest login FAB's user table can hold (an e-mail address).
MAX_LOGIN_NAME = 320


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


def unlock(user) -> None:
    """End the user's lock: the count of failed logins starts again from zero."""
    user.fail_login_count = 0


def could_log_in_with(username, password) -> bool:
    """Return whether a login's name and password could belong to an account at all.

    A name longer than any stored name or e-mail, or holding a control character (NUL
    included) or half of a surrogate pair, and a password that is not text, are refused
    before the database or the hash sees them: PostgreSQL rejects NUL in a query and
    hashing cannot encode a lone surrogate.
    """
    if not isinstance(username, str) or not isinstance(password, str):
        return False
    if not username or len(username) > MAX_LOGIN_NAME:
        return False
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in username):
        return False
    return not any(unicodedata.category(ch) == "Cs" for ch in password)


def count_failed_login(session: Session, user, now: datetime) -> int:
    """Add one failed login to the user's count in the database; return the new count.

    The caller commits. The user object gets the stored values without being marked
    changed, so a later flush of it cannot write an older count back.
    """
    count, = session.execute(
        update(User).where(User.id == user.id)
        .values(fail_login_count=func.coalesce(User.fail_login_count, 0) + 1, changed_on=now)
        .returning(User.fail_login_count)
        .execution_options(synchronize_session=False)
    ).one()
    _set_loaded(user, fail_login_count=count, changed_on=now)
    return count


def count_login(session: Session, user, now: datetime) -> int:
    """Add one successful login to the user's count in the database; return the new count.

    The login also stamps `last_login` and ends the run of failed logins. The caller
    commits; like `count_failed_login`, parallel logins cannot write back an older count.
    """
    count, = session.execute(
        update(User).where(User.id == user.id)
        .values(login_count=func.coalesce(User.login_count, 0) + 1, last_login=now,
                fail_login_count=0)
        .returning(User.login_count)
        .execution_options(synchronize_session=False)
    ).one()
    _set_loaded(user, login_count=count, last_login=now, fail_login_count=0)
    return count


def restart_expired_lock(session: Session, user, policy: LockoutPolicy, now: datetime) -> None:
    """Give a user whose lock is over a full set of attempts again; the caller commits.

    Only a count still at the limit with its last failure older than the lock is reset,
    so failures other requests counted meanwhile are never wiped out.
    """
    cutoff = now - timedelta(minutes=policy.minutes)
    done = session.execute(
        update(User)
        .where(User.id == user.id, User.fail_login_count >= policy.attempts,
               User.changed_on <= cutoff)
        .values(fail_login_count=0)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount:
        _set_loaded(user, fail_login_count=0)


def end_sessions(session: Session, user) -> int:
    """End every session cookie and API token of the user; return the new session version.

    Used by logging out, a new password and deactivation. The caller commits.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(UserProfile).values(user_id=user.id, session_version=1)
    version = session.execute(
        statement.on_conflict_do_update(
            index_elements=[UserProfile.user_id],
            set_={"session_version": UserProfile.session_version + 1},
        ).returning(UserProfile.session_version)
        .execution_options(synchronize_session=False)
    ).scalar_one()
    user.crm_session_version = version
    return version


def check_current_password(user, password: str | None) -> None:
    """Refuse a wrong current password when the user changes their own.

    :raise DomainError: naming the field `current_password`.
    """
    if not password or not user.password or not check_password_hash(user.password, password):
        raise DomainError(_l("The current password is wrong."), "current_password")


def _set_loaded(user, **values) -> None:
    for name, value in values.items():
        set_committed_value(user, name, value)


def check_password(password: str | None, username: str | None = None) -> None:
    """Refuse a weak password.

    :raise DomainError: when the password has fewer than 10 characters besides spaces,
        holds a control character (NUL included) or half of a surrogate pair, lacks a
        letter or a digit, or contains the username.
    """
    password = password or ""
    # Categories Cc (control, NUL included), Cs (a lone surrogate), Co/Cn (private or
    # unassigned code points): not typeable reliably, and some break storage or logs.
    if any(unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn") for ch in password):
        raise DomainError(
            _l("The password must not contain control or invalid characters."), "password")
    if len("".join(password.split())) < MIN_PASSWORD_LENGTH:
        raise DomainError(
            _l("The password must have at least %(num)d characters besides spaces.",
               num=MIN_PASSWORD_LENGTH),
            "password",
        )
    if not any(ch.isalpha() for ch in password) or not any(ch.isdigit() for ch in password):
        raise DomainError(_l("The password must contain both letters and digits."), "password")
    name = (username or "").strip().casefold()
    if len(name) >= 3 and name in password.casefold():
        raise DomainError(_l("The password must not contain the user name."), "password")
