"""Every user's own profile ("Profile" in the user menu): their data, password, language."""

import pytest
from flask import g

from tests.helpers import PASSWORD

ROLES = ["Manager", "Head", "Admin"]


def _get(client, url: str, **kwargs):
    g.pop("_login_user", None)
    return client.get(url, **kwargs)


@pytest.mark.parametrize("role", ROLES)
def test_the_profile_link_opens_ones_own_data(client, login, make_user, role):
    other = make_user("Manager", "boris")
    user = login(role, "olga")
    home = _get(client, "/", follow_redirects=True).get_data(as_text=True)
    assert 'href="/users/userinfo/"' in home and "Профиль" in home

    page = _get(client, "/users/userinfo/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "Мой профиль" in body
    assert user.username in body and user.email in body
    assert other.username not in body and other.email not in body
    # Its buttons: change the password, edit one's name.
    assert "/users/action/resetmypassword/" in body and "/users/action/userinfoedit/" in body


@pytest.mark.parametrize("role", ROLES)
def test_the_profile_speaks_english_after_switching(client, login, role):
    user = login(role)
    assert _get(client, "/lang/en").status_code == 302
    page = _get(client, "/users/userinfo/")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert "My profile" in body and "Мой профиль" not in body and user.email in body
    assert "Profile" in body


@pytest.mark.parametrize("role", ROLES)
def test_the_profile_buttons_lead_to_ones_own_forms(client, login, role):
    user = login(role)
    for action, form in (("resetmypassword", "/resetmypassword/form"),
                         ("userinfoedit", "/userinfoeditview/form")):
        g.pop("_login_user", None)
        answer = client.post(f"/users/action/{action}/{user.id}")  # the button's form
        assert answer.status_code == 302 and answer.location.startswith(form)
        assert _get(client, form).status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_everyone_edits_their_own_name(client, login, session, role):
    user = login(role)
    g.pop("_login_user", None)
    answer = client.post("/userinfoeditview/form",
                         data={"first_name": "Новое", "last_name": "Имя"})
    assert answer.status_code == 302
    session.expire_all()
    assert (user.first_name, user.last_name) == ("Новое", "Имя")


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_sales_roles_see_no_other_account(client, login, make_user, role):
    other = make_user("Manager", "boris")
    login(role)
    assert _get(client, f"/users/show/{other.id}").status_code == 403
    assert _get(client, "/users/list/").status_code == 403
    assert _get(client, f"/resetpassword/form?pk={other.id}").status_code == 403


def test_an_admin_looking_at_another_account_is_not_told_it_is_theirs(client, login,
                                                                       make_user):
    other = make_user("Manager", "boris")
    login("Admin")
    page = _get(client, f"/users/show/{other.id}")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert other.email in body
    assert "Ваши данные" not in body and "Мой профиль" not in body
    assert "Пользователь" in body


def test_the_password_of_the_profile_is_checked_against_the_current_one(client, login, app):
    user = login("Head")
    g.pop("_login_user", None)
    answer = client.post("/resetmypassword/form", data={
        "current_password": PASSWORD, "password": "Brand-new-pass-7",
        "conf_password": "Brand-new-pass-7"})
    assert answer.status_code == 302
    assert app.appbuilder.sm.auth_user_db(user.username, "Brand-new-pass-7") is not None
