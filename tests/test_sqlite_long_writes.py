"""SQLite while another save holds the database (a whole book being reassigned).

Pages keep answering (the write-ahead log lets readers past a writer), and a save that
waited longer than it may gets a translated "busy" answer, 503, with nothing written,
instead of a 500.
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from tests.helpers import PASSWORD

pytestmark = pytest.mark.sqlite_only(reason="PostgreSQL readers never wait for writers")


@contextmanager
def writer_holds_the_database():
    """Hold SQLite's write lock from another connection, with a change not yet committed."""
    from app.extensions import db

    with db.engine.connect() as holder:
        holder.exec_driver_sql("BEGIN EXCLUSIVE")
        holder.exec_driver_sql("UPDATE company SET version = version + 1")
        try:
            yield
        finally:
            holder.exec_driver_sql("ROLLBACK")


@pytest.fixture
def short_waits(app):
    """Cut the wait for the write lock to 0.2 s for the connections checked out now."""
    from app.extensions import db

    def short_wait(dbapi_connection, _record, _proxy) -> None:
        dbapi_connection.execute("PRAGMA busy_timeout=200")

    db.session.remove()
    db.engine.dispose()
    event.listen(db.engine, "checkout", short_wait)
    yield
    event.remove(db.engine, "checkout", short_wait)
    db.engine.dispose()  # the next connections wait as long as usual again


def test_the_database_keeps_a_write_ahead_log(session):
    assert session.scalar(text("PRAGMA journal_mode")) == "wal"


def test_pages_answer_while_a_long_save_holds_the_database(
        app, client, login, make_company, short_waits):
    manager = login("Manager")
    company = make_company(manager, "Альфа")
    with writer_holds_the_database():
        listing = client.get("/companyview/list/")
        page = client.get(f"/companyview/show/{company.id}")
    assert listing.status_code == 200
    assert page.status_code == 200 and "Альфа" in page.get_data(as_text=True)


def test_a_save_that_waits_too_long_is_told_the_database_is_busy(
        app, client, session, make_user, short_waits):
    """Logging in writes (the last login): the form and the API answer "busy"."""
    from app.extensions import db

    manager = make_user()
    form = {"username": manager.username, "password": PASSWORD}
    with db.engine.connect() as holder:
        holder.exec_driver_sql("BEGIN EXCLUSIVE")
        try:
            page = client.post("/login/", data=form)
            answer = app.test_client().post("/api/v1/security/login",
                                            json={**form, "provider": "db"})
        finally:
            holder.exec_driver_sql("ROLLBACK")
    assert page.status_code == 503, page.get_data(as_text=True)[-3000:]
    assert "База данных занята" in page.get_data(as_text=True)
    assert answer.status_code == 503
    assert "ничего из ваших изменений не сохранено" in answer.get_json()["message"].lower()
    session.expire_all()
    assert session.get(type(manager), manager.id).login_count in (None, 0)
