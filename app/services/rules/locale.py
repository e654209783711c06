"""The user's language: which one a request speaks, and the one each user chose last."""

from collections.abc import Iterable

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from app.models import UserProfile


def saved_locale(session: Session, user, languages: Iterable[str]) -> str | None:
    """Return the language the user chose last, or None when none (or no longer offered).

    A database that cannot answer (a failed transaction the caller still has to roll back)
    counts as no choice, so that an error page can still be shown in some language.
    """
    if user is None or getattr(user, "id", None) is None:
        return None
    try:
        profile = session.get(UserProfile, user.id)
    except SQLAlchemyError:
        return None
    locale = profile.locale if profile is not None else None
    return locale if locale in set(languages) else None


def remember_locale(session: Session, user, locale: str) -> None:
    """Store the user's choice of language in their profile and commit it.

    :raise ValueError: when the user has no id (not saved yet).
    :raise RuntimeError: when the profile row cannot be written even on a second try.
    """
    if getattr(user, "id", None) is None:
        raise ValueError("Only a saved user can remember a language.")
    for _attempt in range(2):
        profile = session.get(UserProfile, user.id)
        if profile is None:
            profile = UserProfile(user_id=user.id)
            session.add(profile)
        if profile.locale == locale:
            return
        profile.locale = locale
        try:
            session.commit()
            return
        except IntegrityError:
            # Another request created the profile meanwhile: update that one instead.
            session.rollback()
    raise RuntimeError("The language could not be saved.")


def browser_language(accept_languages, offered: Iterable[str]) -> str | None:
    """Return the offered language the browser ranks highest, matched on the primary tag.

    Werkzeug's best_match prefers any exact tag, however low its quality, to a regional
    one: for "en-US, ru;q=0.5" it answers ru. Here "en-US" counts as en, so en wins.
    """
    if not accept_languages:
        return None
    offered = set(offered)
    for value, quality in accept_languages:  # highest quality first
        primary = value.replace("_", "-").split("-")[0].lower()
        if quality > 0 and primary in offered:
            return primary
    return None


def choose_locale(
    languages: Iterable[str],
    default: str,
    *,
    argument: str | None = None,
    session_locale: str | None = None,
    profile_locale=None,
    accept_languages=None,
) -> tuple[str, str]:
    """Return (locale, where it came from) for a request, the first source that names one.

    The order: the `_l_` argument (the API), the session, the user's profile, the browser's
    Accept-Language (Russian or English only), the default. `profile_locale` and
    `accept_languages` may be callables, asked only when the sources before say nothing.
    """
    offered = list(languages)
    if argument in offered:
        return argument, "argument"
    if session_locale in offered:
        return session_locale, "session"
    saved = profile_locale() if callable(profile_locale) else profile_locale
    if saved in offered:
        return saved, "profile"
    preferred = browser_language(accept_languages, offered)
    if preferred is not None:
        return preferred, "browser"
    return (default if default in offered or not offered else offered[0]), "default"
