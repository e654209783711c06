"""Two people completing the last two tasks of one client at the same time (PostgreSQL)."""

import threading
import time

import pytest
from sqlalchemy.orm import Session

from app.models import Task, User
from app.services.rules import followup
from app.services.rules.followup import NextTaskRequired, Outcome

pytestmark = pytest.mark.postgresql_only(
    reason="row locks are a PostgreSQL matter; SQLite serialises writers by itself",
)


def test_two_completions_cannot_both_leave_the_client_without_a_task(
    app, session, make_user, make_company, make_task, monkeypatch
):
    from app.extensions import db

    manager = make_user()
    company = make_company(manager, "Один клиент")
    tasks = [make_task(manager, company=company, subject=f"Задача {n}") for n in (1, 2)]
    real_lock = followup.lock

    def slow_lock(session_, records):
        real_lock(session_, records)
        time.sleep(0.3)  # hold the lock long enough for the other one to arrive

    monkeypatch.setattr(followup, "lock", slow_lock)
    barrier = threading.Barrier(2)
    outcomes: dict[int, str] = {}

    def complete(task_id: int) -> None:
        with app.app_context(), Session(db.engine) as own:
            actor = own.get(User, manager.id)
            task = own.get(Task, task_id)
            barrier.wait()
            try:
                followup.finish_task(own, actor, task, Outcome(result="Созвонились"))
                outcomes[task_id] = "done"
            except NextTaskRequired:
                outcomes[task_id] = "refused"

    threads = [threading.Thread(target=complete, args=(t.id,)) for t in tasks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()) == ["done", "refused"]
    session.expire_all()
    planned = session.query(Task).filter_by(company_id=company.id, state="planned").count()
    assert planned == 1
