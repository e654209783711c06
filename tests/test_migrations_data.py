"""Migrations are safe: an empty database reaches the newest revision, and a database with
data at the previous revision reaches it without losing a row (SQLite or PostgreSQL,
like the run, on a database of its own)."""

from flask_migrate import downgrade, upgrade
from sqlalchemy import inspect, text

from app.extensions import db
from tests.helpers import head_revision
from tests.helpers_data import insert_rows_at_0001

TABLES = ("ab_user", "stage", "company", "contact", "deal", "task", "history")
NEW_INDEXES = {"ix_task_owner_state_done", "ix_task_planned_company_id",
               "ix_task_planned_contact_id", "ix_task_planned_deal_id"}


def _counts() -> dict[str, int]:
    return {table: db.session.execute(text(f"SELECT count(*) FROM {table}")).scalar()
            for table in TABLES}


def test_an_empty_database_reaches_the_newest_revision(fresh_app):
    with fresh_app.app_context():
        upgrade()
        version = db.session.scalar(text("SELECT version_num FROM alembic_version"))
        assert version == head_revision(fresh_app)
        indexes = {index["name"] for index in inspect(db.engine).get_indexes("task")}
        assert NEW_INDEXES <= indexes


def test_data_at_the_previous_revision_survives_the_upgrade(fresh_app):
    with fresh_app.app_context():
        upgrade(revision="0001")
        assert not NEW_INDEXES & {index["name"]
                                  for index in inspect(db.engine).get_indexes("task")}
        insert_rows_at_0001()
        before = _counts()
        assert all(before.values()), before
        db.session.remove()

        upgrade()
        assert db.session.scalar(text("SELECT version_num FROM alembic_version")) == \
            head_revision(fresh_app)
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
        # The search keys of the rows already there are filled by the upgrade.
        assert db.session.execute(text(
            "SELECT search_name FROM company ORDER BY id")).scalars().all() == [
            "вектор", "ромашка"]
        assert db.session.scalar(text("SELECT search_name FROM deal WHERE id = 1")) == "станки"
        db.session.remove()


def test_the_upgrade_fills_the_phone_and_email_keys_of_existing_rows(fresh_app):
    with fresh_app.app_context():
        upgrade(revision="0006")
        insert_rows_at_0001()
        db.session.execute(text(
            "UPDATE company SET phone = '8 (495) 123-45-67', email = 'Info@Vector.RU' "
            "WHERE id = 1"))
        db.session.execute(text(
            "UPDATE contact SET last_name = 'Семёнов', mobile_phone = '+7 916 555-44-33' "
            "WHERE id = 1"))
        db.session.commit()
        db.session.remove()

        upgrade()
        company = db.session.execute(text(
            "SELECT phone, phone_e164, phone_tail, email_key FROM company WHERE id = 1")).one()
        assert tuple(company) == ("8 (495) 123-45-67", "+74951234567", "76543215947",
                                  "info@vector.ru")
        contact = db.session.execute(text(
            "SELECT mobile_phone_e164, mobile_phone_tail, search_name FROM contact "
            "WHERE id = 1")).one()
        assert tuple(contact) == ("+79165554433", "33445556197", "семенов")
        db.session.remove()


