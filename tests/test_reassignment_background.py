"""The head's move runs in the background: its page shows it under way, then done or failed.

A whole book can take longer than a web request may last, so the screen records the move
and a thread of the worker does it in one transaction. These tests go through the screen
as the head does and wait for the page to say the move ended, on SQLite and PostgreSQL.
"""

import re
from contextlib import contextmanager
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from app.models import Company, HistoryEntry, Reassignment, Task, User
from app.services.errors import DomainError
from app.services.rules import reassignment
from tests.helpers import ON_POSTGRESQL, PASSWORD, break_the_move_of, in_parallel, wait_for_move


@pytest.fixture
def book(make_user, make_company, make_contact, make_deal, make_task):
    """A leaving manager with two live companies, a private client, a deal and tasks."""
    leaver = make_user("Manager", "leaver")
    keeper = make_user("Manager", "keeper")
    alpha = make_company(leaver, "Альфа")
    beta = make_company(leaver, "Бета")
    private = make_contact(leaver, "Сидорова")
    deal = make_deal(leaver, company=alpha, title="Поставка")
    make_task(leaver, company=alpha, deal=deal)
    make_task(leaver, company=beta)
    make_task(leaver, contact=private)
    return {"leaver": leaver, "keeper": keeper, "alpha": alpha, "beta": beta}


def confirm(client, book: dict, **extra):
    return client.post("/reassign/", data={"from_user": book["leaver"].id,
                                           "to_user": book["keeper"].id, "confirm": "1",
                                           **extra})


def record_id(response) -> int:
    match = re.search(r"/reassignmentview/show/(\d+)", response.headers["Location"])
    assert match, response.headers["Location"]
    return int(match.group(1))


def owned_by(session, user) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Company)
                          .where(Company.owner_id == user.id))


def test_the_move_runs_in_the_background_and_its_page_says_when_it_is_done(
        client, login, session, book):
    head = login("Head")
    response = confirm(client, book)
    assert response.status_code == 302
    text = wait_for_move(client, response)
    assert "Перенесено" in text and "Идёт перенос" not in text, text[text.find("move-state"):][:800]
    assert owned_by(session, book["keeper"]) == 2
    assert owned_by(session, book["leaver"]) == 0
    record = session.get(Reassignment, record_id(response))
    assert (record.state, record.actor_id, record.introduce) == ("done", head.id, True)
    assert (record.companies, record.private_clients, record.deals) == (2, 1, 1)
    # Each live client got its introduction call for the new owner.
    introductions = session.scalar(select(func.count()).select_from(Task).where(
        Task.owner_id == book["keeper"].id, Task.subject.like("Представиться%")))
    assert introductions == 3
    listing = client.get("/reassignmentview/list/").get_data(as_text=True)
    assert "Перенесено" in listing


