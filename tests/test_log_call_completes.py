"""The call typed on the card completes the card's next task: the dialog's work in one line."""

import pytest
from sqlalchemy import select

from app.models import Task
from app.services.errors import ValidationError
from app.services.rules.followup import NextTask, NextTaskRequired
from app.services.rules.log_call import CallNote, log_call
from tests.helpers import DUE, api_login


@pytest.fixture
def olga(make_user):
    return make_user("Manager", "olga")


@pytest.fixture
def company(olga, make_company):
    return make_company(olga, "Северный Ветер")


@pytest.fixture
def first(olga, company, make_task):
    return make_task(olga, company=company, subject="Первый звонок")


def _tasks(session, company) -> list[Task]:
    session.expire_all()
    return list(session.scalars(select(Task).where(Task.company_id == company.id)
                                .order_by(Task.id)))


def test_the_call_completes_the_next_task_and_plans_another(session, olga, company, first):
    logged = log_call(session, olga, company, CallNote(
        result="Просят КП", next_task=NextTask(subject="Отправить КП", due_at=DUE),
        completes=first.id))
    tasks = _tasks(session, company)
    assert [(t.subject, t.state) for t in tasks] == [("Первый звонок", "done"),
                                                     ("Отправить КП", "planned")]
    assert tasks[0].result == "Просят КП" and tasks[0].done_by_id == olga.id
    assert logged.call.id == first.id and logged.next_task.subject == "Отправить КП"


def test_completing_the_last_task_without_a_next_one_is_refused(session, olga, company,
                                                                first):
    with pytest.raises(NextTaskRequired):
        log_call(session, olga, company, CallNote(result="Просят КП", completes=first.id))
    assert [t.state for t in _tasks(session, company)] == ["planned"]


def test_a_task_of_another_card_is_not_completed_from_this_one(
        session, olga, company, make_company, make_task):
    other = make_company(olga, "Южный Ветер")
    foreign = make_task(olga, company=other, subject="Чужая карточка")
    with pytest.raises(ValidationError) as refused:
        log_call(session, olga, company, CallNote(
            result="Просят КП", next_task=NextTask(subject="Отправить КП", due_at=DUE),
            completes=foreign.id))
    assert refused.value.field == "completes"
    session.expire_all()
    assert session.get(Task, foreign.id).state == "planned"


def test_the_card_form_completes_the_next_task(client, login, session, olga, company, first):
    login(user=olga)
    page = client.get(f"/companyview/show/{company.id}").get_data(as_text=True)
    assert "Первый звонок" in page and 'name="call-completes"' in page
    answer = client.post(f"/companyview/log-call/{company.id}", data={
        "call-result": "Договорились о встрече", "call-next_type": "meeting",
        "call-next_subject": "Встреча в офисе", "call-next_due_at": "2030-01-10T10:00",
        "call-completes": "y", "call-completes_id": str(first.id)})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/companyview/show/{company.id}")
    tasks = _tasks(session, company)
    assert [(t.subject, t.state) for t in tasks] == [("Первый звонок", "done"),
                                                     ("Встреча в офисе", "planned")]


def test_unticked_the_card_form_adds_a_separate_call(client, login, session, olga, company,
                                                     first):
    login(user=olga)
    client.post(f"/companyview/log-call/{company.id}", data={
        "call-result": "Уточнили адрес", "call-next_type": "call",
        "call-next_subject": "Перезвонить", "call-next_due_at": "2030-01-10T10:00",
        "call-completes_id": str(first.id)})
    states = sorted(t.state for t in _tasks(session, company))
    assert states == ["done", "planned", "planned"]


def test_the_api_completes_the_task_it_names(client, session, olga, company, first):
    headers = api_login(client, olga)
    answer = client.post(f"/api/v1/company/{company.id}/log-call", headers=headers, json={
        "result": "Просят КП", "completes": first.id,
        "next_task": {"type": "call", "subject": "Отправить КП",
                      "due_at": "2030-01-10T10:00:00"}})
    assert answer.status_code == 201, answer.get_json()
    assert answer.get_json()["call_id"] == first.id
    assert [t.state for t in _tasks(session, company)] == ["done", "planned"]


def test_the_api_refuses_a_bad_task_id_naming_the_field(client, olga, company, first):
    headers = api_login(client, olga)
    answer = client.post(f"/api/v1/company/{company.id}/log-call", headers=headers, json={
        "result": "Просят КП", "completes": 10**15})
    assert answer.status_code == 422 and "completes" in answer.get_json()["message"]
