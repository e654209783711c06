"""Fixtures: a fresh database per run (SQLite or PostgreSQL), the app, a client, builders.

CRM_TEST_DB=sqlite (default) or CRM_TEST_DB=postgresql chooses the database; PostgreSQL
runs get their own database on CRM_TEST_PG (127.0.0.1:5432, user postgres), dropped after.
Tests marked `postgresql_only` or `sqlite_only` are deselected on the other database.
Plain helpers (PASSWORD, make_config, require, api_login...) live in tests/helpers*.py.
"""

import logging
import socket
import uuid
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest
from sqlalchemy import create_engine, text

import tests.team_clock  # noqa: F401  (sets the team's zone before the app reads it)
from app.models.mixins import local_now
from app.services.rules.search_keys import stamp_keys
from tests.helpers import ON_POSTGRESQL, PASSWORD, PG_SERVER, count_statements, make_config, require
from tests.helpers_catalogues import compile_catalogues

BUSINESS_TABLES = ("sales_plan", "history", "reassignment", "task", "inbox_item", "deal",
                   "contact", "company", "task_done_day", "deal_closed_month",
                   "client_created_month", "key_holders")
# The real-browser fixtures (live_server, browser, watch, new_page, page), once per run.
pytest_plugins = ["tests.browser"]
DATABASE_MARKERS = {
    "postgresql_only": "runs on the PostgreSQL pass only (deselected on SQLite)",
    "sqlite_only": "runs on the SQLite pass only (deselected on PostgreSQL)",
}


def pytest_configure(config):
    for name, meaning in DATABASE_MARKERS.items():
        config.addinivalue_line("markers", f"{name}(reason): {meaning}")


def pytest_collection_modifyitems(config, items):
    """Deselect the tests that are about the other database, instead of skipping them."""
    other = "sqlite_only" if ON_POSTGRESQL else "postgresql_only"
    wrong = [item for item in items if item.get_closest_marker(other)]
    if wrong:
        config.hook.pytest_deselected(items=wrong)
        items[:] = [item for item in items if not item.get_closest_marker(other)]


def _reachable(url: str) -> bool:
    address = urlparse(url)
    try:
        socket.create_connection((address.hostname, address.port or 5432), timeout=3).close()
    except OSError:
        return False
    return True


def _new_postgresql_database(prefix: str) -> tuple[str, object]:
    """Create an empty PostgreSQL database; return its URL and the server's engine."""
    require("PostgreSQL", _reachable(PG_SERVER), f"CRM_TEST_DB=postgresql needs {PG_SERVER}")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    server = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    return f"{PG_SERVER}/{name}", server


def _drop_postgresql_database(url: str, server) -> None:
    name = url.rsplit("/", 1)[1]
    with server.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    server.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Create a throw-away database for this run and drop it at the end."""
    if ON_POSTGRESQL:
        url, server = _new_postgresql_database("crm_test")
        yield url
        _drop_postgresql_database(url, server)
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "crm.sqlite")


@pytest.fixture
def empty_database_url(tmp_path):
    """A database with nothing in it, of the kind this run tests (dropped afterwards)."""
    if not ON_POSTGRESQL:
        yield f"sqlite:///{tmp_path / 'empty.sqlite'}"
        return
    url, server = _new_postgresql_database("crm_empty")
    try:
        yield url
    finally:
        _drop_postgresql_database(url, server)


def _closed(application) -> None:
    from app.extensions import db

    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def fresh_app(empty_database_url):
    """A second CRM app on the empty database; its engine is closed afterwards."""
    from app import create_app

    application = create_app(make_config(empty_database_url))
    yield application
    _closed(application)


@pytest.fixture
def guarded_app(database_url):
    """The CRM as deployed: CSRF protection on (the test config turns it off)."""
    from app import create_app

    application = create_app(make_config(database_url, WTF_CSRF_ENABLED=True))
    yield application
    _closed(application)


@pytest.fixture
def json_logs():
    """Give back the root logger as it was after an app set up its JSON logs."""
    root = logging.getLogger()
    level, handlers = root.level, list(root.handlers)
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture
def statements(app):
    """Count the SQL statements run while the block runs: `with statements() as seen:`."""
    from app.extensions import db

    @contextmanager
    def watch():
        with app.app_context():
            engine = db.engine
        with count_statements(engine) as seen:
            yield seen

    return watch


@pytest.fixture
def measure(client, statements):
    """Return how many statements a GET of the page runs (after one warm-up request)."""

    def run(url: str) -> int:
        assert client.get(url).status_code == 200, url
        with statements() as seen:
            response = client.get(url)
        assert response.status_code == 200, url
        return len(seen)

    return run


@pytest.fixture(scope="session")
def _compiled_catalogues():
    """Compile the translation catalogues first when they are missing or stale.

    The app caches its catalogues when it is created, so this must run before it.
    """
    compile_catalogues()


@pytest.fixture(scope="session")
def app(database_url, _compiled_catalogues):
    """The CRM app on a database upgraded by the migrations and prepared once."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.rules.setup import prepare_database

    application = create_app(make_config(database_url))
    with application.app_context():
        upgrade()
        prepare_database(application.appbuilder, db.session)
        db.session.remove()
    yield application
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(autouse=True)
def _clean_database(app):
    """Give each test empty business tables and only the seeded stages and roles."""
    from app.extensions import db

    with app.app_context():
        yield
        db.session.rollback()
        stale = _stale_next_task_dates(db.session)
        # Merged records point at the kept ones in the same table: unhook them first.
        for table in ("company", "contact"):
            db.session.execute(text(f"UPDATE {table} SET merged_into_id = NULL "
                                    f"WHERE merged_into_id IS NOT NULL"))
        stale += _stale_summaries(db.session)
        for table in BUSINESS_TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.execute(text("DELETE FROM stage WHERE code IS NULL"))
        # The lead rotation starts anew with each test's managers.
        db.session.execute(text("UPDATE intake_turn SET last_user_id = NULL"))
        db.session.execute(text("DELETE FROM ab_user_role"))
        db.session.execute(text("DELETE FROM ab_user"))
        db.session.commit()
        db.session.remove()
        # Users went behind the ORM's back: forget what was rendered for them.
        if "crm_kept_parts" in app.extensions:
            app.extensions["crm_kept_parts"].clear()
    if stale:
        pytest.fail("next_task_at or a chart's summary is not what the records say: "
                    + "; ".join(stale))


