"""The admin's screens: one Administration menu, users in the CRM's words, stages, first start."""

import logging
from datetime import datetime, timedelta

import pytest
from flask_appbuilder.const import LOGMSG_WAR_SEC_NO_USER
from flask_appbuilder.security.manager import BaseSecurityManager

from tests.helpers import server_now
from tests.helpers_catalogues import visible_text


def _text(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, f"{url} answered {response.status_code}"
    return visible_text(response.get_data(as_text=True))[0]


def _menu(client) -> str:
    html = client.get("/").get_data(as_text=True)
    start, end = html.index('class="nav navbar-nav"'), html.index("navbar-right")
    return visible_text(html[start:end])[0]


def test_the_admin_menu_is_one_administration_menu(client, login):
    login("Admin")
    menu = _menu(client)
    assert "Администрирование" in menu
    for item in ("Пользователи", "Стадии воронки", "Права доступа"):
        assert item in menu, f"{item!r} not in the menu: {menu}"
    for gone in ("Безопасность", "Security", "Статистика", "Statistics", "Настройки",
                 "Базовые права", "Views/Menus"):
        assert gone not in menu, f"{gone!r} still in the menu: {menu}"


def test_fabs_user_statistics_chart_is_gone(app, client, login):
    login("Admin")
    endpoints = {rule.endpoint.split(".")[0] for rule in app.url_map.iter_rules()}
    assert "UserStatsChartView" not in endpoints
    assert client.get("/userstatschartview/chart/").status_code == 404


def test_the_access_rights_page_leads_to_fabs_permission_screens(client, login):
    login("Admin")
    text = _text(client, "/admin/access/")
    for title in ("Роли", "Права", "Экраны и меню", "Права на экраны"):
        assert title in text
    for url in ("/roles/list/", "/permissions/list/", "/viewmenus/list/",
                "/permissionviews/list/"):
        assert client.get(url).status_code == 200, url


def test_the_roles_screen_shows_labels_not_regular_expressions(client, login):
    login("Admin")
    text = _text(client, "/roles/list/")
    assert "Руководитель отдела продаж" in text and "Менеджер" in text
    assert "$" not in text and "can_" not in text, text


def test_head_and_manager_have_no_administration(client, login):
    for role in ("Head", "Manager"):
        login(role)
        menu = _menu(client)
        assert "Администрирование" not in menu, f"{role}: {menu}"
        assert client.get("/users/list/").status_code == 403
        assert client.get("/admin/access/").status_code == 403


def test_the_menu_tells_the_board_from_the_funnel_report(client, login):
    login("Head")
    menu = _menu(client)
    assert "Доска сделок" in menu and "Воронка продаж" in menu
    assert "Воронка" not in menu.replace("Воронка продаж", ""), menu
    client.get("/lang/en")
    menu = _menu(client)
    assert "Deal board" in menu and "Sales funnel" in menu and "Pipeline" not in menu


@pytest.fixture
def team(app, session, make_user, make_company, make_contact):
    """Anna (two companies, a private client, an archived company), locked Boris, an admin."""
    anna = make_user("Manager", "anna")
    anna.first_name, anna.last_name = "Анна", "Петрова"
    anna.last_login = datetime(2026, 11, 26, 9, 5)
    boris = make_user("Head", "boris", active=False)
    boris.fail_login_count = app.config["CRM_LOCKOUT_ATTEMPTS"]
    boris.changed_on = server_now()
    make_company(anna, "Альфа")
    make_company(anna, "Бета")
    make_contact(anna, "Сидорова")
    make_company(anna, "Архивная").archived = True
    session.commit()
    return {"anna": anna, "boris": boris}


def _row(client, username: str) -> str:
    html = client.get("/users/list/").get_data(as_text=True)
    rows = [row for row in html.split("<tr")[1:] if f">{username}<" in row]
    assert len(rows) == 1, f"no single row of {username}"
    return visible_text("<tr" + rows[0].split("</tr>")[0])[0]


def test_the_users_list_speaks_the_admins_language(client, login, team):
    login("Admin")
    header = _text(client, "/users/list/")
    for column in ("ФИО", "Логин", "Роль", "Активный", "Последний вход", "Заблокирован",
                   "Клиенты"):
        assert column in header, column
    anna = _row(client, "anna")
    assert "Петрова Анна" in anna
    assert "Менеджер" in anna and "Да" in anna and "26.11.2026 09:05" in anna
    assert anna.split(" | ")[-1] == "3", anna  # two companies and a private client
    boris = _row(client, "boris")
    assert "Руководитель отдела продаж" in boris and "Нет" in boris
    assert "Заблокирован до" in boris
    for raw in ("True", "False", "[Manager]", "[]", "None"):
        assert raw not in header, raw

    client.get("/lang/en")
    anna = _row(client, "anna")
    assert "Анна Петрова" in anna and "Manager" in anna and "Yes" in anna
    assert "11/26/2026, 9:05 AM" in anna


def test_the_users_list_runs_as_many_queries_for_many_users(
    login, measure, make_user, make_company
):
    login("Admin")
    few = measure("/users/list/")
    for number in range(8):
        user = make_user("Manager", f"extra{number}")
        make_company(user, f"Компания {number}")
    assert measure("/users/list/") == few


def _user_form(role_id: int, **fields) -> dict:
    return {
        "first_name": "Ольга", "last_name": "Смирнова", "username": "olga",
        "email": "olga@example.com", "roles": [str(role_id)], "active": "y",
        "password": "secret-password-1", "conf_password": "secret-password-1", **fields,
    }


def test_the_user_form_is_in_the_admins_language(client, login):
    login("Admin")
    text = _text(client, "/users/add")
    for label in ("Имя", "Фамилия", "Логин", "Эл. почта", "Роль", "Пароль", "Повторите пароль",
                  "Не короче 10 символов, буквы и цифры."):
        assert label in text, label
    for option in ("Администратор", "Руководитель отдела продаж", "Менеджер"):
        assert option in text, option
    for english in ("The user group", "The user role", "Email", "Public", "опредляющая",
                    "Groups"):
        assert english not in text, english


def test_a_user_with_a_bad_email_is_refused(app, client, login, session):
    login("Admin")
    role = app.appbuilder.sm.find_role("Manager")
    response = client.post("/users/add", data=_user_form(role.id, email="not-an-email"))
    assert response.status_code == 200
    assert "Адрес электронной почты указан неверно." in _text_of(response)
    assert app.appbuilder.sm.find_user(username="olga") is None

    response = client.post("/users/add", data=_user_form(role.id))
    assert response.status_code == 302
    olga = app.appbuilder.sm.find_user(username="olga")
    assert [r.name for r in olga.roles] == ["Manager"]
    form = _user_form(role.id, email="not-an-email")
    response = client.post(f"/users/edit/{olga.id}", data=form)
    assert response.status_code == 200
    session.expire_all()
    assert app.appbuilder.sm.find_user(username="olga").email == "olga@example.com"


def _text_of(response) -> str:
    return visible_text(response.get_data(as_text=True))[0]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("first_name", "Оль\x1bга", "Must not contain control characters."),
        ("last_name", "С" * 65, "At most %(max)s characters."),
        ("username", "olga\x07", "Must not contain control characters."),
        ("email", "o" * 400 + "@example.com", "At most %(max)s characters."),
        ("roles", "99999999999999999999", "Choose the user's role."),
    ],
)
def test_the_user_form_refuses_bad_input_naming_the_field(app, client, login, field, value,
                                                          message):
    from flask_babel import force_locale, gettext

    login("Admin")
    role = app.appbuilder.sm.find_role("Manager")
    response = client.post("/users/add", data=_user_form(role.id, **{field: value}))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The message stands in the field's own row of the form.
    row = html.split(f'id="{field}"', 1)[1].split("</tr>", 1)[0]
    with app.test_request_context(), force_locale("ru"):
        expected = gettext(message, max=320 if field == "email" else 64)
    assert expected != message and expected in visible_text(row)[0], visible_text(row)[0]
    assert app.appbuilder.sm.find_user(username="olga") is None


