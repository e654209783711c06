"""New client from a call on the screen: every role, one save, the card next, errors at fields."""

import re

import pytest
from sqlalchemy import func, select

from app.models import Company, Contact, Deal, Task
from tests.helpers import FIRST_CALL_URL as URL
from tests.helpers import first_call_form


def _counts(session) -> tuple:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Company, Contact, Deal, Task))


@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
def test_every_sales_role_opens_the_screen_from_the_menu_and_my_day(client, login, role):
    login(role)
    home = client.get("/").get_data(as_text=True)
    assert 'id="first-call-button"' in home and 'href="/first-call/"' in home
    page = client.get(URL)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Новый клиент со звонка" in html  # the title and the menu entry, in Russian
    for field in ("client_name", "client_inn", "contact_last_name", "contact_birthday",
                  "deal_title", "deal_stage", "call_result", "next_subject", "next_due_at"):
        assert f'id="{field}"' in html, field
    assert ('id="owner"' in html) == (role != "Manager")  # only Head and Admin assign


@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
def test_one_save_writes_everything_and_opens_the_company_card(client, login, session, role):
    user = login(role)
    response = client.post(URL, data=first_call_form())
    assert response.status_code == 302
    company = session.scalars(select(Company)).one()
    assert response.headers["Location"].endswith(f"/companyview/show/{company.id}")
    assert company.owner_id == user.id
    card = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Клиент сохранён" in card and "ООО Вектор" in card
    assert _counts(session) == (1, 1, 1, 2)
    planned = session.scalars(select(Task).where(Task.state == "planned")).one()
    assert planned.company_id == company.id and planned.deal_id is not None


def test_private_person_opens_the_contact_card(client, login, session):
    login("Manager")
    response = client.post(URL, data=first_call_form(kind="person", client_name="", client_inn="",
                                           deal_title="", deal_amount=""))
    person = session.scalars(select(Contact)).one()
    assert response.headers["Location"].endswith(f"/contactview/show/{person.id}")
    assert person.company_id is None and person.status == "potential"
    assert _counts(session) == (0, 1, 0, 2)


@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"contact_email": "anna@"}, "contact_email", "Адрес электронной почты указан неверно"),
    ({"client_inn": "7707083894"}, "client_inn", "ИНН"),
    ({"call_result": ""}, "call_result", "Результат"),
    ({"next_subject": ""}, "next_subject", "Запланируйте следующую задачу"),
    ({"deal_amount": "12abc"}, "deal_amount", "Сумма"),
    ({"contact_last_name": "Сми\x1bрнова"}, "contact_last_name", "управляющие символы"),
    ({"contact_birthday": "99999-01-01"}, "contact_birthday", "дат"),
    ({"next_due_at": "10000-01-01T10:00"}, "next_due_at", "дат"),
])
def test_bad_input_is_shown_at_its_field_and_nothing_is_written(client, login, session,
                                                                changes, field, message):
    login("Manager")
    response = client.post(URL, data=first_call_form(**changes))
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    # The field's group, up to the next group (a date field nests a div of its own).
    group = re.search(rf'<div class="form-group [^"]*has-error[^"]*" id="group-{field}">'
                      r'(.*?)(?=<div class="form-group|</form>)', html, re.S)
    assert group, f"no error shown at {field}"
    assert 'class="help-block field-error">' in group.group(1) and message in group.group(1)
    assert _counts(session) == (0, 0, 0, 0)
    assert 'value="ООО Вектор"' in html  # what was typed is kept


def test_english_screen(client, login):
    login("Manager")
    html = client.get(URL + "?_l_=en").get_data(as_text=True)
    assert "New client from a call" in html and "In a week" in html
    response = client.post(URL + "?_l_=en", data=first_call_form(contact_email="anna@"))
    assert "Not a valid e-mail address." in response.get_data(as_text=True)


def test_head_assigns_a_manager_and_a_manager_cannot(client, login, session, make_user):
    manager = make_user("Manager")
    login("Head")
    client.post(URL, data=first_call_form(owner=str(manager.id)))
    assert session.scalars(select(Company)).one().owner_id == manager.id
    other = login("Manager")
    # Another client: phones and e-mails of its own (the same would be a duplicate).
    response = client.post(URL, data=first_call_form(
        client_name="ООО Другая", client_inn="", client_phone="+7 495 765-43-21",
        client_email="info@drugaya.example", contact_phone="+7 916 765-43-21",
        contact_email="anna@drugaya.example", owner=str(manager.id)))
    assert response.status_code == 302
    assert session.scalars(select(Company).where(Company.name == "ООО Другая")).one(
    ).owner_id == other.id


def test_anonymous_goes_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response.headers["Location"]
    assert client.post(URL, data=first_call_form()).status_code in (302, 400)


def test_user_without_a_sales_role_is_refused(client, make_user, app, session):
    from tests.conftest import PASSWORD

    sm = app.appbuilder.sm
    public = sm.find_role("Public") or sm.add_role("Public")
    user = sm.add_user("nobody", "No", "Body", "nobody@example.com", public, PASSWORD)
    client.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert client.get(URL).status_code in (302, 403)
    assert client.post(URL, data=first_call_form()).status_code in (302, 400, 403)
    assert _counts(session) == (0, 0, 0, 0)
