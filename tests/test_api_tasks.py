"""Tasks through the API: completing with the next task or closing, archiving the last one."""

import pytest

from app.models import Company, Deal, Task
from tests.helpers import LATER, NEXT_TASK, api_login


@pytest.fixture
def covered(make_user, make_company, make_task):
    """A manager's live company whose only planned task is `task`."""
    owner = make_user("Manager")
    company = make_company(owner, "ООО Клиент", status="active")
    task = make_task(owner, company=company, subject="Позвонить директору")
    return {"owner": owner, "company": company, "task": task}


def _complete(client, headers, task_id, body, suffix=""):
    return client.post(f"/api/v1/task/{task_id}/complete{suffix}", headers=headers, json=body)


def test_complete_with_the_next_task(client, make_user, covered, session):
    headers = api_login(client, covered["owner"])
    response = _complete(client, headers, covered["task"].id,
                         {"result": "Договорились о встрече", "next_task": NEXT_TASK})
    assert response.status_code == 200, response.json
    assert response.json["result"]["state"] == "done"
    assert response.json["result"]["result"] == "Договорились о встрече"
    planned = response.json["next_task"]
    assert (planned["state"], planned["company_id"]) == ("planned", covered["company"].id)
    session.expire_all()
    assert session.get(Task, covered["task"].id).done_at is not None
    assert session.get(Task, planned["id"]).subject == NEXT_TASK["subject"]


def test_complete_without_the_next_task_is_refused(client, make_user, covered, session):
    headers = api_login(client, covered["owner"])
    response = _complete(client, headers, covered["task"].id, {"result": "Не дозвонился"})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["next_task"]
    assert "ООО Клиент" in response.json["message"]["next_task"][0]
    session.expire_all()
    assert session.get(Task, covered["task"].id).state == "planned"
    assert session.query(Task).count() == 1


def test_complete_without_next_task_when_another_task_covers(client, make_user, covered,
                                                             make_task):
    headers = api_login(client, covered["owner"])
    make_task(covered["owner"], company=covered["company"], subject="Отправить КП")
    response = _complete(client, headers, covered["task"].id, {"result": "Поговорили"})
    assert response.status_code == 200, response.json
    assert response.json["next_task"] is None


def test_complete_needs_a_result(client, make_user, covered):
    headers = api_login(client, covered["owner"])
    response = _complete(client, headers, covered["task"].id, {"next_task": NEXT_TASK})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["result"]


def test_complete_marking_the_client_lost(client, make_user, covered, session):
    headers = api_login(client, covered["owner"])
    body = {"result": "Отказались", "client_status": "lost"}
    response = _complete(client, headers, covered["task"].id, body)
    assert response.status_code == 422
    assert list(response.json["message"]) == ["lost_reason"]
    response = _complete(client, headers, covered["task"].id,
                         {**body, "lost_reason": "Ушли к конкуренту"})
    assert response.status_code == 200, response.json
    session.expire_all()
    company = session.get(Company, covered["company"].id)
    assert (company.status, company.lost_reason) == ("lost", "Ушли к конкуренту")


def test_complete_closing_the_deal(client, make_user, make_company, make_deal,
                                   make_task, stage, session):
    user = make_user("Manager")
    headers = api_login(client, user)
    company = make_company(user, status="lost", lost_reason="Закрыт")
    deal = make_deal(user, company=company)
    task = make_task(user, company=company, deal=deal)
    lost = stage("lost").id
    response = _complete(client, headers, task.id,
                         {"result": "Отказ", "deal_stage_id": lost})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["lost_reason"]
    response = _complete(client, headers, task.id, {"result": "Подписали",
                                                    "deal_stage_id": stage("won").id})
    assert response.status_code == 200, response.json
    session.expire_all()
    closed = session.get(Deal, deal.id)
    assert closed.stage.code == "won" and closed.closed_at is not None
    assert _complete(client, headers, task.id, {"result": "ещё раз"}).status_code == 422