def test_the_user_form_refuses_a_weak_or_unrepeated_password(app, client, login):
    login("Admin")
    role = app.appbuilder.sm.find_role("Manager")
    weak = _user_form(role.id, password="short1", conf_password="short1")
    answer = _text_of(client.post("/users/add", data=weak))
    assert "Пароль должен содержать не меньше 10 символов" in answer
    other = _user_form(role.id, conf_password="secret-password-2")
    assert "Пароли не совпадают." in _text_of(client.post("/users/add", data=other))
    assert app.appbuilder.sm.find_user(username="olga") is None


def test_the_user_form_refuses_a_user_without_a_role(app, client, login):
    login("Admin")
    form = _user_form(0)
    form.pop("roles")
    response = client.post("/users/add", data=form)
    assert response.status_code == 200
    assert "Выберите роль пользователя." in _text_of(response)
    assert app.appbuilder.sm.find_user(username="olga") is None


def test_another_users_page_is_not_called_your_data(client, login, team):
    login("Admin")
    text = _text(client, f"/users/show/{team['anna'].id}")
    assert "Ваши данные" not in text and "Пользователь" in text
    assert "Login Count" not in text and "Failed Login Count" not in text
    assert "Неудачных входов подряд" in text and "26.11.2026 09:05" in text
    assert "Ещё не входил" in _text(client, f"/users/show/{team['boris'].id}")


def test_saving_a_locked_user_unlocks_it(app, client, login, session, team):
    login("Admin")
    boris = team["boris"]
    role = app.appbuilder.sm.find_role("Head")
    form = _user_form(role.id, username="boris", email="boris@example.com")
    response = client.post(f"/users/edit/{boris.id}", data=form)
    assert response.status_code == 302, _text_of(response)
    session.expire_all()
    assert app.appbuilder.sm.find_user(username="boris").fail_login_count == 0


def test_deleting_an_owner_of_records_goes_back_to_the_users(client, login, team):
    login("Admin")
    response = client.post(f"/users/delete/{team['anna'].id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/users/list/")
    assert "За пользователем" in _text(client, "/users/list/")


