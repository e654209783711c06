"""The password rule (spaces do not count, no control characters) and changing one's own
password, which asks for the current one."""

import pytest
from flask import g
from sqlalchemy import text

from app.services.errors import DomainError
from app.services.rules import accounts
from tests.helpers import PASSWORD

NEW_PASSWORD = "Brand-new-pass-7"
SHORT_RU = "Пароль должен содержать не меньше 10 символов, не считая пробелов."
WRONG_CURRENT_RU = "Текущий пароль неверен."
WRONG_CURRENT_EN = "The current password is wrong."
MISSING_CURRENT_RU = "Введите текущий пароль."


@pytest.mark.parametrize("password", [
    " " * 10 + "1a",            # long only thanks to spaces
    "1a" + " " * 10,
    "a 1 b 2 c 3 ",             # six characters besides spaces
    "Good-pass\x00word-1",      # a NUL byte
    "Good-pass-word-1\x07",     # a control character
    "Good-pass-word-1\ud800",   # half of a surrogate pair
    "Good-pass-word-1\t\n",     # a tab and a newline are control characters too
    "Good-pass-word-1\U000f0000",  # a private-use character
])
def test_the_rule_refuses(password):
    with pytest.raises(DomainError) as refused:
        accounts.check_password(password, "olga")
    assert refused.value.field == "password"


@pytest.mark.parametrize("password", [
    "Spring-2030-garden",
    "correct horse 7 battery",  # a pass phrase with spaces
    "Пароль-из-слов-2030",      # Cyrillic letters are letters
])
def test_the_rule_accepts(password):
    accounts.check_password(password, "olga")


def test_a_new_user_cannot_get_a_password_of_spaces(client, login, session):
    login("Admin")
    role = session.execute(text("SELECT id FROM ab_role WHERE name = 'Manager'")).scalar_one()
    password = " " * 10 + "1a"
    answer = client.post("/users/add", data={
        "username": "olga", "first_name": "Ольга", "last_name": "Смирнова",
        "email": "olga@example.com", "active": "y", "roles": str(role),
        "password": password, "conf_password": password})
    assert answer.status_code == 200 and SHORT_RU in answer.get_data(as_text=True)
    assert session.execute(text("SELECT count(*) FROM ab_user WHERE username = 'olga'"))\
        .scalar_one() == 0


# --- changing one's own password ---------------------------------------------------------


def _change(client, current: str | None, new: str = NEW_PASSWORD, language: str = "ru"):
    data = {"password": new, "conf_password": new}
    if current is not None:
        data["current_password"] = current
    g.pop("_login_user", None)
    return client.post(f"/resetmypassword/form?_l_={language}", data=data)


@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
def test_the_form_asks_for_the_current_password(client, login, role):
    login(role)
    page = client.get("/resetmypassword/form")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'name="current_password"' in body and "Текущий пароль" in body


@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
@pytest.mark.parametrize(("current", "language", "message"), [
    ("Wrong-password-1", "ru", WRONG_CURRENT_RU),
    ("Wrong-password-1", "en", WRONG_CURRENT_EN),
    ("", "ru", MISSING_CURRENT_RU),
    (None, "ru", MISSING_CURRENT_RU),
])
def test_a_wrong_or_missing_current_password_changes_nothing(client, login, app, role,
                                                             current, language, message):
    user = login(role)
    answer = _change(client, current, language=language)
    assert answer.status_code == 200
    assert message in answer.get_data(as_text=True)
    assert app.appbuilder.sm.auth_user_db(user.username, NEW_PASSWORD) is None
    assert app.appbuilder.sm.auth_user_db(user.username, PASSWORD) is not None


@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
def test_the_right_current_password_changes_it(client, login, app, role):
    user = login(role)
    answer = _change(client, PASSWORD)
    assert answer.status_code == 302
    assert app.appbuilder.sm.auth_user_db(user.username, NEW_PASSWORD) is not None
    assert app.appbuilder.sm.auth_user_db(user.username, PASSWORD) is None


def test_the_new_password_still_follows_the_rule(client, login, app):
    user = login("Manager")
    answer = _change(client, PASSWORD, new=" " * 10 + "1a")
    assert answer.status_code == 200 and SHORT_RU in answer.get_data(as_text=True)
    assert app.appbuilder.sm.auth_user_db(user.username, PASSWORD) is not None


@pytest.mark.parametrize("pk", ["999999", "abc", "-1", "99999999999999999999999"])
def test_a_new_password_for_no_such_user_answers_404(client, login, session, pk):
    login("Admin")
    g.pop("_login_user", None)
    answer = client.post(f"/resetpassword/form?pk={pk}", data={
        "password": NEW_PASSWORD, "conf_password": NEW_PASSWORD})
    assert answer.status_code == 404
    assert "Пароль изменен" not in answer.get_data(as_text=True)


def test_an_admin_setting_a_password_with_a_nul_byte_is_refused_naming_the_field(
        client, login, make_user, app):
    user = make_user("Manager", "anna")
    login("Admin")
    answer = client.post(f"/resetpassword/form?pk={user.id}",
                         data={"password": "Good-pass\x00word-1",
                               "conf_password": "Good-pass\x00word-1"})
    assert answer.status_code == 400 and "password" in answer.get_data(as_text=True)
    assert app.appbuilder.sm.auth_user_db("anna", PASSWORD) is not None
