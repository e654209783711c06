"""POST /api/v1/first-call/: one request, the same service and rules as the screen."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.models import Company, Contact, Deal, Task
from app.models.mixins import local_now
from tests.helpers import api_login

URL = "/api/v1/first-call/"


def _body(**changes) -> dict:
    due = (local_now() + timedelta(days=30)).replace(hour=10, minute=0, second=0)
    body = {
        "client": {"kind": "company", "name": "ООО Вектор", "phone": "+7 495 123-45-67",
                   "email": "info@vektor.example", "inn": "7707083893"},
        "contact": {"last_name": "Смирнова", "first_name": "Анна", "position": "Закупки",
                    "email": "anna@vektor.example", "birthday": "1985-05-17"},
        "deal": {"title": "Поставка бумаги", "amount": "150000.00"},
        "call": {"result": "Просит предложение"},
        "next_task": {"type": "call", "subject": "Перезвонить",
                      "due_at": due.isoformat(timespec="seconds")},
    }
    body.update(changes)
    return body


def _counts(session) -> tuple:
    return tuple(session.scalar(select(func.count()).select_from(model))
                 for model in (Company, Contact, Deal, Task))


@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
def test_one_call_creates_everything_and_answers_the_ids(client, make_user, session, role):
    user = make_user(role)
    response = client.post(URL, json=_body(), headers=api_login(client, user))
    assert response.status_code == 201, response.json
    answer = response.json
    company = session.get(Company, answer["company_id"])
    assert answer["client"] == {"type": "company", "id": company.id}
    assert company.owner_id == user.id and company.inn == "7707083893"
    assert session.get(Contact, answer["contact_id"]).company_id == company.id
    deal = session.get(Deal, answer["deal_id"])
    call, planned = session.get(Task, answer["call_id"]), session.get(Task, answer["next_task_id"])
    assert (call.state, call.result) == ("done", "Просит предложение")
    assert (planned.state, planned.company_id, planned.deal_id) == ("planned", company.id,
                                                                    deal.id)
    assert company.next_task_at == deal.next_task_at == planned.due_at


def test_private_person_without_a_deal(client, make_user, session):
    headers = api_login(client, make_user("Manager"))
    body = _body(client={"kind": "person"}, deal=None)
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code == 201, response.json
    assert response.json["client"] == {"type": "contact", "id": response.json["contact_id"]}
    assert response.json["company_id"] is None and response.json["deal_id"] is None
    assert _counts(session) == (0, 1, 0, 2)


@pytest.mark.parametrize(("changes", "expected"), [
    ({"contact": {"last_name": "Смирнова", "email": "anna@"}},
     {"contact": {"email": ["Адрес электронной почты указан неверно."]}}),
    ({"client": {"name": "ООО Вектор", "inn": "123"}},
     {"client": {"inn": ["ИНН должен состоять из 10 или 12 цифр."]}}),
    ({"deal": {"title": "Сделка", "stage_id": 2147483647}}, {"deal": {"stage_id": None}}),
    ({"deal": {"title": "Сделка", "amount": "1e30"}}, {"deal": {"amount": None}}),
    ({"call": {"result": " "}}, {"call": {"result": None}}),
    ({"call": {}}, {"call": {"result": None}}),
    ({"client": {"kind": "robot"}}, {"client": {"kind": None}}),
    ({"contact": {"birthday": "99999-01-01"}}, {"contact": {"birthday": None}}),
    ({"next_task": {"subject": "x", "due_at": "10000-01-01T10:00:00"}},
     {"next_task": {"due_at": None}}),
    ({"owner_id": 99999999999}, {"owner_id": None}),
    ({"extra": 1}, {"extra": None}),
])
def test_bad_input_answers_422_at_the_field_and_writes_nothing(client, make_user, session,
                                                               changes, expected):
    headers = api_login(client, make_user("Manager"))
    response = client.post(URL, json=_body(**changes), headers=headers)
    assert response.status_code == 422, response.json
    message = response.json["message"]
    for part, fields in expected.items():
        if fields is None:
            assert message[part], message
            continue
        for field, texts in fields.items():
            assert message[part][field], message
            if texts:
                assert message[part][field] == texts
    assert _counts(session) == (0, 0, 0, 0)


def test_refusals_speak_english_when_asked(client, make_user):
    headers = api_login(client, make_user("Manager"))
    response = client.post(URL + "?_l_=en", headers=headers,
                           json=_body(contact={"last_name": "X", "email": "x@"}))
    assert response.json["message"] == {"contact": {"email": ["Not a valid e-mail address."]}}


def test_manager_cannot_set_another_owner(client, make_user, session):
    other = make_user("Manager")
    headers = api_login(client, make_user("Manager"))
    response = client.post(URL, json=_body(owner_id=other.id), headers=headers)
    assert response.status_code == 422
    assert list(response.json["message"]) == ["owner_id"]
    assert _counts(session) == (0, 0, 0, 0)


def test_head_sets_the_owner(client, make_user, session):
    manager = make_user("Manager")
    headers = api_login(client, make_user("Head"))
    response = client.post(URL, json=_body(owner_id=manager.id), headers=headers)
    assert response.status_code == 201
    assert session.get(Company, response.json["company_id"]).owner_id == manager.id


def test_anonymous_and_other_roles_are_refused(client, make_user, app, session):
    assert client.post(URL, json=_body()).status_code == 401
    sm = app.appbuilder.sm
    public = sm.find_role("Public") or sm.add_role("Public")
    from tests.conftest import PASSWORD

    user = sm.add_user("nobody", "No", "Body", "nobody@example.com", public, PASSWORD)
    response = client.post(URL, json=_body(), headers=api_login(client, user))
    assert response.status_code == 403
    assert _counts(session) == (0, 0, 0, 0)


@pytest.mark.parametrize("body", [None, [], "text", 5])
def test_not_an_object_answers_4xx(client, make_user, body):
    headers = api_login(client, make_user("Manager"))
    response = client.post(URL, json=body, headers=headers)
    assert response.status_code in (400, 422)


def test_the_route_is_in_the_openapi_document(client, make_user):
    headers = api_login(client, make_user("Manager"))
    spec = client.get("/api/v1/_openapi", headers=headers).json
    post = spec["paths"]["/api/v1/first-call/"]["post"]
    assert {"201", "422"} <= set(post["responses"]) and post["security"]
    schema = spec["components"]["schemas"]["FirstCallSchema"]
    assert {"client", "contact", "deal", "call", "next_task", "owner_id"} <= set(
        schema["properties"])


@pytest.mark.parametrize("name", ["Сми\x00рнова", "Сми\ud800рнова"])
def test_text_no_database_can_store_answers_422_naming_the_field(client, make_user, session,
                                                                 name):
    headers = api_login(client, make_user("Manager"))
    response = client.post(URL, json=_body(contact={"last_name": name}), headers=headers)
    assert response.status_code == 422
    assert list(response.json["message"]) == ["contact.last_name"]
    assert _counts(session) == (0, 0, 0, 0)
