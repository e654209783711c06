"""One range of dates for every entry point, and planned tasks due from now on.

Years 1900..2100 for every date and time (forms, API, import, board); a task being
planned (a first task, a next task, a new task or a moved due time) is not due in the
past, give or take five minutes. An overdue task may still be edited if its due time
stays where it was.
"""

from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.models import Company, Contact, Deal, Task
from app.models.mixins import local_now
from app.services.errors import ValidationError
from app.services.io import importer
from app.services.rules import followup
from app.services.rules import validation as v
from tests.helpers import NEXT_TASK, api_login

FORM_TIME = "%Y-%m-%dT%H:%M"


def _count(session, model, **where) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model).filter_by(**where))


def _past() -> datetime:
    return local_now() - timedelta(hours=2)


def _future() -> datetime:
    return (local_now() + timedelta(days=3)).replace(second=0, microsecond=0)


# --- the range of years ----------------------------------------------------------------


@pytest.mark.parametrize("due", ("0001-01-01T00:00", "1899-12-31T23:59", "2101-01-01T00:00"))
def test_task_form_refuses_a_year_out_of_range_and_the_api_keeps_answering(
        client, login, session, make_company, due):
    manager = login("Manager")
    company = make_company(manager)
    response = client.post("/taskview/add", data={
        "type": "call", "subject": "Древний звонок", "due_at": due, "company": str(company.id)})
    assert response.status_code == 200
    assert "1900" in response.get_data(as_text=True)
    assert _count(session, Task) == 0


def test_api_lists_a_task_stored_at_year_one_before_the_checks(client, make_user, make_company,
                                                               make_task):
    user = make_user("Manager")
    task = make_task(user, company=make_company(user), due_at=datetime(1, 1, 1))
    headers = api_login(client, user)
    assert client.get(f"/api/v1/task/{task.id}", headers=headers).status_code == 200
    assert client.get("/api/v1/task/", headers=headers).status_code == 200


@pytest.mark.parametrize(("resource", "body", "field"), (
    ("task", {"subject": "Звонок", "due_at": "2101-01-01T10:00:00"}, "due_at"),
    ("task", {"subject": "Звонок", "due_at": "0001-01-01T00:00:00"}, "due_at"),
    ("contact", {"last_name": "Старый", "birthday": "1899-12-31"}, "birthday"),
    ("deal", {"title": "Вечная", "expected_close_date": "2101-01-01"}, "expected_close_date"),
))
def test_api_refuses_a_year_out_of_range_naming_the_field(client, make_user, make_company,
                                                          stage, session, resource, body,
                                                          field):
    user = make_user("Manager")
    company = make_company(user)
    headers = api_login(client, user)
    links = {"task": {"company_id": company.id}, "contact": {"company_id": company.id},
             "deal": {"company_id": company.id, "stage_id": stage().id,
                      "next_task": NEXT_TASK}}[resource]
    response = client.post(f"/api/v1/{resource}/", headers=headers, json={**body, **links})
    assert response.status_code == 422, response.json
    assert list(response.json["message"]) == [field]
    assert _count(session, Task) == 0 and _count(session, Deal) == 0


def test_the_range_is_the_same_in_the_service(make_user):
    with pytest.raises(ValidationError) as refused:
        v.check_date_range(datetime(1899, 12, 31), "due_at", "Due")
    assert refused.value.field == "due_at" and "1900" in str(refused.value)
    assert v.check_date_range(datetime(2100, 12, 31, 23, 59), "due_at", "Due")


def test_contact_form_refuses_a_birthday_before_1900(client, login, session, make_company):
    manager = login("Manager")
    company = make_company(manager)
    response = client.post("/contactview/add", data={
        "last_name": "Старожилов", "company": str(company.id), "birthday": "1899-12-31"})
    assert response.status_code == 200
    assert _count(session, Contact) == 0


def test_import_rejects_a_row_with_a_year_out_of_range(app, session, make_user):
    anna = make_user("Manager", "anna")
    text = ("Фамилия;Дата рождения\n"
            "Старожилов;31.12.1899\n"
            "Молодов;01.01.1990\n")
    table = importer.read_table(text.encode(), "people.csv")
    with app.test_request_context(), force_locale("en"):
        mapping = importer.auto_mapping("contact", table.headers, anna)
        result = importer.plan(session, anna, "contact", table, mapping)
    assert [row.action for row in result.rows] == ["reject", "create"]
    assert "1900" in result.rows[0].messages[0]


# --- planned tasks are due from now on ---------------------------------------------------


def test_build_task_refuses_a_past_due_time_and_allows_a_few_minutes(make_user):
    user = make_user("Manager")
    with pytest.raises(ValidationError) as refused:
        followup.build_task(user, followup.NextTask(subject="Позвонить", due_at=_past()))
    assert refused.value.field == "next_due_at"
    moment = local_now() - timedelta(minutes=2)
    task = followup.build_task(user, followup.NextTask(subject="Позвонить", due_at=moment))
    assert task.due_at == moment


