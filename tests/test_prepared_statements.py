"""PostgreSQL keeps a page's prepared statements: a request that only read ends with COMMIT,
anything else rolls back, and searches are planned for their own values.

Each test pushes its own app context, as a request does, so that its end runs the
teardown that chooses between COMMIT and ROLLBACK.
"""

import threading
from contextlib import contextmanager

import pytest
from sqlalchemy import event, inspect, select, text, update

from app.extensions import db
from app.models import Company
from app.prepared_statements import is_read, planned_each_time
from app.services.queries.plan_hints import written_limit
from tests.helpers import ON_POSTGRESQL


@contextmanager
def transaction_ends(app):
    """Yield the list of "commit" and "rollback" the engine sees while the block runs."""
    seen = []
    with app.app_context():
        engine = db.engine

    def commit(_connection):
        seen.append("commit")

    def rollback(_connection):
        seen.append("rollback")

    event.listen(engine, "commit", commit)
    event.listen(engine, "rollback", rollback)
    try:
        yield seen
    finally:
        event.remove(engine, "commit", commit)
        event.remove(engine, "rollback", rollback)


def _name(app, company_id: int) -> str:
    with app.app_context():
        name = db.session.scalar(select(Company.name).where(Company.id == company_id))
        db.session.rollback()
    return name


@pytest.fixture
def company_id(make_company, make_user, session):
    company = make_company(make_user("Manager"), name="Северный Ветер")
    session.commit()
    return company.id


def test_a_request_that_only_read_commits_on_postgresql(app, company_id):
    with transaction_ends(app) as seen:
        with app.app_context():
            db.session.scalar(select(Company.name).where(Company.id == company_id))
            db.session.execute(select(Company.id).with_for_update())
    assert seen == (["commit"] if ON_POSTGRESQL else ["rollback"])


def test_a_read_ends_without_expiring_the_records_it_loaded(app, company_id):
    # They go with the session right after: reloading them would be work for nothing.
    with app.app_context():
        company = db.session.get(Company, company_id)
    assert inspect(company).expired_attributes == set()
    assert inspect(company).detached


def _prepared_after(app, statement, runs: int = 6) -> list[tuple[str, int]]:
    """Run the statement in a request, then list what its connection prepared.

    Each statement prepared comes with the number of its runs on a generic plan.
    """
    with app.app_context():
        connection = db.session.connection().connection.dbapi_connection
        # psycopg prepares a statement on its sixth run on a connection.
        for _ in range(runs):
            db.session.execute(statement).all()
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement, generic_plans FROM pg_prepared_statements")
        prepared = [tuple(row) for row in cursor.fetchall()]
    connection.rollback()
    return prepared


def _prepared_after_six_runs(app, statement) -> list[str]:
    return [text for text, _generic in _prepared_after(app, statement)]


@pytest.mark.postgresql_only("psycopg keeps what it prepared only when no ROLLBACK comes")
def test_statements_prepared_by_a_read_survive_its_end(app, company_id):
    prepared = _prepared_after_six_runs(
        app, select(Company.name).where(Company.id == company_id))
    assert any("FROM company" in statement for statement in prepared)


@pytest.mark.postgresql_only("only PostgreSQL chooses between a generic and a custom plan")
def test_a_written_limit_lets_a_statement_be_planned_once(app, company_id):
    # Sent as a value, the LIMIT kept PostgreSQL planning the board's cards on every run.
    statement = (select(Company.id).where(Company.id > 0).order_by(Company.id.desc())
                 .limit(written_limit(20)).offset(written_limit(40)))
    # PostgreSQL plans the first five runs of a prepared statement for their values.
    prepared = [row for row in _prepared_after(app, statement, runs=12)
                if "FROM company" in row[0]]
    assert len(prepared) == 1
    assert " ".join(prepared[0][0].split()).endswith(" DESC LIMIT 20 OFFSET 40")
    assert prepared[0][1] > 0


@pytest.mark.postgresql_only("only PostgreSQL prepares statements")
def test_a_search_is_never_prepared(app, company_id):
    prepared = _prepared_after_six_runs(
        app, select(Company.name).where(Company.name.like("Север%")))
    assert not any("LIKE" in statement for statement in prepared)


def test_a_streamed_search_runs_on_a_server_side_cursor(app, company_id):
    with app.app_context():
        names = db.session.execute(
            select(Company.name).where(Company.name.like("Север%")),
            execution_options={"stream_results": True, "yield_per": 10}).scalars().all()
    assert names == ["Северный Ветер"]