def test_the_upgrade_fills_each_leads_week_and_seconds_to_answer(fresh_app):
    from datetime import datetime

    from app.models.inbox_item import answer_seconds, week_number

    leads = {
        # id: received, answered
        1: (datetime(2026, 12, 6, 23, 59, 59, 500000), datetime(2026, 12, 7, 0, 14, 59)),
        2: (datetime(2026, 12, 7, 0, 0), datetime(2026, 12, 7, 0, 15)),
        3: (datetime(1999, 12, 31, 10, 0), datetime(2000, 1, 3, 10, 0, 0, 900000)),
        4: (datetime(2026, 12, 9, 12, 30), None),
        # Below the millisecond that SQLite's julianday() keeps; an answer before arrival.
        5: (datetime(2026, 12, 9, 12, 0, 0, 400), datetime(2026, 12, 9, 12, 15, 0, 300)),
        6: (datetime(2026, 12, 9, 12, 0, 0, 500000), datetime(2026, 12, 9, 12, 0)),
    }
    with fresh_app.app_context():
        upgrade(revision="0020")
        insert_rows_at_0001()
        for number, (received, answered) in leads.items():
            db.session.execute(text(
                "INSERT INTO inbox_item (id, source, state, received_at, answered_at, owner_id) "
                "VALUES (:id, 'form', :state, :received, :answered, 1)"), {
                "id": number, "state": "accepted" if answered else "new",
                "received": received, "answered": answered})
        db.session.commit()
        db.session.remove()

        upgrade()
        kept = dict((row.id, (row.received_week, row.answer_seconds)) for row in
                     db.session.execute(text(
                         "SELECT id, received_week, answer_seconds FROM inbox_item")))
        assert kept == {
            number: (week_number(received.date()),
                     answered and answer_seconds(received, answered))
            for number, (received, answered) in leads.items()}
        # Sunday and the Monday after are a week apart; the days before 2000 count back.
        assert [kept[number][0] for number in (1, 2, 3)] == [1404, 1405, -1]
        assert [kept[number][1] for number in range(1, 7)] == [899, 900, 259200, None, 899, -1]

        # And back, with a task answering one of the leads: the columns go, the rows stay.
        db.session.execute(text("UPDATE task SET inbox_item_id = 1 WHERE id = 1"))
        db.session.commit()
        db.session.remove()
        downgrade(revision="0020")
        columns = {column["name"] for column in inspect(db.engine).get_columns("inbox_item")}
        assert not {"received_week", "answer_seconds"} & columns
        assert db.session.scalar(text("SELECT count(*) FROM inbox_item")) == len(leads)
        db.session.remove()


def test_the_speed_to_lead_indexes_split_the_answered_from_the_unanswered_leads(fresh_app):
    def indexes() -> dict[str, list[str]]:
        return {index["name"]: index["column_names"]
                for index in inspect(db.engine).get_indexes("inbox_item")
                if "week" in index["name"]}

    with fresh_app.app_context():
        upgrade(revision="0021")
        insert_rows_at_0001()
        db.session.execute(text(
            "INSERT INTO inbox_item (source, state, received_at, answered_at, received_week, "
            "answer_seconds, owner_id) VALUES ('form', 'accepted', '2026-12-07 10:00:00', "
            "'2026-12-07 10:05:00', 1405, 300, 1)"))
        db.session.commit()
        db.session.remove()

        upgrade()
        assert indexes() == {
            "ix_inbox_item_week": ["received_week", "owner_id", "source", "answer_seconds"],
            "ix_inbox_item_owner_week": ["owner_id", "received_week", "source",
                                         "answer_seconds"],
            "ix_inbox_item_unanswered_week": ["received_week", "owner_id", "source", "state",
                                              "received_at", "answer_seconds"],
        }
        # Each holds only its own leads.
        index_sql = {
            "sqlite": "SELECT sql FROM sqlite_master WHERE name = :name",
            "postgresql": "SELECT indexdef FROM pg_indexes WHERE indexname = :name",
        }[db.engine.dialect.name]
        for name, where in (("ix_inbox_item_week", "answer_seconds IS NOT NULL"),
                            ("ix_inbox_item_unanswered_week", "answer_seconds IS NULL")):
            built = db.session.scalar(text(index_sql), {"name": name})
            assert where in built.replace("(", "").replace(")", ""), built
        db.session.remove()

        downgrade(revision="0021")
        assert indexes() == {
            "ix_inbox_item_week": ["received_week", "owner_id", "source", "answer_seconds",
                                   "state", "received_at"],
            "ix_inbox_item_owner_week": ["owner_id", "received_week", "source",
                                         "answer_seconds", "state", "received_at"],
        }
        assert db.session.scalar(text("SELECT count(*) FROM inbox_item")) == 1
        db.session.remove()