def test_complete_dialog_refuses_a_next_task_in_the_past(client, login, session, make_company,
                                                        make_task):
    manager = login("Manager")
    company = make_company(manager)
    task = make_task(manager, company=company)
    response = client.post(f"/taskview/complete/{task.id}", data={
        "outcome": "done", "result": "Поговорили", "next_type": "call",
        "next_subject": "Перезвонить", "next_due_at": _past().strftime(FORM_TIME)})
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Task, task.id).state == "planned"
    assert _count(session, Task) == 1


def test_api_complete_refuses_a_next_task_in_the_past(client, make_user, make_company,
                                                      make_task, session):
    user = make_user("Manager")
    company = make_company(user)
    task = make_task(user, company=company)
    headers = api_login(client, user)
    response = client.post(f"/api/v1/task/{task.id}/complete", headers=headers, json={
        "result": "Поговорили",
        "next_task": {"subject": "Перезвонить", "due_at": _past().isoformat()}})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["next_task"]
    session.expire_all()
    assert session.get(Task, task.id).state == "planned"


def test_new_company_form_refuses_a_first_task_in_the_past(client, login, session):
    login("Manager")
    response = client.post("/companyview/add", data={
        "name": "ООО Вчера", "status": "active", "next_type": "call",
        "next_subject": "Позвонить", "next_due_at": _past().strftime(FORM_TIME)})
    assert response.status_code == 200
    assert _count(session, Company) == 0 and _count(session, Task) == 0


def test_api_refuses_a_first_task_in_the_past(client, make_user, session):
    user = make_user("Manager")
    headers = api_login(client, user)
    response = client.post("/api/v1/company/", headers=headers, json={
        "name": "ООО Вчера", "status": "active",
        "next_task": {"subject": "Позвонить", "due_at": _past().isoformat()}})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["next_task"]
    assert _count(session, Company) == 0


def test_task_form_refuses_a_new_task_in_the_past(client, login, session, make_company):
    manager = login("Manager")
    company = make_company(manager)
    response = client.post("/taskview/add", data={
        "type": "call", "subject": "Вчерашний звонок", "due_at": _past().strftime(FORM_TIME),
        "company": str(company.id)})
    assert response.status_code == 200
    assert _count(session, Task) == 0


def test_an_overdue_task_is_edited_while_its_due_time_stays(client, login, session,
                                                            make_company, make_task):
    manager = login("Manager")
    company = make_company(manager)
    due = _past()
    task = make_task(manager, company=company, due_at=due)
    response = client.post(f"/taskview/edit/{task.id}", data={
        "type": "call", "subject": "Позвонить ещё раз", "due_at": due.strftime(FORM_TIME),
        "company": str(company.id)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Task, task.id).subject == "Позвонить ещё раз"
    earlier = (due - timedelta(days=1)).strftime(FORM_TIME)
    response = client.post(f"/taskview/edit/{task.id}", data={
        "type": "call", "subject": "Передвинуть", "due_at": earlier,
        "company": str(company.id)})
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Task, task.id).subject == "Позвонить ещё раз"
    response = client.post(f"/taskview/edit/{task.id}", data={
        "type": "call", "subject": "Передвинуть", "due_at": _future().strftime(FORM_TIME),
        "company": str(company.id)})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Task, task.id).due_at == _future()


def test_api_moves_an_overdue_task_only_forward(client, make_user, make_company, make_task,
                                                session):
    user = make_user("Manager")
    company = make_company(user)
    task = make_task(user, company=company, due_at=_past())
    headers = api_login(client, user)
    response = client.put(f"/api/v1/task/{task.id}", headers=headers,
                          json={"subject": "Без переноса"})
    assert response.status_code == 200, response.json
    response = client.put(f"/api/v1/task/{task.id}", headers=headers,
                          json={"due_at": (_past() - timedelta(days=1)).isoformat()})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["due_at"]


def test_board_move_refuses_a_next_task_in_the_past(client, login, session, make_company,
                                                    make_deal, stage):
    manager = login("Manager")
    company = make_company(manager)
    deal = make_deal(manager, company=company)
    response = client.post(f"/pipeline/move/{deal.id}", data={
        "stage_id": stage("proposal").id, "next_type": "call", "next_subject": "Позвонить",
        "next_due_at": _past().strftime("%Y-%m-%d %H:%M:%S")})
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Deal, deal.id).stage.code == "cold"
    assert _count(session, Task) == 0


def test_import_rejects_a_first_task_in_the_past_in_the_dry_run(app, session, make_user):
    anna = make_user("Manager", "anna")
    past = _past().strftime("%d.%m.%Y %H:%M")
    future = _future().strftime("%d.%m.%Y %H:%M")
    text = ("Название;Статус;Задача;Срок\n"
            f"Альфа;Активный;Позвонить;{past}\n"
            f"Бета;Активный;Позвонить;{future}\n")
    table = importer.read_table(text.encode(), "companies.csv")
    with app.test_request_context(), force_locale("en"):
        mapping = importer.auto_mapping("company", table.headers, anna)
        result = importer.run(session, anna, "company", table, mapping)
    assert [row.action for row in result.rows] == ["reject", "create"]
    assert "passed" in result.rows[0].messages[0]
    assert _count(session, Company) == 1 and _count(session, Task) == 1
