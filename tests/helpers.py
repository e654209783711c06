"""Plain helpers shared by the test modules; tests/conftest.py holds the fixtures.

Test modules import from here (and from helpers_*.py), never from one another.
"""

import html
import importlib
import os
import re
import threading
import time
from contextlib import contextmanager
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic.script import ScriptDirectory
from flask_babel import gettext
from sqlalchemy import event

from app.models.mixins import local_now
from config import TestConfig

PG_SERVER = os.environ.get("CRM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
ON_POSTGRESQL = os.environ.get("CRM_TEST_DB", "sqlite") == "postgresql"
# Under CI a missing component fails the test that needs it; on a laptop it skips.
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PASSWORD = "Secret-password-1"
# Planned tasks are due from now on: a month ahead at 10:00 and 15:30 of the app's clock.
DUE = (local_now() + timedelta(days=30)).replace(hour=10, minute=0, second=0, microsecond=0)
LATER = DUE.replace(hour=15, minute=30) + timedelta(days=1)
NEXT_TASK = {"type": "call", "subject": "Первый звонок", "due_at": DUE.isoformat()}
ERROR_BLOCK = re.compile(r'<div class="alert alert-danger">(.*?)</div>', re.S)


def with_team_offset(moment: datetime) -> str:
    """Return a naive moment of the app's clock as an API client sends it: with its offset."""
    return moment.replace(tzinfo=ZoneInfo(os.environ["CRM_TIMEZONE"])).isoformat()


def server_now() -> datetime:
    """Return the server's local time: FAB and the login checks stamp user accounts with it.

    Records (companies, tasks...) use the team's clock instead: `local_now()`.
    """
    return datetime.now()


def require(component: str, available: bool, why: str) -> None:
    """Stop the test when `component` is missing: a failure under CI=true, else a skip."""
    if available:
        return
    message = f"{component} is missing: {why}"
    if IN_CI:
        pytest.fail(f"{message} (CI installs every component the tests need)")
    pytest.skip(message)


def require_module(component: str, module: str, why: str):
    """Import and return `module`, or stop the test as require() does when it is missing."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        require(component, False, f"{why} ({error})")


def make_config(database_url: str, **overrides) -> TestConfig:
    """Return a test config object pointing at the database."""
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@contextmanager
def count_statements(engine, with_parameters: bool = False):
    """Collect the SQL statements the engine runs inside the block: `with ... as seen:`.

    With `with_parameters`, each is a (statement, parameters) pair, to explain it later.
    """
    seen: list = []

    def note(_connection, _cursor, statement, parameters, *_args):
        seen.append((statement, parameters) if with_parameters else statement)

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def api_login(client, user) -> dict[str, str]:
    """Log the user in through /api/v1/security/login; return the Authorization header."""
    response = client.post("/api/v1/security/login", json={
        "username": user.username, "password": PASSWORD, "provider": "db", "refresh": True,
    })
    assert response.status_code == 200, response.json
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def head_revision(application) -> str:
    """Return the newest migration revision of the app."""
    migrate = application.extensions["migrate"]
    return ScriptDirectory(migrate.directory).get_current_head()


def csrf_token(page: str) -> str:
    """Return the CSRF token of the page's form."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', page
    )
    assert match, "the page has no CSRF token"
    return match.group(1)


def shown(app, message_id: str) -> str:
    """The message as a user with the default language reads it."""
    with app.test_request_context("/"):
        return gettext(message_id)


def field_errors(page: str, field: str) -> list[str]:
    """Return the error texts rendered in the form row of `field`."""
    match = re.search(rf'<(input|select|textarea)[^>]*\bname="{field}"', page)
    assert match, f"the form has no field {field!r}"
    row_end = page.find("</td>", match.end())
    row = page[match.end():row_end]
    return [html.unescape(" ".join(text.split())) for text in ERROR_BLOCK.findall(row)]


def field_value(page: str, field: str) -> str | None:
    """Return the value the form's input `field` shows, or None."""
    match = re.search(rf'<input[^>]*\bname="{field}"[^>]*>', page)
    assert match, f"the form has no input {field!r}"
    value = re.search(r'\bvalue="([^"]*)"', match.group(0))
    return html.unescape(value.group(1)) if value else None


def count(session, model) -> int:
    """Count the model's rows as the database has them now."""
    session.expire_all()
    return session.query(model).count()


def api_login_as(client, username: str, password: str, language: str = "ru"):
    """Post an API login with these words, in this language."""
    return client.post(f"/api/v1/security/login?_l_={language}", json={
        "username": username, "password": password, "provider": "db"})


def in_parallel(app, count: int, attempt) -> list:
    """Run `attempt(client)` in `count` threads released at the same moment."""
    barrier = threading.Barrier(count)
    answers: list = []

    def run() -> None:
        client = app.test_client()
        barrier.wait()
        answers.append(attempt(client))

    threads = [threading.Thread(target=run) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


FIRST_CALL_URL = "/first-call/"


def first_call_form(**changes) -> dict:
    """Return the new-client-from-a-call form as a manager fills it in, with changes."""
    due = (local_now() + timedelta(days=7)).replace(hour=10, minute=0)
    data = {
        "kind": "company", "client_name": "ООО Вектор", "client_phone": "+7 495 123-45-67",
        "client_email": "info@vektor.example", "client_inn": "7707083893",
        "contact_last_name": "Смирнова", "contact_first_name": "Анна",
        "contact_middle_name": "Петровна", "contact_position": "Закупки",
        "contact_phone": "+7 916 123-45-67", "contact_email": "anna@vektor.example",
        "contact_birthday": "1985-05-17", "deal_title": "Поставка бумаги",
        "deal_amount": "150 000", "deal_stage": "", "call_result": "Просит предложение",
        "next_type": "call", "next_subject": "Перезвонить по предложению",
        "next_due_at": due.strftime("%Y-%m-%dT%H:%M"),
    }
    data.update(changes)
    return data


# How long a test waits for a reassignment started from the screen to end (seconds).
MOVE_WAIT_SECONDS = 30


def wait_for_move(client, response) -> str:
    """Open the page a confirmed reassignment led to until it no longer says the move is
    under way (it runs in the background); return that page's HTML."""
    assert response.status_code == 302, response.status_code
    address = response.headers["Location"]
    assert "/reassignmentview/show/" in address, address
    deadline = time.monotonic() + MOVE_WAIT_SECONDS
    while True:
        page = client.get(address)
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        if 'http-equiv="refresh"' not in html:
            return html
        assert time.monotonic() < deadline, "the move never ended"
        time.sleep(0.05)


def break_the_move_of(monkeypatch, kind: str = "deals"):
    """Make every reassignment fail when it reaches the records of the kind; return the
    real move function, to put back."""
    from app.services.rules import reassignment

    real_move = reassignment._move

    def failing_move(session, move, *args):
        if move.kind == kind:
            raise RuntimeError("disk full")
        return real_move(session, move, *args)

    monkeypatch.setattr(reassignment, "_move", failing_move)
    return real_move
