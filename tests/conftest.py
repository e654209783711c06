"""Fixtures: a fresh database per run (SQLite or PostgreSQL), the app, a client, builders.

CRM_TEST_DB=sqlite (default) or CRM_TEST_DB=postgresql chooses the database; PostgreSQL
runs get their own database on CRM_TEST_PG (127.0.0.1:5432, user postgres), dropped after.
"""

import os
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import create_engine, text

from config import TestConfig

PG_SERVER = os.environ.get("CRM_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")
BUSINESS_TABLES = ("history", "reassignment", "task", "deal", "contact", "company")
PASSWORD = "Secret-password-1"
# The real-browser fixtures (live_server, browser, watch, new_page, page), once per run.
pytest_plugins = ["tests.browser"]


def _database_kind() -> str:
    return os.environ.get("CRM_TEST_DB", "sqlite")


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """Create a throw-away database for this run and drop it at the end."""
    if _database_kind() == "postgresql":
        name = f"crm_test_{uuid.uuid4().hex[:12]}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield f"{PG_SERVER}/{name}"
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    else:
        yield "sqlite:///" + str(tmp_path_factory.mktemp("db") / "crm.sqlite")


def make_config(database_url: str, **overrides):
    """Return a test config object pointing at the run's database."""
    config = TestConfig()
    config.SQLALCHEMY_DATABASE_URI = database_url
    for key, value in overrides.items():
        setattr(config, key, value)
    return config


@pytest.fixture(scope="session")
def _compiled_catalogues():
    """Compile the translation catalogues first when they are missing or stale.

    The app caches its catalogues when it is created, so this must run before it.
    """
    from tests.test_translations import compile_catalogues

    compile_catalogues()


@pytest.fixture(scope="session")
def app(database_url, _compiled_catalogues):
    """The CRM app on a database upgraded by the migrations and prepared once."""
    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.setup import prepare_database

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
        for table in BUSINESS_TABLES:
            db.session.execute(text(f"DELETE FROM {table}"))
        db.session.execute(text("DELETE FROM stage WHERE code IS NULL"))
        db.session.execute(text("DELETE FROM ab_user_role"))
        db.session.execute(text("DELETE FROM ab_user"))
        db.session.commit()
        db.session.remove()
    if stale:
        pytest.fail("next_task_at is not the earliest planned task: " + "; ".join(stale))


def _stale_next_task_dates(session) -> list[str]:
    """Name every company, contact and deal whose stored next task date is wrong."""
    from sqlalchemy import select

    from app.services.next_task import LINKS, earliest_planned

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
                    deal=deal, due_at=fields.pop("due_at", datetime.now() + timedelta(days=1)),
                    type=fields.pop("type", "call"), state=fields.pop("state", "planned"),
                    **fields)
        session.add(task)
        session.commit()
        return task

    return build
