"""Successful logins are counted by the database: parallel logins all count.

FAB read `login_count` and wrote it back plus one, so logins at the same moment
overwrote each other's count (as failed logins once did, tests/test_login_lockout.py).
"""

from datetime import timedelta

from sqlalchemy import select

from app.models import User
from tests.conftest import PASSWORD
from tests.helpers import api_login_as, in_parallel, server_now

PARALLEL = 20


def _stats(session, user):
    session.expire_all()
    return session.execute(
        select(User.login_count, User.fail_login_count, User.last_login)
        .where(User.id == user.id)
    ).one()


def test_parallel_logins_are_counted_one_by_one(app, make_user, session):
    user = make_user("Manager", "anna")
    before = server_now() - timedelta(seconds=1)
    codes = in_parallel(app, PARALLEL,
                         lambda client: api_login_as(client, user.username, PASSWORD).status_code)
    assert codes == [200] * PARALLEL
    count, failures, last_login = _stats(session, user)
    assert count == PARALLEL
    assert failures == 0
    assert last_login >= before


def test_a_login_ends_the_run_of_failed_logins(app, make_user, session):
    user = make_user("Manager", "anna")
    client = app.test_client()
    assert api_login_as(client, user.username, "wrong").status_code == 401
    assert _stats(session, user)[1] == 1
    assert api_login_as(client, user.username, PASSWORD).status_code == 200
    assert api_login_as(client, user.username, PASSWORD).status_code == 200
    count, failures, _ = _stats(session, user)
    assert (count, failures) == (2, 0)
