"""Migrations are safe: an empty database reaches the newest revision, and a database with
data at the previous revision reaches it without losing a row (SQLite or PostgreSQL,
like the run, on a database of its own)."""

from flask_migrate import upgrade
from sqlalchemy import inspect, text

from app.extensions import db
from tests.test_setup import _head_revision, empty_database_url, fresh_app  # noqa: F401

TABLES = ("ab_user", "stage", "company", "contact", "deal", "task", "history")
NEW_INDEXES = {"ix_task_owner_state_done", "ix_task_planned_company_id",
               "ix_task_planned_contact_id", "ix_task_planned_deal_id"}


def _counts() -> dict[str, int]:
    return {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in TABLES}


def _insert_rows_at_0001() -> None:
    """Fill every business table with plain SQL, as revision 0001 knows them."""
    run = db.session.execute
    run(text("INSERT INTO ab_user (id, first_name, last_name, username, email, active, "
             "login_count, fail_login_count) VALUES (1, 'Anna', 'Test', 'anna', "
             "'anna@example.com', true, 0, 0)"))
    run(text("INSERT INTO stage (id, code, name, position, kind, probability) VALUES "
             "(1, 'cold', 'Cold contact', 1, 'open', 5), (2, 'won', 'Won', 2, 'won', 100)"))
    stamps = "'2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, 1, false, 1"
    columns = "created_at, changed_at, created_by_id, owner_id, archived, version"
    run(text(f"INSERT INTO company (id, name, status, {columns}) VALUES "
             f"(1, 'Вектор', 'active', {stamps}), (2, 'Ромашка', 'lost', {stamps})"))
    run(text(f"INSERT INTO contact (id, last_name, company_id, {columns}) VALUES "
             f"(1, 'Петров', 1, {stamps})"))
    run(text(f"INSERT INTO contact (id, last_name, status, {columns}) VALUES "
             f"(2, 'Иванова', 'potential', {stamps})"))
    run(text(f"INSERT INTO deal (id, title, company_id, contact_id, stage_id, amount, "
             f"currency, {columns}) VALUES (1, 'Станки', 1, 1, 1, 1500000.50, 'RUB', "
             f"{stamps}), (2, 'Ремонт', NULL, 2, 2, NULL, 'RUB', {stamps})"))
    run(text(f"INSERT INTO task (id, type, subject, due_at, company_id, deal_id, state, "
             f"result, {columns}) VALUES "
             f"(1, 'call', 'Позвонить', '2026-12-01 10:00:00', 1, 1, 'planned', NULL, "
             f"{stamps}), "
             f"(2, 'meeting', 'Встреча', '2026-11-02 10:00:00', 1, NULL, 'done', 'Договорились', "
             f"{stamps})"))
    run(text("INSERT INTO history (at, actor_id, entity, entity_id, action, company_id) "
             "VALUES ('2026-11-01 10:00:00', 1, 'company', 1, 'created', 1)"))
    db.session.commit()


def test_an_empty_database_reaches_the_newest_revision(fresh_app):  # noqa: F811
    with fresh_app.app_context():
        upgrade()
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == _head_revision(fresh_app)
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("task")}
        assert NEW_INDEXES <= indexes


def test_data_at_the_previous_revision_survives_the_upgrade(fresh_app):  # noqa: F811
    with fresh_app.app_context():
        upgrade(revision="0001")
        assert not NEW_INDEXES & {index["name"]
                                  for index in inspect(db.engine).get_indexes("task")}
        _insert_rows_at_0001()
        before = _counts()
        assert all(before.values()), before
        db.session.remove()

        upgrade()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == \
            _head_revision(fresh_app)
        assert _counts() == before
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("task")}
        assert NEW_INDEXES <= indexes
        amount = db.session.scalar(text("SELECT amount FROM deal WHERE id = 1"))
        assert str(amount) in ("1500000.50", "1500000.5")
        done = db.session.execute(text("SELECT state, result FROM task WHERE id = 2")).one()
        assert tuple(done) == ("done", "Договорились")
        # The partial indexes answer the queue's question on the migrated rows.
        planned = db.session.scalar(text(
            "SELECT count(*) FROM task WHERE company_id = 1 AND state = 'planned' "
            "AND archived = false"))
        assert planned == 1
        db.session.remove()
