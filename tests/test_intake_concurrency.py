"""Two leads at once go to two managers; the same call reported twice at once is one item."""

import threading
import time

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.models import InboxItem, Task
from tests.helpers import count, in_parallel

HOLD_BEFORE_COMMIT = 0.25


@pytest.fixture
def slow_commits():
    """Make every commit of another thread wait a moment, so the racers overlap."""
    main = threading.get_ident()

    def hold(_session) -> None:
        if threading.get_ident() != main:
            time.sleep(HOLD_BEFORE_COMMIT)

    event.listen(Session, "before_commit", hold)
    yield
    event.remove(Session, "before_commit", hold)


def test_two_leads_at_once_go_to_two_managers(app, session, make_user, slow_commits):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    numbers = iter(["+7 916 555-12-01", "+7 916 555-12-02"])
    lock = threading.Lock()

    def post(client):
        with lock:
            phone = next(numbers)
        return client.post("/intake/form", json={"name": "Лид", "phone": phone}).status_code

    assert in_parallel(app, 2, post) == [201, 201]
    session.expire_all()
    owners = sorted(session.scalars(select(InboxItem.owner_id)))
    assert owners == sorted([anna.id, boris.id])
    assert count(session, Task) == 2


def test_the_same_call_twice_at_once_is_stored_once(app, session, make_user, slow_commits):
    make_user("Manager", "anna")
    call = {"call_id": "same", "from": "+7 916 555-12-01", "status": "missed"}

    def post(client):
        return client.post("/api/v1/intake/call", json=call,
                           headers={"X-CRM-Token": "test-intake-token"}).status_code

    assert sorted(in_parallel(app, 2, post)) == [200, 201]
    assert count(session, InboxItem) == 1 and count(session, Task) == 1
