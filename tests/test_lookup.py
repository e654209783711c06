"""Search-as-you-type selects: what a user finds, in what order, and what a form accepts."""

import pytest
from sqlalchemy import func, select, text

from app.models import Contact, Deal, Task

INN = "7707083893"


def _find(client, kind: str, term: str = "", **params) -> list[str]:
    response = client.get(f"/lookup/{kind}", query_string={"q": term, **params})
    assert response.status_code == 200, response.status_code
    return [row["text"] for row in response.json["results"]]


@pytest.fixture
def two_books(make_user, make_company, make_contact, make_deal):
    """Anna's and Boris's clients; one of Anna's companies is archived."""
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    vector = make_company(anna, "Вектор", inn=INN)
    make_company(anna, "Архивная", archived=True)
    foreign = make_company(boris, "Вектор Бориса")
    person = make_contact(anna, "Петров", company=vector, first_name="Иван")
    stranger = make_contact(boris, "Сидоров", company=foreign)
    deal = make_deal(anna, company=vector, title="Станки")
    other_deal = make_deal(boris, company=foreign, title="Станки Бориса")
    return {"anna": anna, "boris": boris, "vector": vector, "foreign": foreign,
            "person": person, "stranger": stranger, "deal": deal, "other_deal": other_deal}


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


# --- what is found ---------------------------------------------------------------------

def test_a_manager_finds_only_own_records(client, login, two_books):
    login(user=two_books["anna"])
    assert _find(client, "company") == [f"Вектор · {INN}"]
    assert _find(client, "company", "вектор") == [f"Вектор · {INN}"]
    assert _find(client, "contact") == ["Петров Иван · Вектор"]
    assert _find(client, "deal", "станки") == ["Станки · Вектор"]


def test_the_head_finds_everyones_but_never_archived(client, login, two_books):
    login("Head")
    assert _find(client, "company") == [f"Вектор · {INN}", "Вектор Бориса"]
    assert _find(client, "contact") == ["Петров Иван · Вектор", "Сидоров · Вектор Бориса"]
    assert _find(client, "deal", "Станки") == ["Станки · Вектор", "Станки Бориса · Вектор Бориса"]
    assert _find(client, "company", "Архив") == []


def test_at_most_twenty_matches(client, login, make_company):
    manager = login()
    for number in range(25):
        make_company(manager, f"Фирма {number:02}", status="lost", lost_reason="Закрылись")
    found = _find(client, "company", "фирма")
    assert found == [f"Фирма {number:02}" for number in range(20)]


def test_names_starting_with_the_input_come_first(client, login, make_company, make_contact):
    manager = login()
    for name in ("Бета Сервис", "Сервисная компания", "Автосервис", "Сервис"):
        make_company(manager, name)
    assert _find(client, "company", "сервис") == [
        "Сервис", "Сервисная компания", "Автосервис", "Бета Сервис"]
    make_contact(manager, "Иванова", first_name="Мария")
    make_contact(manager, "Мариинская", first_name="Анна")
    assert _find(client, "contact", "мари") == ["Мариинская Анна", "Иванова Мария"]


def test_cyrillic_is_found_whatever_the_case_and_yo(client, login, make_company, make_contact):
    manager = login()
    make_company(manager, "Ёлка")
    make_company(manager, "Щёлковский завод")
    make_company(manager, "ЗАО «Березка»")
    for term in ("ёлка", "ЕЛКА", "елка", "ЁЛКА"):
        assert _find(client, "company", term) == ["Ёлка"], term
    assert _find(client, "company", "щелковский ЗАВОД") == ["Щёлковский завод"]
    assert _find(client, "company", "берёзка") == ["ЗАО «Березка»"]
    make_contact(manager, "Фёдорова", first_name="Алёна")
    assert _find(client, "contact", "федорова алена") == ["Фёдорова Алёна"]


def test_a_company_is_found_by_its_tax_id_and_phone(client, login, make_company):
    manager = login()
    make_company(manager, "Вектор", inn=INN, phone="+7 495 123-45-67")
    make_company(manager, "Ромашка", phone="+7 812 000-00-00")
    assert _find(client, "company", "77070838") == [f"Вектор · {INN}"]
    assert _find(client, "company", "8 495 123 45 67") == [f"Вектор · {INN}"]


@pytest.mark.parametrize("typed", [
    "4951234567", "+7 495 123-45-67", "8 (495) 123-45-67", "+7(495)1234567", "123-45-67",
    "74951234567",
])
def test_a_contact_is_found_by_phone_digits_in_any_format(client, login, make_contact, typed):
    manager = login()
    make_contact(manager, "Петров", phone="+7 495 123-45-67")
    make_contact(manager, "Сидоров", mobile_phone="+7 916 765-43-21")
    assert _find(client, "contact", typed) == ["Петров"]
    assert _find(client, "contact", "916 765 43 21") == ["Сидоров"]


def test_the_company_narrows_contacts_and_deals(client, login, make_company, make_contact,
                                                make_deal):
    manager = login()
    first = make_company(manager, "Первая")
    second = make_company(manager, "Вторая")
    make_contact(manager, "Петров", company=first)
    make_contact(manager, "Павлов", company=second)
    make_deal(manager, company=first, title="Поставка")
    make_deal(manager, company=second, title="Поставка труб")
    assert _find(client, "contact", "П", company=second.id) == ["Павлов · Вторая"]
    assert _find(client, "deal", "", company=first.id) == ["Поставка · Первая"]
    assert len(_find(client, "contact", "П")) == 2


def test_unknown_kind_is_404(client, login):
    login()
    assert client.get("/lookup/task?q=a").status_code == 404
    assert client.get("/lookup/user?q=a").status_code == 404