def test_a_write_left_uncommitted_is_rolled_back(app, company_id):
    with transaction_ends(app) as seen:
        with app.app_context():
            db.session.scalar(select(Company.name).where(Company.id == company_id))
            db.session.execute(update(Company).where(Company.id == company_id)
                               .values(name="Южный Ветер"))
    assert seen == ["rollback"]
    assert _name(app, company_id) == "Северный Ветер"


def test_a_flushed_change_left_uncommitted_is_rolled_back(app, company_id):
    with app.app_context():
        db.session.get(Company, company_id).name = "Южный Ветер"
        db.session.flush()
    assert _name(app, company_id) == "Северный Ветер"


def test_a_change_not_flushed_is_not_written(app, company_id):
    with transaction_ends(app) as seen:
        with app.app_context():
            db.session.get(Company, company_id).name = "Южный Ветер"
    assert seen == ["rollback"]
    assert _name(app, company_id) == "Северный Ветер"


def test_a_failed_statement_ends_in_a_rollback(app, company_id):
    with transaction_ends(app) as seen:
        with app.app_context():
            with pytest.raises(Exception, match="division by zero|divide"):
                # SQLite returns NULL for a division by zero: ask for a missing table there.
                db.session.execute(text("SELECT 1 / 0" if ON_POSTGRESQL
                                        else "SELECT * FROM no_such_table_divide"))
    assert "commit" not in seen
    assert _name(app, company_id) == "Северный Ветер"


def test_a_failed_flush_left_unhandled_ends_quietly_and_writes_nothing(app, company_id):
    from sqlalchemy.exc import IntegrityError

    with transaction_ends(app) as seen:
        with app.app_context():
            company = db.session.get(Company, company_id)
            company.name = "Южный Ветер"
            db.session.add(Company(name=None, owner_id=company.owner_id))
            with pytest.raises(IntegrityError):
                db.session.flush()
    assert "commit" not in seen
    assert _name(app, company_id) == "Северный Ветер"


def test_a_request_that_raised_rolls_back(app, company_id):
    with transaction_ends(app) as seen:
        with pytest.raises(RuntimeError):
            with app.app_context():
                db.session.scalar(select(Company.name))
                raise RuntimeError("the view failed")
    assert seen == ["rollback"]


@pytest.mark.parametrize(("role", "url"), [
    ("Manager", "/companyview/list/"), ("Manager", "/"), ("Head", "/duplicates/"),
    ("Head", "/reports/speed-to-lead/"), ("Head", "/pipeline/"), ("Manager", "/queue/"),
    ("Manager", "/companyview/list/?_flt_0_name=Ром"), ("Head", "/search/?q=Ромашка"),
    ("Manager", "/api/v1/search?q=Ромашка"),
])
def test_a_page_served_to_a_user_ends_its_reading_with_a_commit(app, client, login, session,
                                                                 role, url):
    login(role)
    session.commit()
    answers = []
    with transaction_ends(app) as seen:
        # A thread has no app context yet: the request pushes its own and ends it.
        thread = threading.Thread(target=lambda: answers.append(client.get(url)))
        thread.start()
        thread.join(timeout=60)
    assert answers[0].status_code == 200
    if ON_POSTGRESQL:
        # No rollback on the way either: each would make psycopg forget what it prepared.
        assert seen and set(seen) == {"commit"}, seen
    else:
        assert seen[-1:] == ["rollback"]


@pytest.mark.parametrize(("statement", "reads"), [
    ("SELECT 1", True), ("  select id FROM company FOR UPDATE", True),
    ("UPDATE company SET name = 'x'", False), ("WITH moved AS (DELETE FROM task) SELECT 1", False),
    ("SAVEPOINT sa_savepoint_1", False), ("INSERT INTO company DEFAULT VALUES", False),
    ("WITH matched AS MATERIALIZED (SELECT id FROM company) SELECT id FROM matched", True),
    ("with m as (select id, updated_on from company) select id from m", True),
    ("WITH m AS (UPDATE company SET name = 'x' RETURNING id) SELECT id FROM m", False),
    ("WITH m AS (INSERT INTO company DEFAULT VALUES RETURNING id) SELECT id FROM m", False),
    ("WITH m AS (SELECT id FROM company) SELECT id FROM m FOR UPDATE", False),
])
def test_only_a_select_counts_as_reading(statement, reads):
    assert is_read(statement) is reads


@pytest.mark.parametrize(("statement", "searches"), [
    ("SELECT id FROM company WHERE lower(name) LIKE lower(%(q)s) || '%%'", True),
    ("SELECT id FROM company WHERE words @@ to_tsquery('simple', %(q)s)", True),
    ("SELECT id FROM company WHERE owner_id = %(owner)s ORDER BY name LIMIT 25", False),
])
def test_searches_are_planned_for_their_own_values(statement, searches):
    assert planned_each_time(statement) is searches