def test_a_refused_role_deletion_goes_back_to_the_roles(app, client, login, session):
    sm = app.appbuilder.sm
    admin = login("Admin")
    role = sm.add_role("Intern")
    admin.roles.append(role)
    session.commit()
    try:
        client.get("/")
        client.get("/roles/list/")
        response = client.post(f"/roles/delete/{role.id}")
        assert response.headers["Location"].endswith("/roles/list/")
        assert sm.find_role("Intern") is not None
    finally:  # roles outlive the test's clean-up of records
        session.rollback()
        admin.roles.remove(role)
        session.delete(role)
        session.commit()


def test_a_refused_stage_deletion_goes_back_to_the_stages(client, login, make_company, make_deal,
                                                        stage):
    admin = login("Admin")
    client.get("/")  # My day first: FAB's history would send the admin back there
    client.get("/stageview/list/")
    make_deal(admin, company=make_company(admin), stage=stage("cold"))
    response = client.post(f"/stageview/delete/{stage('cold').id}")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/stageview/list/")
    text = _text(client, "/stageview/list/")
    assert "сначала переведите их на другую стадию" in text


# Reassignment: only people who own clients, the choice checked before the preview.


@pytest.fixture
def reassign_team(make_user, make_company):
    leaver = make_user("Manager", "leaver", active=False)
    anna = make_user("Manager", "anna")
    head = make_user("Head", "head")
    make_user("Admin", "sysadmin")
    make_company(leaver, "Альфа")
    return {"leaver": leaver, "anna": anna, "head": head}


def _options(html: str, select_id: str) -> list[str]:
    part = html.split(f'id="{select_id}"', 1)[1].split("</select>", 1)[0]
    return [chunk.split('"', 1)[0] for chunk in part.split('value="')[2:]]


def test_the_reassignment_lists_hold_only_owners_inactive_first(client, login, reassign_team):
    login(user=reassign_team["head"])
    html = client.get("/reassign/").get_data(as_text=True)
    from_ids = _options(html, "from_user")
    to_ids = _options(html, "to_user")
    team = reassign_team
    assert from_ids[0] == str(team["leaver"].id)
    assert set(from_ids) == {str(team[name].id) for name in ("leaver", "anna", "head")}
    assert set(to_ids) == {str(team[name].id) for name in ("anna", "head")}


@pytest.mark.parametrize(
    ("choice", "message"),
    [
        ({}, "Выберите менеджера, который уходит."),
        ({"from_user": "leaver"}, "Выберите менеджера, который принимает клиентов."),
        ({"from_user": "anna", "to_user": "anna"},
         "Уходящий и принимающий менеджер должны быть разными людьми."),
    ],
)
def test_a_bad_choice_is_refused_before_the_preview(client, login, reassign_team, choice,
                                                    message):
    login(user=reassign_team["head"])
    data = {field: str(reassign_team[name].id) for field, name in choice.items()}
    response = client.post("/reassign/", data={**data, "preview": "1"})
    html = response.get_data(as_text=True)
    assert message in visible_text(html)[0]
    assert 'id="reassign-preview"' not in html and 'name="confirm"' not in html


def test_a_good_choice_shows_the_preview_and_the_move_button(client, login, reassign_team):
    login(user=reassign_team["head"])
    data = {"from_user": reassign_team["leaver"].id, "to_user": reassign_team["anna"].id}
    html = client.post("/reassign/", data={**data, "preview": "1"}).get_data(as_text=True)
    assert 'data-kind="companies">1<' in html and 'name="confirm"' in html


# First start: one short block in the server's language, FAB's English warning gone.


def test_ensure_admin_says_how_to_start(app):
    result = app.test_cli_runner().invoke(
        args=["crm", "ensure-admin", "--url", "http://127.0.0.1:5123"]
    )
    assert result.exit_code == 0, result.output
    out = result.output
    assert "CRM: http://127.0.0.1:5123" in out
    assert "Администратор создан. Войдите как 'admin'" in out
    assert "flask --app run crm demo" in out
    assert "flask --app run fab reset-password --username admin" in out
    again = app.test_cli_runner().invoke(args=["crm", "ensure-admin"])
    assert "Пользователи уже есть" in again.output and "'admin'" in again.output
    assert "reset-password --username admin" in again.output


def test_fabs_no_user_warning_is_not_shown(app, caplog):
    with app.app_context(), caplog.at_level(logging.WARNING):
        assert app.appbuilder.sm.count_users() == 0
        BaseSecurityManager.create_db(app.appbuilder.sm)
    assert LOGMSG_WAR_SEC_NO_USER not in caplog.text


def test_make_run_creates_the_admin_with_the_servers_address():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parent.parent / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "crm ensure-admin --url http://$(HOST):$(PORT)" in run


def test_a_lock_after_failed_logins_shows_until_when(app, client, login, team):
    login("Admin")
    boris = _row(client, "boris")
    until = team["boris"].changed_on + timedelta(minutes=app.config["CRM_LOCKOUT_MINUTES"])
    assert until.strftime("%d.%m.%Y %H:%M") in boris
