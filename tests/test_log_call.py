"""Log a call from the card: the call done with its result, the next task planned, at once."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import Task
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound
from app.services.rules.followup import NextTask, NextTaskRequired
from app.services.rules.log_call import CallNote, log_call
from tests.helpers import DUE, NEXT_TASK, api_login, in_parallel


def _tasks(session, **links) -> list[Task]:
    session.expire_all()
    return list(session.scalars(select(Task).filter_by(**links).order_by(Task.id)))


def _count(session) -> int:
    return session.scalar(select(func.count(Task.id)))


@pytest.fixture
def olga(make_user):
    return make_user("Manager", "olga")


@pytest.fixture
def ivan(make_user):
    return make_user("Manager", "ivan")


@pytest.fixture
def company(olga, make_company, make_task):
    company = make_company(olga, "Северный Ветер")
    make_task(olga, company=company, subject="Первый звонок")
    return company


# ---- the service ----

def test_log_call_saves_the_call_done_and_plans_the_next(session, olga, company):
    logged = log_call(session, olga, company, CallNote(
        result="Просят КП до пятницы",
        next_task=NextTask(subject="Отправить КП", due_at=DUE)))
    call, planned = logged.call, logged.next_task
    assert (call.state, call.type, call.result) == ("done", "call", "Просят КП до пятницы")
    assert call.done_at is not None and call.owner_id == olga.id
    assert call.done_by_id == olga.id
    assert (planned.state, planned.subject, planned.due_at) == ("planned", "Отправить КП", DUE)
    assert call.company_id == planned.company_id == company.id


def test_log_call_on_a_deal_links_its_client(session, olga, make_deal, make_task, company):
    deal = make_deal(olga, company=company)
    make_task(olga, deal=deal, company=company)
    logged = log_call(session, olga, deal, CallNote(result="Согласовали объём"))
    assert (logged.call.deal_id, logged.call.company_id) == (deal.id, company.id)
    assert logged.next_task is None  # the deal's planned task still covers it


def test_log_call_needs_a_result(session, olga, company):
    before = _count(session)
    with pytest.raises(DomainError) as refused:
        log_call(session, olga, company, CallNote(result="  ", next_task=NextTask(
            subject="Перезвонить", due_at=DUE)))
    assert refused.value.field == "result"
    assert _count(session) == before


def test_log_call_refuses_to_leave_a_live_client_without_a_next_task(
        session, olga, make_company):
    lonely = make_company(olga, "Без задач")  # in the queue: no planned task
    with pytest.raises(NextTaskRequired):
        log_call(session, olga, lonely, CallNote(result="Поговорили"))
    assert _tasks(session, company_id=lonely.id) == []


def test_log_call_refuses_a_past_next_task(session, olga, company):
    before = _count(session)
    with pytest.raises(DomainError) as refused:
        log_call(session, olga, company, CallNote(result="Поговорили", next_task=NextTask(
            subject="Перезвонить", due_at=local_now() - timedelta(days=2))))
    assert refused.value.field == "next_due_at"
    assert _count(session) == before


def test_a_manager_cannot_log_a_call_on_another_ones_client(session, ivan, company):
    with pytest.raises(NotFound):
        log_call(session, ivan, company, CallNote(result="Звонил"))


def test_head_logs_a_call_on_a_managers_client_for_that_manager(session, make_user, olga,
                                                                company):
    head = make_user("Head", "boss")
    logged = log_call(session, head, company, CallNote(
        result="Клиент звонил шефу", next_task=NextTask(subject="Перезвонить", due_at=DUE)))
    assert logged.call.owner_id == logged.next_task.owner_id == olga.id
    assert logged.call.created_by_id == head.id


def test_log_call_on_a_contact_person_covers_its_company(session, olga, company,
                                                         make_contact):
    person = make_contact(olga, "Смирнова", company=company)
    logged = log_call(session, olga, person, CallNote(
        result="Анна в отпуске", next_task=NextTask(subject="Позвонить Анне", due_at=DUE)))
    assert (logged.call.contact_id, logged.call.company_id) == (person.id, company.id)
    assert logged.next_task.contact_id == person.id


# ---- the card's form ----

def _form(**changes) -> dict:
    data = {"call-result": "Просят КП", "call-next_type": "call",
            "call-next_subject": "Отправить КП",
            "call-next_due_at": DUE.strftime("%Y-%m-%dT%H:%M")}
    data.update(changes)
    return data


def test_the_card_form_logs_the_call_and_comes_back(client, login, session, olga, company):
    login(user=olga)
    response = client.post(f"/companyview/log-call/{company.id}", data=_form())
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/companyview/show/{company.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Просят КП" in page and "Отправить КП" in page
    done = [t for t in _tasks(session, company_id=company.id) if t.state == "done"]
    assert [t.result for t in done] == ["Просят КП"]


def test_a_refused_call_keeps_what_was_typed_and_writes_nothing(client, login, session,
                                                                 olga, make_company):
    login(user=olga)
    lonely = make_company(olga, "Без задач")
    response = client.post(f"/companyview/log-call/{lonely.id}",
                           data=_form(**{"call-next_subject": ""}))
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Без задач" in page and 'value="Просят КП"' in page
    assert "alert-danger" in page
    assert _tasks(session, company_id=lonely.id) == []


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_head_and_admin_log_calls_on_any_card(client, login, session, olga, company, role):
    login(role)
    response = client.post(f"/companyview/log-call/{company.id}", data=_form())
    assert response.status_code == 302
    assert len(_tasks(session, company_id=company.id, state="done")) == 1


def test_log_call_is_a_post_only(client, login, olga, company):
    login(user=olga)
    assert client.get(f"/companyview/log-call/{company.id}").status_code == 405


# ---- the API ----

def test_api_logs_a_call(client, session, olga, company):
    headers = api_login(client, olga)
    response = client.post(f"/api/v1/company/{company.id}/log-call", headers=headers,
                           json={"result": "Просят КП", "next_task": NEXT_TASK})
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    call, planned = session.get(Task, body["call_id"]), session.get(Task, body["next_task_id"])
    assert (call.state, call.result, planned.subject) == ("done", "Просят КП",
                                                          NEXT_TASK["subject"])


@pytest.mark.parametrize("resource", ["company", "deal", "contact"])
def test_api_answers_404_for_another_managers_record(client, session, ivan, olga, company,
                                                     make_deal, make_contact, resource):
    records = {"company": company, "deal": make_deal(olga, company=company),
               "contact": make_contact(olga, "Смирнова", company=company)}
    before = _count(session)
    response = client.post(f"/api/v1/{resource}/{records[resource].id}/log-call",
                           headers=api_login(client, ivan), json={"result": "Звонил"})
    assert response.status_code == 404
    assert _count(session) == before


def test_api_refusals_name_the_field(client, session, olga, make_company):
    lonely = make_company(olga, "Без задач")
    headers = api_login(client, olga)
    url = f"/api/v1/company/{lonely.id}/log-call"
    missing = client.post(url, headers=headers, json={"next_task": NEXT_TASK})
    assert missing.status_code == 422 and "result" in missing.get_json()["message"]
    uncovered = client.post(url, headers=headers, json={"result": "Поговорили"})
    assert uncovered.status_code == 422
    assert "next_task" in uncovered.get_json()["message"]
    english = client.post(url + "?_l_=en", headers=headers, json={"result": "Talked"})
    assert "Plan the next task" in english.get_json()["message"]["next_task"][0]
    assert _tasks(session, company_id=lonely.id) == []


# ---- two writes at once ----

def test_log_call_and_completing_the_last_task_at_once_keep_a_planned_task(
        app, client, session, olga, company):
    headers = api_login(client, olga)
    last = _tasks(session, company_id=company.id, state="planned")[0]
    requests = [
        (f"/api/v1/company/{company.id}/log-call", {"result": "Звонок без плана"}),
        (f"/api/v1/task/{last.id}/complete", {"result": "Отменили", "cancel": True}),
    ]
    # Each thread takes one of the two requests (list.pop is atomic).
    answers = in_parallel(app, 2, lambda c: _send(c, headers, requests.pop()))
    assert all(code < 500 for code in answers), answers
    # Whatever came first, the client still has a planned task.
    assert _tasks(session, company_id=company.id, state="planned")


def test_two_calls_logged_at_once_are_both_saved(app, client, session, olga, company):
    headers = api_login(client, olga)
    request = (f"/api/v1/company/{company.id}/log-call",
               {"result": "Звонок", "next_task": NEXT_TASK})
    answers = in_parallel(app, 2, lambda c: _send(c, headers, request))
    # Both are saved, or one waited too long for SQLite's lock and was told to retry.
    assert sorted(answers) in ([201, 201], [201, 422]), answers
    saved = answers.count(201)
    assert len(_tasks(session, company_id=company.id, state="done")) == saved
    assert len(_tasks(session, company_id=company.id, state="planned")) == 1 + saved


def _send(client, headers, request) -> int:
    url, body = request
    return client.post(url, headers=headers, json=body).status_code
