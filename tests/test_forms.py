"""The rules through the screens: a refused save shows the form again, the message next to
the field at fault, what the user typed kept, and nothing written."""

from datetime import date, timedelta

from app.models import Company, Contact, Deal, Task
from tests.helpers import DUE, count, field_errors, field_value, shown

# --- companies ----------------------------------------------------------------------------


def test_a_company_with_a_bad_inn_is_shown_again_with_the_reason(app, client, login, session):
    login("Manager")
    response = client.post("/companyview/add", data={
        "name": "ООО Ромашка", "inn": "7707083894", "status": "potential",
        "phone": "8 (495) 123-45-67",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "inn") == [
        shown(app, "INN check digits do not match: check the number.")
    ]
    assert field_errors(page, "name") == []
    assert field_value(page, "name") == "ООО Ромашка"  # what was typed is kept
    assert field_value(page, "inn") == "7707083894"
    assert count(session, Company) == 0


def test_a_company_with_letters_in_its_inn_is_refused(app, client, login, session):
    login("Manager")
    response = client.post("/companyview/add", data={
        "name": "ООО Ромашка", "inn": "ИНН 770708", "status": "potential",
    })
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "inn") == [
        shown(app, "INN must have 10 or 12 digits.")
    ]
    assert count(session, Company) == 0


def test_a_valid_company_is_saved_for_its_author_with_a_clean_phone(client, login, session):
    manager = login("Manager")
    response = client.post("/companyview/add", data={
        "name": "ООО Ромашка", "inn": "7707083893", "status": "potential",
        "phone": "8 (495) 123-45-67", "email": "Office@Romashka.RU",
    })
    assert response.status_code == 302
    session.expire_all()
    company = session.query(Company).one()
    assert company.name == "ООО Ромашка"
    assert company.owner_id == manager.id
    assert company.created_by_id == manager.id
    assert company.phone == "+7 495 123-45-67"
    assert company.inn == "7707083893"
    assert company.email == "Office@romashka.ru"
    assert company.status == "potential"


def test_a_lost_company_without_a_reason_is_refused_at_the_reason_field(
    app, client, login, session
):
    login("Manager")
    response = client.post("/companyview/add", data={"name": "ООО Ромашка", "status": "lost"})
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "lost_reason") == [
        shown(app, "Lost reason: say why the client was lost.")
    ]
    assert count(session, Company) == 0


def test_a_company_edit_with_a_bad_email_changes_nothing(
    app, client, login, session, make_company
):
    manager = login("Manager")
    company = make_company(manager, "ООО Ромашка", email="office@romashka.ru")
    company_id, version = company.id, company.version
    response = client.post(f"/companyview/edit/{company_id}", data={
        "name": "ООО Ромашка и партнёры", "status": "active", "email": "office(at)romashka",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "email") == [shown(app, "Not a valid e-mail address.")]
    assert field_value(page, "name") == "ООО Ромашка и партнёры"
    session.expire_all()
    stored = session.get(Company, company_id)
    assert stored.name == "ООО Ромашка"
    assert stored.email == "office@romashka.ru"
    assert stored.version == version


def test_a_valid_company_edit_is_saved(client, login, session, make_company):
    manager = login("Manager")
    company_id = make_company(manager, "ООО Ромашка").id
    response = client.post(f"/companyview/edit/{company_id}", data={
        "name": "ООО Ромашка и партнёры", "status": "active", "email": "sales@romashka.ru",
        "phone": "+7 (916) 123-45-67",
    })
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(Company, company_id)
    assert stored.name == "ООО Ромашка и партнёры"
    assert stored.phone == "+7 916 123-45-67"
    assert stored.owner_id == manager.id


# --- contacts -----------------------------------------------------------------------------


def test_a_contact_born_tomorrow_is_refused(app, client, login, session):
    login("Manager")
    tomorrow = date.today() + timedelta(days=1)
    response = client.post("/contactview/add", data={
        "last_name": "Петрова", "first_name": "Анна", "birthday": tomorrow.isoformat(),
    })
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "birthday") == [
        shown(app, "A birthday cannot be in the future.")
    ]
    assert count(session, Contact) == 0


def test_a_contact_with_a_past_birthday_is_saved_with_its_birthday_key(
    client, login, session
):
    manager = login("Manager")
    response = client.post("/contactview/add", data={
        "last_name": "Петрова", "first_name": "Анна", "birthday": "1985-11-26",
        "mobile_phone": "8 916 123 45 67",
    })
    assert response.status_code == 302
    session.expire_all()
    contact = session.query(Contact).one()
    assert contact.birthday == date(1985, 11, 26)
    assert contact.birthday_key == 1126
    assert contact.mobile_phone == "+7 916 123-45-67"
    assert contact.owner_id == manager.id
    assert contact.status == "potential"  # a person without a company is a private client


