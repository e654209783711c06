"""The website form: a public endpoint that stores a lead with its owner and answer task."""

import html

import pytest
from sqlalchemy import select

from app import create_app
from app.models import InboxItem, Task
from tests.helpers import count, make_config

URL = "/intake/form"
LEAD = {"name": "Ольга Ветрова", "company": "ООО Лето", "phone": "8 (916) 555-12-34",
        "email": "olga@leto.example", "message": "Нужна поставка бумаги",
        "page": "https://shop.example/paper", "utm_source": "yandex"}


@pytest.fixture
def manager(make_user):
    return make_user("Manager", "olga_manager")


def test_a_form_post_is_stored_with_an_owner_and_an_answer_task(client, session, manager):
    answer = client.post(URL, data=LEAD)
    assert answer.status_code == 303
    assert answer.headers["Location"].endswith("/intake/thanks")
    thanks = client.get(answer.headers["Location"])
    assert "Спасибо" in thanks.get_data(as_text=True)
    item = session.scalars(select(InboxItem)).one()
    assert (item.state, item.owner_id, item.phone) == ("new", manager.id, "+7 916 555-12-34")
    assert item.details == {"page": "https://shop.example/paper", "utm_source": "yandex"}
    task = session.scalars(select(Task).where(Task.inbox_item_id == item.id)).one()
    assert (task.state, task.owner_id) == ("planned", manager.id)
    assert "Ольга Ветрова" in task.subject
    minutes = (task.due_at - item.received_at).total_seconds() / 60
    assert 14 <= minutes <= 15


def test_json_asks_for_json_and_gets_cors_for_an_allowed_origin(client, session, manager):
    answer = client.post(URL, json=LEAD, headers={"Origin": "https://shop.example"})
    assert answer.status_code == 201
    assert answer.headers["Access-Control-Allow-Origin"] == "https://shop.example"
    assert count(session, InboxItem) == 1


def test_another_site_is_refused(client, session, manager):
    answer = client.post(URL, json=LEAD, headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert count(session, InboxItem) == 0


def test_the_honeypot_answers_success_and_stores_nothing(client, session, manager):
    answer = client.post(URL, data={**LEAD, "website": "http://spam.example"})
    assert answer.status_code == 303
    assert count(session, InboxItem) == 0
    assert count(session, Task) == 0


@pytest.mark.parametrize("language,text", [("ru", "Телефон или e-mail"),
                                           ("en", "Phone or e-mail")])
def test_no_way_to_answer_is_refused_naming_the_field(client, session, manager, language, text):
    answer = client.post(f"{URL}?_l_={language}", json={"name": "Кто-то", "message": "?"})
    assert answer.status_code == 400
    assert text in answer.get_json()["message"]["phone"][0]
    page = client.post(f"{URL}?_l_={language}", data={"name": "Кто-то"})
    assert page.status_code == 400 and text in page.get_data(as_text=True)
    assert count(session, InboxItem) == 0


def test_a_bad_email_is_refused_naming_it(client, session, manager):
    answer = client.post(URL, json={"email": "not an address"})
    assert answer.status_code == 400
    assert "email" in answer.get_json()["message"]


def test_nul_bytes_are_refused_naming_the_field(client, session, manager):
    answer = client.post(URL, json={**LEAD, "message": "привет\x00"})
    assert answer.status_code == 422  # as every JSON refusal of a value: the field named
    assert list(answer.get_json()["message"]) == ["message"]
    page = client.post(URL, data={**LEAD, "name": "Ольга\x00"})
    assert page.status_code == 400 and "нулевой байт" in page.get_data(as_text=True)
    assert count(session, InboxItem) == 0


def test_too_large_a_post_is_refused(client, session, manager):
    answer = client.post(URL, data={**LEAD, "message": "я" * 20000})
    assert answer.status_code == 413
    assert count(session, InboxItem) == 0


def test_posts_beyond_the_limit_are_refused(database_url, manager):
    application = create_app(make_config(database_url, RATELIMIT_ENABLED=True,
                                         CRM_INTAKE_RATE_LIMIT="2 per minute",
                                         RATELIMIT_KEY_PREFIX="crm-intake-test"))
    client = application.test_client()
    codes = [client.post(URL, data={**LEAD, "website": "x"}).status_code for _ in range(3)]
    assert codes == [303, 303, 429]
    with application.app_context():
        from app.extensions import db

        db.session.remove()
        db.engine.dispose()


def test_the_admin_sees_the_snippet_to_paste(client, login):
    login("Admin")
    page = html.unescape(client.get("/website-form/").get_data(as_text=True))
    assert 'action="http://127.0.0.1:5000/intake/form"' in page
    assert 'name="website"' in page
    assert "https://shop.example" in page


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_only_the_admin_opens_the_snippet_page(client, login, role):
    login(role)
    assert client.get("/website-form/").status_code in (302, 403)