def test_complete_with_an_unknown_stage_is_refused(client, make_user, make_company,
                                                   make_deal, make_task):
    user = make_user("Manager")
    headers = api_login(client, user)
    company = make_company(user, status="lost", lost_reason="Закрыт")
    deal = make_deal(user, company=company)
    task = make_task(user, company=company, deal=deal)
    response = _complete(client, headers, task.id, {"result": "x", "deal_stage_id": 999999})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["deal_stage_id"]


def test_cancel_with_the_next_task(client, make_user, covered, session):
    headers = api_login(client, covered["owner"])
    response = _complete(client, headers, covered["task"].id,
                         {"cancel": True, "next_task": NEXT_TASK})
    assert response.status_code == 200, response.json
    assert response.json["result"]["state"] == "cancelled"


def test_complete_a_foreign_task_answers_404(client, make_user, covered, session):
    headers = api_login(client, make_user("Manager"))
    response = _complete(client, headers, covered["task"].id,
                         {"result": "Чужая", "next_task": NEXT_TASK})
    assert response.status_code == 404
    session.expire_all()
    assert session.get(Task, covered["task"].id).state == "planned"


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_head_and_admin_complete_any_task(client, make_user, covered, role):
    headers = api_login(client, make_user(role))
    response = _complete(client, headers, covered["task"].id,
                         {"result": "Сделано", "next_task": NEXT_TASK})
    assert response.status_code == 200, response.json
    assert response.json["next_task"]["owner_id"] == covered["owner"].id


def test_complete_refuses_a_bad_body(client, make_user, covered):
    headers = api_login(client, covered["owner"])
    response = _complete(client, headers, covered["task"].id, {
        "result": 5, "client_status": "active", "next_task": {"subject": ""}, "extra": 1})
    assert response.status_code == 422
    assert set(response.json["message"]) == {"result", "client_status", "next_task", "extra"}
    assert client.post(f"/api/v1/task/{covered['task'].id}/complete", headers=headers,
                       data="x").status_code == 400


def test_complete_message_in_english_on_request(client, make_user, covered):
    headers = api_login(client, covered["owner"])
    response = _complete(client, headers, covered["task"].id, {"result": "x"}, "?_l_=en")
    assert response.status_code == 422
    assert response.json["message"]["next_task"][0].startswith("Plan the next task")


# ---- archiving tasks ----

def test_last_planned_task_of_a_live_client_cannot_be_archived(client, make_user, covered,
                                                               session):
    headers = api_login(client, covered["owner"])
    response = client.delete(f"/api/v1/task/{covered['task'].id}", headers=headers)
    assert response.status_code == 422
    assert list(response.json["message"]) == ["next_task"]
    session.expire_all()
    assert not session.get(Task, covered["task"].id).archived


def test_a_task_with_a_sibling_can_be_archived(client, make_user, covered, make_task, session):
    headers = api_login(client, covered["owner"])
    make_task(covered["owner"], company=covered["company"], subject="Второй звонок")
    response = client.delete(f"/api/v1/task/{covered['task'].id}", headers=headers)
    assert response.status_code == 200, response.json
    session.expire_all()
    assert session.get(Task, covered["task"].id).archived


def test_last_task_cannot_be_moved_to_another_client(client, make_user, covered, make_company,
                                                     session):
    headers = api_login(client, covered["owner"])
    other = make_company(covered["owner"], "ООО Другая", status="lost", lost_reason="x")
    response = client.put(f"/api/v1/task/{covered['task'].id}", headers=headers,
                          json={"company_id": other.id})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["next_task"]
    session.expire_all()
    assert session.get(Task, covered["task"].id).company_id == covered["company"].id


def test_task_fields_change(client, make_user, covered):
    headers = api_login(client, covered["owner"])
    response = client.put(f"/api/v1/task/{covered['task'].id}", headers=headers,
                          json={"subject": "Позвонить бухгалтеру", "type": "email",
                                "due_at": LATER.isoformat()})
    assert response.status_code == 200, response.json
    result = response.json["result"]
    assert (result["subject"], result["type"]) == ("Позвонить бухгалтеру", "email")
    response = client.put(f"/api/v1/task/{covered['task'].id}", headers=headers,
                          json={"state": "done"})
    assert response.status_code == 422
    assert list(response.json["message"]) == ["state"]