def _stale_summaries(session) -> list[str]:
    """Name every summary row (done tasks, closed deals, new clients) the records contradict."""
    from app.services.rules.summaries import differences

    return differences(session)


def _stale_next_task_dates(session) -> list[str]:
    """Name every company, contact and deal whose stored next task date is wrong."""
    from sqlalchemy import select

    from app.services.rules.next_task import LINKS, earliest_planned

    stale = []
    for model in LINKS:
        computed = earliest_planned(model)
        rows = session.execute(
            select(model.id, model.next_task_at, computed).where(
                model.next_task_at.is_distinct_from(computed))
        )
        stale += [f"{model.__tablename__} {row_id}: stored {stored}, expected {expected}"
                  for row_id, stored, expected in rows]
    return stale


@pytest.fixture
def session(app):
    from app.extensions import db

    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def make_user(app, session):
    """Build a user with a role: make_user("Manager", "anna")."""
    counter = {"n": 0}

    def build(role: str = "Manager", username: str | None = None, active: bool = True):
        counter["n"] += 1
        username = username or f"{role.lower()}{counter['n']}"
        sm = app.appbuilder.sm
        user = sm.add_user(
            username, username.capitalize(), "Test", f"{username}@example.com",
            sm.find_role(role), PASSWORD,
        )
        assert user, f"could not create user {username}"
        if not active:
            user.active = False
            session.commit()
        return user

    return build


@pytest.fixture
def login(client, make_user):
    """Log the client in as a new user of the role and return that user."""

    def do_login(role: str = "Manager", username: str | None = None, user=None):
        user = user or make_user(role, username)
        client.post("/logout/")
        response = client.post(
            "/login/", data={"username": user.username, "password": PASSWORD}
        )
        assert response.status_code == 302, "login failed"
        return user

    return do_login


def _stage(session, code: str):
    from app.models import Stage

    return session.query(Stage).filter_by(code=code).one()


@pytest.fixture
def stage(session):
    return lambda code="cold": _stage(session, code)


@pytest.fixture
def make_company(session):
    from app.models import Company

    def build(owner, name: str = "ООО Ромашка", **fields):
        company = Company(name=name, owner_id=owner.id, status=fields.pop("status", "active"),
                          **fields)
        stamp_keys(company)  # as the write path sets them
        session.add(company)
        session.commit()
        return company

    return build


@pytest.fixture
def make_contact(session):
    from app.models import Contact

    def build(owner, last_name: str = "Иванов", company=None, **fields):
        status = fields.pop("status", None if company else "active")
        contact = Contact(last_name=last_name, owner_id=owner.id, company=company,
                          status=status, **fields)
        stamp_keys(contact)  # as the write path sets them
        session.add(contact)
        session.commit()
        return contact

    return build


@pytest.fixture
def make_deal(session, stage):
    from app.models import Deal

    def build(owner, company=None, contact=None, title: str = "Поставка", **fields):
        deal = Deal(title=title, owner_id=owner.id, company=company, contact=contact,
                    stage=fields.pop("stage", None) or stage("cold"),
                    amount=fields.pop("amount", Decimal("1000.00")), **fields)
        stamp_keys(deal)  # as the write path sets them
        session.add(deal)
        session.commit()
        return deal

    return build


@pytest.fixture
def make_task(session):
    from app.models import Task

    def build(owner, company=None, contact=None, deal=None, subject: str = "Позвонить",
              **fields):
        if fields.get("state") == "done":
            fields.setdefault("done_by_id", owner.id)  # as the services stamp it
        task = Task(subject=subject, owner_id=owner.id, company=company, contact=contact,
                    deal=deal, due_at=fields.pop("due_at", local_now() + timedelta(days=1)),
                    type=fields.pop("type", "call"), state=fields.pop("state", "planned"),
                    **fields)
        session.add(task)
        session.commit()
        return task

    return build


@pytest.fixture(scope="session")
def imap_server():
    """A private Dovecot on a loopback port, for the tests that read a real mailbox."""
    from tests.helpers_imap import running_imap_server

    with running_imap_server() as server:
        yield server


@pytest.fixture
def mailbox(imap_server):
    """The settings of an emptied test mailbox (plain IMAP on loopback)."""
    from app.services.io.mailbox import MailboxSettings

    imap_server.empty()
    return MailboxSettings(host=imap_server.host, port=imap_server.port,
                           user=imap_server.user, password=imap_server.password, ssl=False)
