"""Setting up: the migrations build the schema the models describe, preparation is safe to
repeat, production refuses to run without a secret, each app is complete, forms are
protected against cross-site posts, and the screens speak Russian first."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_appbuilder import Model
from flask_migrate import downgrade, upgrade
from sqlalchemy import CheckConstraint, func, inspect, select, text

from app import create_app
from app.extensions import db
from app.models import Company, Stage
from app.models.indexes import is_text_index_table
from app.services.rules.setup import DEFAULT_STAGES, ROLE_NAMES, prepare_database
from config import Config, ProductionConfig
from tests.helpers import csrf_token, head_revision, make_config

# --- migrations ---------------------------------------------------------------------------


def test_the_migrations_build_an_empty_database_and_can_be_undone(fresh_app):
    expected = set(Model.metadata.tables)
    assert {"company", "contact", "deal", "task", "stage", "ab_user", "ab_role"} <= expected
    with fresh_app.app_context():
        assert inspect(db.engine).get_table_names() == []
        upgrade()
        tables = {name for name in inspect(db.engine).get_table_names()
                  if not is_text_index_table(name)}
        assert tables == expected | {"alembic_version"}
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == head_revision(fresh_app)

        # `crm init` on the new database, twice: the roles and the pipeline, once each.
        for _ in range(2):
            prepare_database(fresh_app.appbuilder, db.session)
        roles = db.session.execute(text("SELECT name FROM ab_role")).scalars().all()
        assert sorted(role for role in roles if role in ROLE_NAMES) == sorted(ROLE_NAMES)
        codes = db.session.scalars(select(Stage.code).order_by(Stage.position)).all()
        assert codes == [code for code, *_ in DEFAULT_STAGES]
        db.session.commit()

        # And back: the downgrade removes everything the upgrade built.
        downgrade(revision="base")
        assert set(inspect(db.engine).get_table_names()) <= {"alembic_version"}


def test_the_models_and_the_migrations_agree(app):
    """Nothing is ignored: every table, column, type, server default, index, unique
    constraint and foreign key of the models must be what the migrations built."""
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={
            "compare_type": True, "compare_server_default": True,
            # SQLite's FTS5 tables of the name search: virtual, no model can declare them.
            "include_name": lambda name, kind, _parents: kind != "table"
            or not is_text_index_table(name),
        })
        differences = compare_metadata(context, Model.metadata)
    assert differences == []


def test_the_migrations_build_every_check_constraint_of_the_models(app):
    """Alembic's comparison leaves CHECK constraints out; they carry rules (a task is linked,
    an amount is not negative), so they are compared by name here."""
    compared = set()
    with app.app_context():
        inspector = inspect(db.engine)
        for table in Model.metadata.sorted_tables:
            declared = {
                constraint.name for constraint in table.constraints
                if isinstance(constraint, CheckConstraint) and isinstance(constraint.name, str)
            }
            built = {check["name"] for check in inspector.get_check_constraints(table.name)}
            assert declared <= built, table.name
            compared |= declared
    assert {"ck_task_link", "ck_deal_client", "ck_deal_amount", "ck_company_status"} <= compared


# --- preparation --------------------------------------------------------------------------


def test_preparing_the_database_twice_creates_nothing_twice(app, session):
    prepare_database(app.appbuilder, session)
    permissions_before = session.scalar(text("SELECT count(*) FROM ab_permission_view"))
    prepare_database(app.appbuilder, session)

    role_names = session.execute(text("SELECT name FROM ab_role")).scalars().all()
    for role in ROLE_NAMES:
        assert role_names.count(role) == 1, role
    assert session.scalar(text("SELECT count(*) FROM ab_permission_view")) == permissions_before

    rows = session.execute(select(Stage.code, func.count()).group_by(Stage.code)).all()
    assert dict(rows) == {code: 1 for code, *_ in DEFAULT_STAGES}
    stages = session.scalars(select(Stage).order_by(Stage.position)).all()
    assert [stage.code for stage in stages] == [code for code, *_ in DEFAULT_STAGES]
    assert [stage.kind for stage in stages][-2:] == ["won", "lost"]


# --- configuration ------------------------------------------------------------------------


def test_production_refuses_to_start_without_a_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CRM_ENV", "production")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        ProductionConfig()
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()
    monkeypatch.setenv("SECRET_KEY", "")
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app()


def test_production_starts_with_a_secret_key_from_the_environment(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret")
    monkeypatch.delenv("DATABASE_URL", raising=False)
    with pytest.raises(RuntimeError, match="DATABASE_URL"):
        ProductionConfig()
    monkeypatch.setenv("DATABASE_URL", database_url)
    config = ProductionConfig()
    application = create_app(config)
    try:
        assert application.config["SECRET_KEY"] == "a-long-production-secret"
        assert application.config["SESSION_COOKIE_SECURE"] is True
        assert application.config["WTF_CSRF_ENABLED"] is True
        assert not application.config.get("TESTING")
        assert application.test_client().get("/login/").status_code == 200
    finally:
        with application.app_context():
            db.engine.dispose()


def test_development_does_not_use_the_production_secret_rule(monkeypatch):
    monkeypatch.delenv("CRM_ENV", raising=False)
    from config import config_from_environment

    assert type(config_from_environment()) is Config
    monkeypatch.setenv("CRM_ENV", "staging")
    with pytest.raises(RuntimeError, match="CRM_ENV"):
        config_from_environment()


def test_two_apps_each_have_all_their_screens(app, database_url):
    first = create_app(make_config(database_url))
    second = create_app(make_config(database_url))
    try:
        assert first.appbuilder is not second.appbuilder
        expected = {rule.rule for rule in app.url_map.iter_rules()}
        for application in (first, second):
            routes = {rule.rule for rule in application.url_map.iter_rules()}
            assert {"/login/", "/companyview/list/", "/taskview/add"} <= routes
            assert routes == expected
            assert application.test_client().get("/login/").status_code == 200
    finally:
        for application in (first, second):
            with application.app_context():
                db.engine.dispose()


# --- cross-site request forgery -----------------------------------------------------------


def test_forms_refuse_a_post_without_the_csrf_token(guarded_app, app, make_user, session):
    user = make_user("Manager")
    app.appbuilder.sm.reset_password(user.id, "Guarded-password-1")
    client = guarded_app.test_client()

    refused = client.post("/login/", data={"username": user.username,
                                           "password": "Guarded-password-1"})
    assert refused.status_code == 400  # even the login form needs its token
    assert client.get("/companyview/list/").status_code == 302  # still anonymous
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    response = client.post("/login/", data={"username": user.username,
                                            "password": "Guarded-password-1",
                                            "csrf_token": token})
    assert response.status_code == 302
    assert "/login" not in response.headers["Location"]

    company = {"name": "ООО Подделка", "status": "potential"}
    response = client.post("/companyview/add", data=company)
    assert response.status_code == 400
    session.expire_all()
    assert session.query(Company).count() == 0

    token = csrf_token(client.get("/companyview/add").get_data(as_text=True))
    response = client.post("/companyview/add", data={**company, "csrf_token": token})
    assert response.status_code == 302
    session.expire_all()
    assert session.query(Company).one().owner_id == user.id


def test_a_record_cannot_be_archived_by_a_plain_link(guarded_app, app, make_user,
                                                     make_company, session):
    """A GET on the delete address (an <img src> on another site) must not archive."""
    user = make_user("Manager")
    app.appbuilder.sm.reset_password(user.id, "Guarded-password-1")
    company_id = make_company(user).id
    client = guarded_app.test_client()
    token = csrf_token(client.get("/login/").get_data(as_text=True))
    client.post("/login/", data={"username": user.username, "password": "Guarded-password-1",
                                 "csrf_token": token})
    client.get(f"/companyview/delete/{company_id}")
    client.post(f"/companyview/delete/{company_id}")
    session.expire_all()
    assert session.get(Company, company_id).archived is False


# --- language -----------------------------------------------------------------------------


def test_the_screens_speak_russian_first_and_english_on_request(client):
    page = client.get("/login/").get_data(as_text=True)
    assert "Пароль" in page and "Войти" in page
    assert "Password" not in page

    response = client.get("/lang/en")
    assert response.status_code == 302
    page = client.get("/login/").get_data(as_text=True)
    assert "Password" in page and "Sign In" in page
    assert "Пароль" not in page

    client.get("/lang/ru")
    assert "Пароль" in client.get("/login/").get_data(as_text=True)


def test_an_unknown_language_is_not_offered(client):
    assert client.get("/lang/xx").status_code == 404
    assert "Пароль" in client.get("/login/").get_data(as_text=True)