# --- deals --------------------------------------------------------------------------------


def test_a_deal_without_a_client_is_refused_at_the_company_field(
    app, client, login, session, stage
):
    login("Manager")
    data = {"title": "Поставка бумаги", "stage": str(stage("cold").id), "amount": "150000",
            "currency": "RUB"}
    response = client.post("/dealview/add", data=data)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "company") == [
        shown(app, "Client: choose the company or the private client of the deal.")
    ]
    assert field_value(page, "title") == "Поставка бумаги"
    assert count(session, Deal) == 0


def test_a_deal_with_its_client_is_saved(client, login, session, stage, make_company):
    manager = login("Manager")
    company_id = make_company(manager).id
    response = client.post("/dealview/add", data={
        "title": "Поставка бумаги", "stage": str(stage("cold").id), "amount": "150000.50",
        "currency": "rub", "company": str(company_id),
    })
    assert response.status_code == 302
    session.expire_all()
    deal = session.query(Deal).one()
    assert deal.company_id == company_id
    assert deal.owner_id == manager.id
    assert str(deal.amount) == "150000.50"
    assert deal.currency == "RUB"


def test_a_deal_with_a_negative_amount_is_refused(app, client, login, session, stage,
                                                  make_company):
    manager = login("Manager")
    response = client.post("/dealview/add", data={
        "title": "Поставка бумаги", "stage": str(stage("cold").id), "amount": "-5",
        "currency": "RUB", "company": str(make_company(manager).id),
    })
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "amount") == [
        shown(app, "The amount cannot be negative.")
    ]
    assert count(session, Deal) == 0


def test_a_deal_amount_typed_the_russian_way_is_accepted(client, login, session, stage,
                                                        make_company):
    manager = login("Manager")
    response = client.post("/dealview/add", data={
        "title": "Поставка бумаги", "stage": str(stage("cold").id), "amount": "150 000,50",
        "currency": "RUB", "company": str(make_company(manager).id),
    })
    assert response.status_code == 302
    session.expire_all()
    assert str(session.query(Deal).one().amount) == "150000.50"


def test_a_deal_moved_to_lost_without_a_reason_is_refused(
    app, client, login, session, stage, make_company, make_deal
):
    manager = login("Manager")
    company = make_company(manager)
    deal = make_deal(manager, company=company)
    deal_id, company_id = deal.id, company.id
    data = {"title": "Поставка", "stage": str(stage("lost").id), "currency": "RUB",
            "company": str(company_id)}
    response = client.post(f"/dealview/edit/{deal_id}", data=data)
    assert response.status_code == 200
    assert field_errors(response.get_data(as_text=True), "lost_reason") == [
        shown(app, "Lost reason: say why the deal was lost.")
    ]
    session.expire_all()
    assert session.get(Deal, deal_id).stage.code == "cold"

    response = client.post(f"/dealview/edit/{deal_id}", data={**data, "lost_reason": "Дорого"})
    assert response.status_code == 302
    session.expire_all()
    stored = session.get(Deal, deal_id)
    assert stored.stage.code == "lost"
    assert stored.closed_at is not None


# --- tasks --------------------------------------------------------------------------------


def test_a_task_linked_to_nothing_is_refused(app, client, login, session):
    login("Manager")
    response = client.post("/taskview/add", data={
        "type": "call", "subject": "Позвонить насчёт договора",
        "due_at": f"{DUE:%Y-%m-%d %H:%M:%S}",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "company") == [
        shown(app, "Link the task to a company, a contact or a deal.")
    ]
    assert field_value(page, "subject") == "Позвонить насчёт договора"
    assert count(session, Task) == 0


def test_a_task_linked_to_a_contact_is_saved(client, login, session, make_contact):
    manager = login("Manager")
    contact_id = make_contact(manager, "Петрова").id
    response = client.post("/taskview/add", data={
        "type": "meeting", "subject": "Встреча в офисе", "due_at": f"{DUE:%Y-%m-%d %H:%M:%S}",
        "contact": str(contact_id),
    })
    assert response.status_code == 302
    session.expire_all()
    task = session.query(Task).one()
    assert task.contact_id == contact_id
    assert task.owner_id == manager.id
    assert task.state == "planned"
    assert task.due_at == DUE
