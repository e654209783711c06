"""Calls reported by the telephony provider: known numbers to their owner, unknown to the inbox."""

import pytest
from sqlalchemy import select

from app.models import InboxItem, Task
from tests.helpers import count

URL = "/api/v1/intake/call"
TOKEN = {"X-CRM-Token": "test-intake-token"}


def call(call_id="c-1", number="+7 916 555-12-34", status="answered", duration=125):
    return {"call_id": call_id, "from": number, "to": "+7 495 000-00-00", "direction": "in",
            "status": status, "started_at": "2026-12-06T10:00:00", "duration": duration,
            "recording_url": "https://pbx.example/rec/1.mp3"}


@pytest.fixture
def owner(make_user):
    return make_user("Manager", "owner")


def test_an_answered_call_from_a_known_number_asks_its_owner_for_the_result(
        client, session, owner, make_user, make_company):
    make_user("Manager", "other")
    company = make_company(owner, "ООО Лето", phone="+7 916 555-12-34")
    answer = client.post(URL, json=call(number="89165551234"), headers=TOKEN)
    assert answer.status_code == 201
    assert answer.get_json()["client"] == {"type": "company", "id": company.id}
    item = session.scalars(select(InboxItem)).one()
    assert (item.state, item.owner_id, item.company_id) == ("linked", owner.id, company.id)
    task = session.scalars(select(Task).where(Task.inbox_item_id == item.id)).one()
    assert (task.owner_id, task.company_id, task.state) == (owner.id, company.id, "planned")
    assert "результат" in task.subject and "2 мин 05 с" in task.subject


def test_a_missed_call_from_a_known_number_asks_to_call_back(client, session, owner,
                                                            make_contact):
    person = make_contact(owner, "Ветрова", mobile_phone="+7 916 555-12-34")
    assert client.post(URL, json=call(status="missed"), headers=TOKEN).status_code == 201
    task = session.scalars(select(Task)).one()
    assert task.contact_id == person.id and "Перезвонить" in task.subject


def test_an_unknown_number_becomes_a_new_lead(client, session, owner):
    answer = client.post(URL, json=call(), headers=TOKEN)
    assert answer.status_code == 201 and answer.get_json()["state"] == "new"
    item = session.scalars(select(InboxItem)).one()
    assert item.owner_id == owner.id and item.phone == "+7 916 555-12-34"
    assert session.scalars(select(Task)).one().inbox_item_id == item.id


def test_a_repeated_call_id_changes_nothing(client, session, owner):
    first = client.post(URL, json=call(), headers=TOKEN)
    again = client.post(URL, json=call(status="missed"), headers=TOKEN)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.get_json()["id"] == first.get_json()["id"]
    assert count(session, InboxItem) == 1 and count(session, Task) == 1


@pytest.mark.parametrize("headers", [{}, {"X-CRM-Token": "wrong"}, {"X-CRM-Token": ""}])
def test_a_wrong_or_missing_token_is_refused(client, session, owner, headers):
    assert client.post(URL, json=call(), headers=headers).status_code == 401
    assert count(session, InboxItem) == 0


def test_a_bad_call_is_refused_naming_the_field(client, session, owner):
    answer = client.post(URL, json={**call(), "status": "maybe"}, headers=TOKEN)
    assert answer.status_code == 422
    assert "status" in answer.get_json()["message"]
    answer = client.post(URL, json={"from": "+7"}, headers=TOKEN)
    assert "call_id" in answer.get_json()["message"]