def test_the_page_of_a_move_under_way_looks_again_by_itself(client, login, session, book):
    head = login("Head")
    record = reassignment.start(session, head, book["leaver"], book["keeper"])
    page = client.get(f"/reassignmentview/show/{record.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page
    assert "Идёт перенос" in page and "можно уйти" in page
    # Nothing has moved yet: no counts (a row of zeros would say the book was empty).
    assert "Компании" not in page.split('id="move-state"')[1]
    assert owned_by(session, book["leaver"]) == 2
    reassignment.run(session, record.id)
    page = client.get(f"/reassignmentview/show/{record.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' not in page
    assert "Компании" in page.split('id="move-state"')[1]


def test_the_head_unticks_the_introductions(client, login, session, book):
    login("Head")
    response = confirm(client, book, introduce_shown="1")
    wait_for_move(client, response)
    assert session.get(Reassignment, record_id(response)).introduce is False
    assert session.scalar(select(func.count()).select_from(Task).where(
        Task.subject.like("Представиться%"))) == 0


def test_a_failed_move_moves_nothing_and_says_so_with_a_way_to_start_again(
        client, login, session, book, monkeypatch):
    login("Head")
    real_move = break_the_move_of(monkeypatch)
    response = confirm(client, book)
    text = wait_for_move(client, response)
    assert "ничего не перенесено" in text
    assert f"/reassign/?from_user={book['leaver'].id}&amp;to_user={book['keeper'].id}" in text
    assert "disk full" not in text
    assert owned_by(session, book["leaver"]) == 2
    assert session.scalar(select(func.count()).select_from(HistoryEntry).where(
        HistoryEntry.reassignment_id == record_id(response))) == 0
    # Started again once the cause is gone, it moves everything.
    monkeypatch.setattr(reassignment, "_move", real_move)
    again = confirm(client, book)
    wait_for_move(client, again)
    assert owned_by(session, book["keeper"]) == 2


def test_a_rule_broken_before_the_move_ran_fails_it_with_the_rule_named(
        session, make_user, book):
    head = make_user("Head")
    record = reassignment.start(session, head, book["leaver"], book["keeper"])
    session.execute(update(User).where(User.id == book["keeper"].id).values(active=False))
    session.commit()
    with pytest.raises(DomainError):
        reassignment.run(session, record.id)
    session.expire_all()
    record = session.get(Reassignment, record.id)
    assert record.state == "failed"
    assert "активн" in record.error
    assert owned_by(session, book["leaver"]) == 2


def test_no_second_move_of_the_same_managers_while_one_runs(session, make_user, book):
    head = make_user("Head")
    other = make_user("Manager", "other")
    reassignment.start(session, head, book["leaver"], book["keeper"])
    with pytest.raises(DomainError, match="ещё идёт|still under way"):
        reassignment.start(session, head, book["leaver"], other)
    with pytest.raises(DomainError, match="ещё идёт|still under way"):
        reassignment.start(session, head, other, book["keeper"])
    assert session.scalar(select(func.count()).select_from(Reassignment)) == 1


def test_a_move_left_running_by_a_stopped_worker_is_marked_interrupted(
        client, login, session, book):
    """A worker that stopped mid-move rolled it back; its page and a new move say so."""
    head = login("Head")
    record = reassignment.start(session, head, book["leaver"], book["keeper"])
    stopped_at = record.at - reassignment.START_GRACE - timedelta(seconds=1)
    session.execute(update(Reassignment).where(Reassignment.id == record.id)
                    .values(at=stopped_at))
    session.commit()
    page = client.get(f"/reassignmentview/show/{record.id}").get_data(as_text=True)
    assert "прерван" in page and 'http-equiv="refresh"' not in page
    session.expire_all()
    assert session.get(Reassignment, record.id).error == reassignment.INTERRUPTED
    # Started again, it runs.
    again = reassignment.reassign(session, head, book["leaver"], book["keeper"])
    assert again.state == "done"


@contextmanager
def move_holds_its_lock(record):
    """Hold what `run` holds for the whole move: its row (PostgreSQL), the write lock
    (SQLite)."""
    from app.extensions import db

    with db.engine.connect() as mover:
        if ON_POSTGRESQL:
            mover.exec_driver_sql(
                f"SELECT id FROM reassignment WHERE id = {record.id} FOR UPDATE")
        else:
            mover.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            mover.rollback()


def started_long_ago(session, head, book) -> Reassignment:
    """Start a move and date it back past the grace given to a move's first moment."""
    record = reassignment.start(session, head, book["leaver"], book["keeper"])
    session.execute(update(Reassignment).where(Reassignment.id == record.id).values(
        at=record.at - reassignment.START_GRACE - timedelta(seconds=1)))
    session.commit()
    return record


def test_a_move_still_holding_its_transaction_is_not_called_stopped(
        app, client, login, session, book):
    """Past the grace period, a move whose transaction is open still shows as under way."""
    from app.extensions import db

    head = login("Head")
    record = started_long_ago(session, head, book)
    with move_holds_its_lock(record):
        page = client.get(f"/reassignmentview/show/{record.id}").get_data(as_text=True)
    assert 'http-equiv="refresh"' in page
    session.expire_all()
    assert session.get(Reassignment, record.id).state == "running"
    # The page asked SQLite's write lock with a short wait: no connection keeps it.
    session.remove()
    connections = [db.engine.connect() for _ in range(3)]
    try:
        if not ON_POSTGRESQL:
            assert {c.exec_driver_sql("PRAGMA busy_timeout").scalar()
                    for c in connections} == {15_000}
    finally:
        for connection in connections:
            connection.close()


def test_a_new_move_of_the_same_managers_waits_for_one_still_running(
        session, make_user, book):
    head = make_user("Head")
    other = make_user("Manager", "other")
    record = started_long_ago(session, head, book)
    # Refused by the rule, not by SQLite's wait for the lock running out (OperationalError).
    with move_holds_its_lock(record), pytest.raises(DomainError, match="ещё идёт"):
        reassignment.start(session, head, book["leaver"], other)
    session.expire_all()
    assert session.get(Reassignment, record.id).state == "running"


def test_a_move_that_ended_is_never_marked_interrupted(session, make_user, book):
    """The check for a stopped move reads the state under the lock: "done" stays done."""
    head = make_user("Head")
    record = started_long_ago(session, head, book)
    reassignment.run(session, record.id)
    assert reassignment._still_running(session, record) is False
    session.commit()
    session.expire_all()
    assert (session.get(Reassignment, record.id).state,
            session.get(Reassignment, record.id).error) == ("done", None)


def test_a_failure_is_told_in_the_language_of_the_head_who_started_it(
        client, login, session, book, monkeypatch):
    from flask_babel import lazy_gettext

    login("Head")
    client.get("/lang/en")
    real_check = reassignment._check
    checks = []

    def check_then_refuse(*args):
        checks.append(args)
        if len(checks) > 1:  # the move's own check, in the background
            raise DomainError(lazy_gettext("The manager who takes over must be active."))
        return real_check(*args)

    monkeypatch.setattr(reassignment, "_check", check_then_refuse)
    html = wait_for_move(client, confirm(client, book))
    assert "Nothing was moved: The manager who takes over must be active." in html
    assert owned_by(session, book["leaver"]) == 2


def test_two_heads_confirming_the_same_move_at_once_start_it_once(app, session, make_user,
                                                                  book):
    heads = [make_user("Head").username for _ in range(2)]
    form = {"from_user": book["leaver"].id, "to_user": book["keeper"].id, "confirm": "1"}
    logged = iter(heads)

    def attempt(client):
        client.post("/login/", data={"username": next(logged), "password": PASSWORD})
        return client.post("/reassign/", data=form)

    answers = in_parallel(app, 2, attempt)
    assert sorted(answer.status_code for answer in answers) == [200, 302]
    # Refused while the first runs, or (SQLite, once it ended) as having nothing left.
    refused = next(answer for answer in answers if answer.status_code == 200)
    assert re.search("ещё идёт|нечего переносить", refused.get_data(as_text=True))
    started = next(answer for answer in answers if answer.status_code == 302)
    client = app.test_client()
    client.post("/login/", data={"username": heads[0], "password": PASSWORD})
    wait_for_move(client, started)
    assert session.scalar(select(func.count()).select_from(Reassignment)) == 1
    assert owned_by(session, book["keeper"]) == 2


def test_the_move_page_speaks_english(client, login, session, book):
    login("Head")
    client.get("/lang/en")
    response = confirm(client, book)
    html = wait_for_move(client, response)
    assert "Moved to" in html and ">Done<" in html
    listing = client.get("/reassignmentview/list/").get_data(as_text=True)
    assert ">Done<" in listing
