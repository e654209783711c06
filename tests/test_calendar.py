"""The personal calendar feed: own planned tasks only, behind a secret that can be replaced."""

import re
from datetime import timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

from app.models import UserProfile
from app.models.mixins import local_now
from app.services.io import calendar_feed


def _due(days: int, hour: int = 10):
    """A due time `days` from now at `hour` o'clock, in the team's local (naive) time."""
    return (local_now() + timedelta(days=days)).replace(
        hour=hour, minute=0, second=0, microsecond=0
    )


def _feed_path(session, user) -> str:
    return f"/calendar/{calendar_feed.ensure_token(session, user)}.ics"


def _events(response) -> dict:
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    calendar = Calendar.from_ical(response.data)
    return {str(event["summary"]): event for event in calendar.walk("VEVENT")}


def _page_feed_url(client) -> str:
    page = client.get("/calendar/")
    assert page.status_code == 200
    found = re.search(r'id="calendar-url"[^>]*value="([^"]+)"', page.get_data(as_text=True))
    assert found, "the page shows no feed address"
    return found.group(1)


@pytest.fixture
def manager_tasks(make_user, make_company, make_contact, make_deal, make_task):
    """A manager's tasks of every kind, and a colleague's planned task."""
    manager = make_user("Manager", "anna")
    vector = make_company(manager, "Вектор")
    deal = make_deal(manager, company=vector, title="Поставка станков")
    private = make_contact(manager, "Сидорова", first_name="Мария")
    call = make_task(
        manager, company=vector, deal=deal, subject="Позвонить в Вектор", due_at=_due(2)
    )
    meeting = make_task(
        manager, contact=private, subject="Обед", type="meeting", due_at=_due(-3, hour=13)
    )
    make_task(
        manager, company=vector, subject="Сделанная", state="done", result="Ок", due_at=_due(-1)
    )
    make_task(manager, company=vector, subject="Отменённая", state="cancelled", due_at=_due(1))
    make_task(manager, company=vector, subject="Архивная", archived=True, due_at=_due(1))
    make_task(manager, company=vector, subject="Через два года", due_at=_due(730))
    colleague = make_user("Manager", "boris")
    make_task(
        colleague, company=make_company(colleague, "Чужая"), subject="Чужая задача", due_at=_due(1)
    )
    return {"user": manager, "call": call, "meeting": meeting, "colleague": colleague}


def test_feed_has_own_planned_tasks_with_zone_and_links(app, client, session, manager_tasks):
    manager, call = manager_tasks["user"], manager_tasks["call"]
    zone = ZoneInfo(app.config["BABEL_DEFAULT_TIMEZONE"])
    response = client.get(_feed_path(session, manager))  # no login: the token is the key
    events = _events(response)
    assert set(events) == {"Звонок: Позвонить в Вектор", "Встреча: Обед"}
    event = events["Звонок: Позвонить в Вектор"]
    assert event["dtstart"].params["TZID"] == zone.key
    start, end = event.decoded("dtstart"), event.decoded("dtend")
    assert start == call.due_at.replace(tzinfo=zone) and start.tzinfo.key == zone.key
    assert end - start == timedelta(minutes=30)
    assert str(event["uid"]) == f"task-{call.id}@127.0.0.1"
    assert str(event["url"]).endswith(f"/taskview/show/{call.id}")
    description = str(event["description"])
    assert "Компания: Вектор" in description and "Сделка: Поставка станков" in description
    assert "Контакт: Сидорова Мария" in str(events["Встреча: Обед"]["description"])
    calendar = Calendar.from_ical(response.data)
    assert [tz["tzid"] for tz in calendar.walk("VTIMEZONE")] == [zone.key]
    assert response.headers["Cache-Control"] == "private, no-store"


def test_feed_follows_the_users_language(session, client, manager_tasks):
    manager = manager_tasks["user"]
    session.add(UserProfile(user_id=manager.id, locale="en"))
    session.commit()
    events = _events(client.get(_feed_path(session, manager)))
    assert set(events) == {"Call: Позвонить в Вектор", "Meeting: Обед"}


def test_feed_of_the_head_holds_only_their_own_tasks(
    session, client, make_user, make_company, make_task, manager_tasks
):
    head = make_user("Head")
    make_task(
        head,
        company=make_company(head, "Клиент руководителя"),
        subject="Своя задача",
        due_at=_due(1),
    )
    assert set(_events(client.get(_feed_path(session, head)))) == {"Звонок: Своя задача"}


def test_colleagues_feeds_do_not_mix(session, client, manager_tasks):
    events = _events(client.get(_feed_path(session, manager_tasks["colleague"])))
    assert set(events) == {"Звонок: Чужая задача"}


def test_feed_is_capped(session, manager_tasks):
    tasks = calendar_feed.feed_tasks(session, manager_tasks["user"], local_now(), cap=1)
    assert [task.subject for task in tasks] == ["Обед"]


@pytest.mark.parametrize("path", ["/calendar/unknown-token.ics", "/calendar/.ics"])
def test_unknown_token_answers_404(client, manager_tasks, path):
    assert client.get(path).status_code == 404


def test_inactive_users_feed_answers_404(session, client, manager_tasks):
    manager = manager_tasks["user"]
    path = _feed_path(session, manager)
    manager.active = False
    session.commit()
    assert client.get(path).status_code == 404


def test_token_is_created_once_and_kept(session, make_user):
    manager = make_user()
    token = calendar_feed.ensure_token(session, manager)
    assert len(token) >= 40
    assert calendar_feed.ensure_token(session, manager) == token
    assert session.get(UserProfile, manager.id).calendar_token == token


def test_page_shows_the_address_and_regenerating_retires_it(app, client, login, session):
    manager = login("Manager")
    old_url = _page_feed_url(client)
    assert urlsplit(old_url).path == _feed_path(session, manager)
    page = client.get("/calendar/").get_data(as_text=True)
    assert 'name="csrf_token"' in page and 'action="/calendar/regenerate"' in page
    assert client.get(urlsplit(old_url).path).status_code == 200
    response = client.post("/calendar/regenerate")
    assert response.status_code == 302 and urlsplit(response.location).path == "/calendar/"
    new_url = _page_feed_url(client)
    assert new_url != old_url
    assert client.get(urlsplit(old_url).path).status_code == 404
    assert client.get(urlsplit(new_url).path).status_code == 200


@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
def test_page_is_open_to_every_sales_role(client, login, role):
    login(role)
    assert client.get("/calendar/").status_code == 200


def test_anonymous_users_are_sent_to_login(client, session, make_user):
    manager = make_user()
    token = calendar_feed.ensure_token(session, manager)
    response = client.get("/calendar/")
    assert response.status_code == 302 and "/login/" in response.location
    response = client.post("/calendar/regenerate")
    assert response.status_code == 302 and "/login/" in response.location
    session.expire_all()
    assert session.get(UserProfile, manager.id).calendar_token == token


def test_my_day_links_to_the_calendar_page(client, login):
    login("Manager")
    page = client.get("/").get_data(as_text=True)
    assert 'href="/calendar/"' in page