def test_anonymous_users_are_refused(client, make_user, make_company):
    make_company(make_user(), "Вектор")
    response = client.get("/lookup/company?q=Вектор")
    assert response.status_code in (401, 403)
    assert "Вектор" not in response.get_data(as_text=True)


@pytest.fixture
def trainee(app, session, make_user):
    """A user whose role has no permission at all."""
    sm = app.appbuilder.sm
    role = sm.add_role("Trainee")
    user = make_user("Trainee", "trainee")
    yield user
    session.rollback()
    session.execute(text("DELETE FROM ab_user_role WHERE role_id = :id"), {"id": role.id})
    session.execute(text("DELETE FROM ab_role WHERE id = :id"), {"id": role.id})
    session.commit()


def test_a_user_without_the_permission_is_refused(client, login, trainee, make_company):
    make_company(trainee, "Вектор")
    login(user=trainee)
    response = client.get("/lookup/company?q=Вектор")
    assert response.status_code in (401, 403)
    assert "Вектор" not in response.get_data(as_text=True)


def test_long_or_odd_input_is_harmless(client, login, make_company):
    manager = login()
    make_company(manager, "100% Сервис_1")
    assert _find(client, "company", "100%") == ["100% Сервис_1"]
    assert _find(client, "company", "%") == ["100% Сервис_1"]
    assert _find(client, "company", "_") == ["100% Сервис_1"]
    assert _find(client, "company", "0%С") == []
    assert _find(client, "company", "я" * 5000) == []
    assert _find(client, "contact", "x", company="abc") == []


# --- the forms ---------------------------------------------------------------------------

def test_a_contact_form_refuses_a_company_the_user_may_not_see(client, login, session,
                                                               two_books):
    login(user=two_books["anna"])
    before = _count(session, Contact)
    for refused in (two_books["foreign"].id, "abc", 2_147_483_648):
        response = client.post("/contactview/add", data={
            "last_name": "Чужой", "company": str(refused)})
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "Компания: такая компания не найдена." in page
    assert _count(session, Contact) == before


def test_an_archived_company_is_refused_too(client, login, session, make_company):
    manager = login()
    hidden = make_company(manager, "Архивная", archived=True)
    response = client.post("/contactview/add", data={
        "last_name": "Новый", "company": str(hidden.id)})
    assert "Компания: такая компания не найдена." in response.get_data(as_text=True)
    assert _count(session, Contact) == 0


def test_a_deal_form_refuses_a_foreign_contact(client, login, session, stage, two_books):
    login(user=two_books["anna"])
    before = (_count(session, Deal), _count(session, Task))
    response = client.post("/dealview/add", data={
        "title": "Чужой контакт", "company": str(two_books["vector"].id),
        "contact": str(two_books["stranger"].id), "stage": str(stage().id),
        "currency": "RUB", "next_type": "call", "next_subject": "Позвонить",
        "next_due_at": "2030-01-15 10:00:00"})
    assert response.status_code == 200
    assert "Контакт: такой контакт не найден." in response.get_data(as_text=True)
    assert (_count(session, Deal), _count(session, Task)) == before


def test_a_task_form_refuses_a_foreign_deal(client, login, session, two_books):
    login(user=two_books["anna"])
    response = client.post("/taskview/add", data={
        "type": "call", "subject": "Чужая сделка", "due_at": "2030-01-15 10:00:00",
        "company": str(two_books["vector"].id), "deal": str(two_books["other_deal"].id)})
    assert response.status_code == 200
    assert "Сделка: такая сделка не найдена." in response.get_data(as_text=True)
    assert _count(session, Task) == 0


def test_a_task_form_accepts_own_records(client, login, session, two_books):
    login(user=two_books["anna"])
    response = client.post("/taskview/add", data={
        "type": "call", "subject": "Своя", "due_at": "2030-01-15 10:00:00",
        "company": str(two_books["vector"].id), "contact": str(two_books["person"].id),
        "deal": str(two_books["deal"].id)})
    assert response.status_code == 302
    task = session.scalars(select(Task).filter_by(subject="Своя")).one()
    assert (task.company_id, task.contact_id, task.deal_id) == (
        two_books["vector"].id, two_books["person"].id, two_books["deal"].id)


def test_forms_hold_only_the_chosen_record(client, login, two_books):
    login(user=two_books["anna"])
    deal = two_books["deal"]
    page = client.get(f"/dealview/edit/{deal.id}").get_data(as_text=True)
    assert f'<option value="{two_books["vector"].id}" selected>Вектор · {INN}</option>' in page
    assert 'data-lookup-url="/lookup/company"' in page
    add = client.get("/contactview/add").get_data(as_text=True)
    assert "Вектор" not in add and 'data-lookup-url="/lookup/company"' in add
    person = two_books["person"]
    edit = client.get(f"/contactview/edit/{person.id}").get_data(as_text=True)
    assert f'<option value="{two_books["vector"].id}" selected>Вектор · {INN}</option>' in edit


def test_a_task_edit_form_shows_its_contact_and_deal(client, login, two_books, make_task):
    anna = login(user=two_books["anna"])
    task = make_task(anna, company=two_books["vector"], contact=two_books["person"],
                     deal=two_books["deal"])
    page = client.get(f"/taskview/edit/{task.id}").get_data(as_text=True)
    assert f'<option value="{two_books["person"].id}" selected>Петров Иван · Вектор</option>' \
        in page
    assert f'<option value="{two_books["deal"].id}" selected>Станки · Вектор</option>' in page
    assert "Станки Бориса" not in page
