"""The language of each request, and the user's choice remembered across logins.

FAB's own selector reads only `?_l_=` and the session, and writes the default into the
session; ours also asks the user's profile and the browser (Accept-Language) before
falling back to BABEL_DEFAULT_LOCALE. FAB's switch (GET /lang/<locale>) keeps working:
after it, a logged-in user's choice is saved in their profile, and it is put back into
the session at the next login.
"""

import logging

from flask import current_app, has_request_context, request, session
from flask_babel import refresh
from flask_login import current_user, user_logged_in
from sqlalchemy.exc import SQLAlchemyError

from app import formatting
from app.extensions import db
from app.services.rules.locale import choose_locale, remember_locale, saved_locale

log = logging.getLogger(__name__)

# FAB's language switch: its blueprint is named after the view class.
SWITCH_ENDPOINT = "LocaleView.index"


def _languages() -> list[str]:
    return list(current_app.config.get("LANGUAGES") or [_default()])


def _default() -> str:
    return current_app.config.get("BABEL_DEFAULT_LOCALE") or "ru"


def _logged_in_user():
    user = current_user
    return user if user is not None and user.is_authenticated else None


def select_locale() -> str:
    """Return the request's language: ?_l_=, the session, the profile, the browser, default.

    A choice that did not come from `?_l_=` (one request of the API) is kept in the
    session, which FAB's language menu reads to show the current language.
    """
    if not has_request_context():
        return _default()
    languages = _languages()

    def profile_locale():
        user = _logged_in_user()
        return saved_locale(db.session, user, languages) if user is not None else None

    locale, source = choose_locale(
        languages,
        _default(),
        argument=request.args.get("_l_"),
        session_locale=session.get("locale"),
        profile_locale=profile_locale,
        accept_languages=request.accept_languages,
    )
    if source != "argument" and session.get("locale") != locale:
        session["locale"] = locale
    return locale


def forget_previous_locale() -> None:
    """Let each request choose its language anew (a first hook: app/first_hooks.py).

    Flask-Babel keeps the chosen locale in `g`; requests that share one app context
    (a test client inside `app.app_context()`, a script) would otherwise keep the first.
    """
    refresh()


def restore_on_login(_sender, user, **_extra) -> None:
    """Put the language the user chose last back into the session (a user_logged_in hook)."""
    locale = saved_locale(db.session, user, _languages())
    if locale is not None:
        session["locale"] = locale


def remember_switch(response):
    """Save the language a logged-in user switched to in their profile (an after_request).

    A database failure is logged and the switch still works for this session.
    """
    if request.endpoint != SWITCH_ENDPOINT or response.status_code >= 400:
        return response
    user = _logged_in_user()
    locale = session.get("locale")
    if user is not None and locale in _languages():
        try:
            remember_locale(db.session, user, locale)
        except (SQLAlchemyError, RuntimeError):
            db.session.rollback()
            log.exception("The language of user %s could not be saved.", user.id)
    return response


def install_locale_selection(app) -> None:
    """Make the app choose each request's language with select_locale and remember choices.

    Also adds the `crm_person` template filter, the date picker's words
    (`crm_date_locale()`), and makes FAB's user print its name by the
    same rule (a user's name in the reader's order).

    :raise RuntimeError: when Flask-Babel is not set up on the app (AppBuilder not initialised).
    """
    babel = app.extensions.get("babel")
    if babel is None or not hasattr(babel, "locale_selector"):
        raise RuntimeError("Flask-Babel must be initialised (by AppBuilder) first.")
    babel.locale_selector = select_locale
    user_logged_in.connect(restore_on_login, app)
    app.after_request(remember_switch)
    app.add_template_filter(formatting.person_name, "crm_person")
    app.add_template_global(formatting.date_picker_locale, "crm_date_locale")
    app.add_template_filter(formatting.month_text, "crm_month")
    formatting.install_user_names(app.appbuilder.sm.user_model)
