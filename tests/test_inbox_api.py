"""/api/v1/inbox/: scoped like the screen; accept as a new or existing client; decline."""

import pytest
from sqlalchemy import select

from app.models import Company, InboxItem, Task
from app.services.rules import intake
from app.services.rules.visibility import SYSTEM
from tests.helpers import NEXT_TASK, api_login, count


def receive(session, n=1, **changes) -> InboxItem:
    data = {"name": "Ольга Ветрова", "company": "ООО Лето", "phone": f"+7 916 555-12-{n:02d}",
            "message": "Нужна бумага"}
    data.update(changes)
    return intake.receive(session, SYSTEM, intake.Lead(**data))


def test_a_manager_lists_and_gets_own_leads_only(client, session, make_user):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    mine, theirs = receive(session, 1), receive(session, 2)
    headers = api_login(client, anna)
    listed = client.get("/api/v1/inbox/", headers=headers).get_json()
    assert [item["id"] for item in listed["result"]] == [mine.id]
    assert listed["new_count"] == 1
    assert client.get(f"/api/v1/inbox/{mine.id}", headers=headers).status_code == 200
    assert client.get(f"/api/v1/inbox/{theirs.id}", headers=headers).status_code == 404
    refused = client.post(f"/api/v1/inbox/{theirs.id}/decline", headers=headers,
                          json={"reason": "spam"})
    assert refused.status_code == 404
    assert boris.id == theirs.owner_id


def test_the_head_lists_every_lead(client, session, make_user):
    make_user("Manager", "anna")
    receive(session, 1)
    receive(session, 2)
    headers = api_login(client, make_user("Head", "head"))
    assert len(client.get("/api/v1/inbox/", headers=headers).get_json()["result"]) == 2


def test_accepting_as_a_new_client(client, session, make_user):
    manager = make_user()
    item = receive(session)
    answer = client.post(f"/api/v1/inbox/{item.id}/accept", headers=api_login(client, manager),
                         json={"client": {"kind": "company", "name": "ООО Лето"},
                               "contact": {"last_name": "Ветрова"}, "next_task": NEXT_TASK})
    assert answer.status_code == 200, answer.get_json()
    body = answer.get_json()
    assert body["state"] == "accepted" and body["client"]["type"] == "company"
    done = session.get(Task, body["call_id"])
    assert done.state == "done" and "Нужна бумага" in done.result


def test_accepting_into_an_existing_client(client, session, make_user, make_company,
                                           make_task):
    manager = make_user()
    company = make_company(manager, "ООО Лето")
    make_task(manager, company=company)
    item = receive(session)
    answer = client.post(f"/api/v1/inbox/{item.id}/accept", headers=api_login(client, manager),
                         json={"client": {"type": "company", "id": company.id},
                               "next_task": NEXT_TASK})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["state"] == "linked"
    planned = session.get(Task, answer.get_json()["next_task_id"])
    assert (planned.company_id, planned.inbox_item_id) == (company.id, item.id)


@pytest.mark.parametrize("language,text", [("ru", "Запланируйте"), ("en", "Plan the next")])
def test_bad_input_names_the_field_and_writes_nothing(client, session, make_user, language,
                                                      text):
    manager = make_user()
    item = receive(session)
    headers = api_login(client, manager)
    answer = client.post(f"/api/v1/inbox/{item.id}/accept?_l_={language}", headers=headers,
                         json={"client": {"kind": "company", "name": "ООО Лето"},
                               "next_task": {**NEXT_TASK, "subject": " "}})
    assert answer.status_code == 422
    assert text in str(answer.get_json()["message"]["next_task"])
    assert count(session, Company) == 0
    foreign = client.post(f"/api/v1/inbox/{item.id}/accept", headers=headers,
                          json={"client": {"type": "company", "id": 999999},
                                "next_task": NEXT_TASK})
    assert foreign.status_code == 422 and "client" in foreign.get_json()["message"]
    assert session.scalars(select(InboxItem.state)).one() == "new"


def test_declining_through_the_api(client, session, make_user):
    manager = make_user()
    item = receive(session)
    headers = api_login(client, manager)
    refused = client.post(f"/api/v1/inbox/{item.id}/decline", headers=headers,
                          json={"reason": "other"})
    assert refused.status_code == 422 and "reason" in refused.get_json()["message"]
    unknown = client.post(f"/api/v1/inbox/{item.id}/decline", headers=headers,
                          json={"reason": "bored"})
    assert unknown.status_code == 422
    done = client.post(f"/api/v1/inbox/{item.id}/decline", headers=headers,
                       json={"reason": "spam"})
    assert done.status_code == 200 and done.get_json()["state"] == "declined"


def test_accepting_a_duplicate_answers_409_until_allowed(client, session, make_user,
                                                         make_company):
    manager = make_user("Manager", "anna")
    make_company(manager, "ООО Зима", inn="7707083893")
    item = receive(session)
    headers = api_login(client, manager)
    body = {"client": {"kind": "company", "name": "ООО Лето", "inn": "7707083893"},
            "next_task": NEXT_TASK}
    refused = client.post(f"/api/v1/inbox/{item.id}/accept", headers=headers, json=body)
    assert refused.status_code == 409, refused.get_json()
    assert refused.get_json()["duplicates"][0]["owner"]
    assert session.get(InboxItem, item.id).state == "new"
    allowed = client.post(f"/api/v1/inbox/{item.id}/accept", headers=headers,
                          json={**body, "allow_duplicate": True})
    assert allowed.status_code == 200, allowed.get_json()
