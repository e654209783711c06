"""Logging out, a new password and deactivation end every session and token of the user.

Sessions are signed cookies, so a copy of one stays valid by itself: what ends it is the
user's session version, which every cookie and token carries and every request compares.
"""

from flask import g

from app.models import UserProfile
from tests.helpers import PASSWORD

NEW_PASSWORD = "Brand-new-pass-7"
PAGE = "/companyview/list/"
API_PAGE = "/api/v1/company/"


def _fresh(client):
    """Forget the users the shared test context cached, as a new request would."""
    for name in ("_login_user", "user", "_jwt_extended_jwt_user", "_jwt_extended_jwt",
                 "_jwt_extended_jwt_header"):
        g.pop(name, None)
    return client


def _log_in(app, user, password: str = PASSWORD):
    client = app.test_client()
    answer = _fresh(client).post("/login/", data={"username": user.username,
                                                  "password": password})
    assert answer.status_code == 302 and "/login" not in answer.location
    return client


def _copy(app, client):
    """A second browser holding a copy of the client's session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def _page(client) -> int:
    return _fresh(client).get(PAGE).status_code


def _tokens(app, user, password: str = PASSWORD) -> dict:
    answer = _fresh(app.test_client()).post("/api/v1/security/login", json={
        "username": user.username, "password": password, "provider": "db", "refresh": True})
    assert answer.status_code == 200
    return answer.get_json()


def _api(app, token: str) -> int:
    client = _fresh(app.test_client())
    return client.get(API_PAGE, headers={"Authorization": f"Bearer {token}"}).status_code


def _refresh(app, token: str) -> int:
    client = _fresh(app.test_client())
    return client.post("/api/v1/security/refresh",
                       headers={"Authorization": f"Bearer {token}"}).status_code


def test_a_session_copied_before_logout_is_refused_after_it(app, make_user):
    user = make_user("Manager", "anna")
    browser = _log_in(app, user)
    other_device = _log_in(app, user)
    copy = _copy(app, browser)
    assert _page(copy) == 200 and _page(other_device) == 200

    assert _fresh(browser).post("/logout/").status_code == 302

    # Logging out ends every session of the user: the copy and the other device too.
    assert _page(browser) == 302
    assert _page(copy) == 302
    assert _page(other_device) == 302
    # Logging in again works, and only the new session is alive.
    again = _log_in(app, user)
    assert _page(again) == 200 and _page(copy) == 302


def test_logging_out_ends_the_api_tokens_too(app, make_user):
    user = make_user("Manager", "anna")
    tokens = _tokens(app, user)
    assert _api(app, tokens["access_token"]) == 200
    browser = _log_in(app, user)
    _fresh(browser).post("/logout/")
    assert _api(app, tokens["access_token"]) == 401
    assert _refresh(app, tokens["refresh_token"]) == 401


def test_an_admin_password_reset_ends_sessions_and_tokens(app, make_user):
    user = make_user("Manager", "anna")
    admin = make_user("Admin", "root")
    copy = _copy(app, _log_in(app, user))
    tokens = _tokens(app, user)
    assert _refresh(app, tokens["refresh_token"]) == 200

    admin_browser = _log_in(app, admin)
    answer = _fresh(admin_browser).post(f"/resetpassword/form?pk={user.id}", data={
        "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert answer.status_code == 302

    assert _page(copy) == 302
    assert _api(app, tokens["access_token"]) == 401
    assert _refresh(app, tokens["refresh_token"]) == 401
    assert _page(admin_browser) == 200  # the admin's own session is not touched
    assert _api(app, _tokens(app, user, NEW_PASSWORD)["access_token"]) == 200


def test_changing_ones_own_password_ends_the_other_sessions_only(app, make_user):
    user = make_user("Manager", "anna")
    browser = _log_in(app, user)
    other_device = _log_in(app, user)
    tokens = _tokens(app, user)

    answer = _fresh(browser).post("/resetmypassword/form", data={
        "current_password": PASSWORD, "password": NEW_PASSWORD,
        "conf_password": NEW_PASSWORD})
    assert answer.status_code == 302

    assert _page(browser) == 200  # where the password was changed
    assert _page(other_device) == 302
    assert _refresh(app, tokens["refresh_token"]) == 401


def test_deactivation_ends_sessions_and_tokens_even_after_reactivation(app, make_user,
                                                                      session):
    user = make_user("Manager", "anna")
    admin = make_user("Admin", "root")
    copy = _copy(app, _log_in(app, user))
    tokens = _tokens(app, user)
    admin_browser = _log_in(app, admin)
    form = {"first_name": "Anna", "last_name": "Test", "username": user.username,
            "email": user.email, "roles": str(user.roles[0].id)}

    assert _fresh(admin_browser).post(f"/users/edit/{user.id}", data=form).status_code == 302
    assert _page(copy) == 302
    assert _refresh(app, tokens["refresh_token"]) == 401

    # Active again: the old cookie and tokens stay dead; a new login works.
    answer = _fresh(admin_browser).post(f"/users/edit/{user.id}", data={**form, "active": "y"})
    assert answer.status_code == 302
    assert _page(copy) == 302
    assert _refresh(app, tokens["refresh_token"]) == 401
    assert _api(app, tokens["access_token"]) == 401
    assert _page(_log_in(app, user)) == 200


def test_an_edit_that_keeps_the_user_active_keeps_the_sessions(app, make_user):
    user = make_user("Manager", "anna")
    admin = make_user("Admin", "root")
    browser = _log_in(app, user)
    admin_browser = _log_in(app, admin)
    answer = _fresh(admin_browser).post(f"/users/edit/{user.id}", data={
        "first_name": "Анна", "last_name": "Test", "username": user.username,
        "email": user.email, "active": "y", "roles": str(user.roles[0].id)})
    assert answer.status_code == 302
    assert _page(browser) == 200


def test_the_session_version_is_counted_in_the_database(app, make_user, session):
    user = make_user("Manager", "anna")
    for _ in range(3):
        _fresh(_log_in(app, user)).post("/logout/")
    session.expire_all()
    assert session.get(UserProfile, user.id).session_version == 3


def test_sessions_ended_at_once_are_all_counted(app, make_user, session):
    """Two devices logging out at the same moment: both raises land, nothing fails."""
    import threading

    from sqlalchemy.orm import Session

    from app.extensions import db
    from app.models import User
    from app.services.rules import accounts

    user = make_user("Manager", "anna")
    count = 8
    barrier = threading.Barrier(count)
    errors: list = []

    def end() -> None:
        with app.app_context(), Session(db.engine) as own:
            barrier.wait()
            try:
                accounts.end_sessions(own, own.get(User, user.id))
                own.commit()
            except Exception as error:  # noqa: BLE001  (any failure fails the test below)
                errors.append(error)

    threads = [threading.Thread(target=end) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    session.expire_all()
    assert session.get(UserProfile, user.id).session_version == count
