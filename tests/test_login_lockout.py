"""Lockout after failed logins: parallel attempts all count, and a refusal tells nothing.

Forty wrong passwords sent at once used to leave the count at six (each request wrote
back the count it had read), so the account never locked.
"""


import pytest
from flask import g
from sqlalchemy import text

from tests.helpers import PASSWORD, api_login_as, in_parallel

REFUSED_RU = ("Неверное имя пользователя или пароль, либо учётная запись временно "
              "заблокирована после слишком многих неудачных попыток входа.")
REFUSED_EN = ("Wrong user name or password, or the account is locked for a while after too "
              "many failed logins.")
ATTEMPTS = 10
PARALLEL = 40


@pytest.fixture
def lockout(app, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_LOCKOUT_ATTEMPTS", ATTEMPTS)
    monkeypatch.setitem(app.config, "CRM_LOCKOUT_MINUTES", 15)


def _failures(session, user) -> int:
    session.expire_all()
    return session.execute(text("SELECT fail_login_count FROM ab_user WHERE id = :id"),
                           {"id": user.id}).scalar_one()


def test_parallel_wrong_passwords_all_count_and_lock_the_account(app, lockout, make_user,
                                                                 session):
    user = make_user("Manager", "anna")
    codes = in_parallel(app, PARALLEL,
                         lambda client: api_login_as(client, user.username, "wrong").status_code)
    assert codes == [401] * PARALLEL
    # Each attempt that checked the password was counted: none was lost.
    assert _failures(session, user) >= ATTEMPTS

    client = app.test_client()
    refused = api_login_as(client, user.username, PASSWORD)
    assert refused.status_code == 401 and "access_token" not in refused.get_json()
    g.pop("_login_user", None)
    form = client.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert "/login" in form.location
    g.pop("_login_user", None)
    assert client.get("/companyview/list/").status_code == 302


def test_parallel_failures_are_counted_one_by_one(app, make_user, session, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_LOCKOUT_ATTEMPTS", 1000)  # no lock: count them all
    user = make_user("Manager", "anna")
    in_parallel(app, PARALLEL,
                 lambda client: api_login_as(client, user.username, "wrong").status_code)
    assert _failures(session, user) == PARALLEL


@pytest.mark.parametrize(("language", "message"), [("ru", REFUSED_RU), ("en", REFUSED_EN)])
def test_a_locked_account_a_wrong_password_and_an_unknown_user_get_one_answer(
        app, lockout, make_user, language, message):
    locked = make_user("Manager", "anna")
    make_user("Manager", "boris")
    client = app.test_client()
    for _ in range(ATTEMPTS):
        api_login_as(client, locked.username, "wrong")

    cases = {"locked, right password": (locked.username, PASSWORD),
             "wrong password": ("boris", "wrong"),
             "unknown user": ("nobody", "wrong")}
    api = {case: api_login_as(client, *login, language=language) for case, login in cases.items()}
    assert {case: (answer.status_code, answer.get_json()) for case, answer in api.items()} == {
        case: (401, {"message": message}) for case in cases}

    pages = {}
    for case, (username, password) in cases.items():
        g.pop("_login_user", None)
        answer = client.post(f"/login/?_l_={language}",
                             data={"username": username, "password": password},
                             follow_redirects=True)
        pages[case] = message in answer.get_data(as_text=True)
    assert pages == {case: True for case in cases}


@pytest.mark.parametrize(("username", "password"), [
    ("a" * 100_000, PASSWORD),
    ("a" * 65, PASSWORD),
])
def test_a_login_no_account_can_have_gets_the_same_refusal(app, make_user, session,
                                                           username, password):
    user = make_user("Manager", "anna")
    answer = api_login_as(app.test_client(), username, password)
    assert (answer.status_code, answer.get_json()) == (401, {"message": REFUSED_RU})
    assert (_failures(session, user) or 0) == 0  # refused before any account is looked at


@pytest.mark.parametrize(("username", "password", "field"), [
    ("an\x00na", PASSWORD, "username"),        # PostgreSQL refuses NUL in a query
    ("anna\ud800", PASSWORD, "username"),      # half of a surrogate pair
    ("anna", "Secret-\ud800-1", "password"),   # cannot be hashed
    ("\x00", "\x00", "username"),
])
def test_a_login_no_text_can_hold_is_refused_naming_the_field(app, make_user, session,
                                                              username, password, field):
    # Like any request carrying text no database can store: 422 naming the field, before
    # any account is looked at (so it tells nothing about the account either).
    user = make_user("Manager", "anna")
    answer = api_login_as(app.test_client(), username, password)
    assert answer.status_code == 422 and list(answer.get_json()["message"]) == [field]
    assert (_failures(session, user) or 0) == 0


def test_the_form_refuses_a_name_no_account_can_have_the_same_way(app, make_user):
    make_user("Manager", "anna")
    client = app.test_client()
    answer = client.post("/login/", data={"username": "a" * 100_000, "password": PASSWORD},
                         follow_redirects=True)
    assert answer.status_code == 200 and REFUSED_RU in answer.get_data(as_text=True)


def test_the_form_refuses_a_nul_byte_naming_the_field(app, make_user):
    make_user("Manager", "anna")
    answer = app.test_client().post("/login/", data={"username": "an\x00na",
                                                     "password": PASSWORD})
    assert answer.status_code == 400 and "username" in answer.get_data(as_text=True)


def test_the_api_login_keeps_its_documentation(client, login):
    login("Admin")
    spec = client.get("/api/v1/_openapi").get_json()
    operation = spec["paths"]["/api/v1/security/login"]["post"]
    assert "password" in operation["requestBody"]["content"]["application/json"]["schema"][
        "properties"]
    assert set(operation["responses"]) >= {"200", "401"}
