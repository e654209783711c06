"""Flask-Babel finds the request's language through app/babel_context.py: the same answers."""

import threading

import flask_babel
from flask_babel import force_locale, gettext, refresh


def test_outside_an_app_context_nothing_is_translated():
    # A new thread starts with no app context (the tests' own is this thread's).
    seen = []
    thread = threading.Thread(
        target=lambda: seen.append((flask_babel.get_locale(), gettext("Speed to lead"))))
    thread.start()
    thread.join()
    assert seen == [(None, "Speed to lead")]


def _request(app, language: str):
    """Return a request asking for the language (in the app context opened around it)."""
    return app.test_request_context("/", headers={"Accept-Language": language})


def test_each_app_context_has_its_own_language(app):
    # Each request in an app context of its own: its own `g`.
    with app.app_context(), _request(app, "ru"):
        assert str(flask_babel.get_locale()) == "ru"
        assert gettext("Speed to lead") == "Скорость ответа на лиды"
        with force_locale("en"):
            assert gettext("Speed to lead") == "Speed to lead"
        assert gettext("Speed to lead") == "Скорость ответа на лиды"
    with app.app_context(), _request(app, "en"):
        assert gettext("Speed to lead") == "Speed to lead"


def test_a_refresh_asks_for_the_language_again(app, monkeypatch):
    with app.app_context(), _request(app, "ru"):
        assert gettext("Speed to lead") == "Скорость ответа на лиды"
        monkeypatch.setattr(app.extensions["babel"], "locale_selector", lambda: "en")
        refresh()
        assert gettext("Speed to lead") == "Speed to lead"
