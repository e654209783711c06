"""Speed to lead on screen: the report for every role, the head's My day block, the digest."""

import re
from datetime import timedelta

import pytest

from app.models import InboxItem
from app.models.mixins import local_now
from app.services.io import digest

URL = "/reports/speed-to-lead/"


def lead(session, owner, minutes_ago, answered_after=None, *, source="form", name="Лид"):
    """Store a lead received `minutes_ago`, answered `answered_after` minutes later."""
    received = local_now().replace(microsecond=0) - timedelta(minutes=minutes_ago)
    answered = None if answered_after is None else received + timedelta(minutes=answered_after)
    item = InboxItem(source=source, owner_id=owner.id, received_at=received, name=name,
                     phone="+7 916 555-12-34", answered_at=answered,
                     state="accepted" if answered else "new")
    session.add(item)
    session.commit()
    return item


def cells(page: str, table: str, key) -> list[str]:
    """Return the texts of one row (by its data-key) of a report table."""
    body = page.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    row = body.split(f'data-key="{key}"', 1)[1].split("</tr>", 1)[0]
    return [re.sub(r"<[^>]+>", "", cell).strip().replace("\xa0", " ")
            for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]


@pytest.fixture
def team(session, make_user):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    lead(session, anna, 600, 10, name="Ольга Ветрова")
    lead(session, anna, 500, 90, source="email")
    lead(session, boris, 180, name="Борисов клиент", source="call")
    return anna, boris


def test_a_manager_sees_own_leads_only(client, login, team):
    anna, boris = team
    login(user=anna)
    page = client.get(URL).get_data(as_text=True)
    assert "Скорость ответа на лиды" in page
    assert cells(page, "speed-managers", anna.id)[:4] == ["Test Anna", "2", "2", "50 мин"]
    assert f'data-key="{boris.id}"' not in page and "Test Boris" not in page
    assert 'id="report-manager"' not in page
    # Asking for another manager changes nothing: still own leads only.
    other = client.get(f"{URL}?manager={boris.id}").get_data(as_text=True)
    assert f'data-key="{boris.id}"' not in other
    assert cells(other, "speed-managers", "total")[1] == "2"


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_the_head_sees_everyone_and_filters_by_manager_and_source(client, login, team, role):
    anna, boris = team
    login(role)
    page = client.get(URL).get_data(as_text=True)
    assert cells(page, "speed-managers", anna.id)[:3] == ["Test Anna", "2", "2"]
    assert cells(page, "speed-managers", boris.id)[:3] == ["Test Boris", "1", "0"]
    total = cells(page, "speed-managers", "total")
    assert total[:4] == ["Итого", "3", "2", "50 мин"]
    assert total[4:7] == ["33,3 %", "33,3 %", "66,7 %"]
    assert total[7:] == ["1", "3 ч", "0"]
    assert cells(page, "speed-sources", "call")[:3] == ["Звонок", "1", "0"]
    chart = page.split('id="chart-speed"', 1)[1].split("</figure>", 1)[0]
    assert "<svg" in chart and "<script" not in chart
    only_boris = client.get(f"{URL}?manager={boris.id}").get_data(as_text=True)
    assert f'data-key="{anna.id}"' not in only_boris
    emails = client.get(f"{URL}?source=email").get_data(as_text=True)
    assert cells(emails, "speed-sources", "total")[:4] == ["Итого", "1", "1", "1 ч 30 мин"]
    assert 'value="email" selected' in emails


def test_bad_filters_show_the_whole_report(client, login, team):
    login("Head")
    for query in ("?source=<script>", "?weeks=abc", "?weeks=999", "?manager=-1",
                  "?manager=99999999999"):
        answer = client.get(URL + query)
        assert answer.status_code == 200, query
        assert cells(answer.get_data(as_text=True), "speed-managers", "total")[1] == "3"


def test_the_report_in_english(client, login, team):
    login("Head")
    page = client.get(URL + "?_l_=en").get_data(as_text=True)
    assert "Speed to lead" in page and "Median time to answer" in page
    total = cells(page, "speed-managers", "total")
    assert total[:4] == ["Total", "3", "2", "50 min"]
    assert total[4:7] == ["33.3%", "33.3%", "66.7%"]
    assert total[7] == "1" and total[8] == "3 h"


def test_the_menu_shows_the_report_next_to_the_others(client, login):
    login("Manager")
    page = client.get("/").get_data(as_text=True)
    reports = page.split("/reports/funnel/", 1)[1]
    assert 'href="/reports/speed-to-lead/"' in reports
    assert "Скорость ответа на лиды" in reports


def test_anonymous_is_sent_to_log_in(client):
    answer = client.get(URL)
    assert answer.status_code == 302 and "/login/" in answer.headers["Location"]


@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_the_report_runs_as_many_statements_for_50_leads_as_for_5(client, login, session,
                                                                   make_user, statements, role):
    user = login(role)
    owners = [user] if role == "Manager" else [make_user("Manager") for _ in range(3)]
    for n in range(5):
        lead(session, owners[n % len(owners)], 60 * n + 30, n * 7 if n % 2 else None)
    client.get(URL)
    with statements() as few:
        assert client.get(URL).status_code == 200
    for n in range(5, 50):
        lead(session, owners[n % len(owners)], 60 * n + 30, n * 7 if n % 2 else None,
             source=("form", "call", "email")[n % 3])
    client.get(URL)
    with statements() as many:
        assert client.get(URL).status_code == 200
    assert len(many) == len(few)


# --- the head's My day ------------------------------------------------------------------


def test_my_day_of_the_head_flags_leads_waiting_past_the_limit(client, login, team, session):
    anna, boris = team
    lead(session, anna, 30, name="Свежая заявка")  # within the limit: not flagged
    login("Head")
    page = client.get("/").get_data(as_text=True)
    block = page.split('id="leads-waiting"', 1)[1].split('id="my-overdue"', 1)[0]
    assert "Заявки ждут ответа дольше 60 мин" in block
    assert re.search(r'id="leads-waiting-count">\s*1\s*<', block)
    assert "Борисов клиент" in block and "Свежая заявка" not in block
    assert "Test Boris" in block and "3 ч" in block and "Звонок" in block
    english = client.get("/?_l_=en").get_data(as_text=True)
    assert "Leads waiting longer than 60 minutes" in english


def test_a_leads_name_stays_text_on_my_day(client, login, session, make_user):
    lead(session, make_user("Manager"), 120, name="<script>alert(1)</script>")
    login("Head")
    page = client.get("/").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_the_limit_comes_from_the_settings(client, login, team, app, monkeypatch):
    monkeypatch.setitem(app.config, "CRM_LEAD_ALERT_MINUTES", 240)
    login("Head")
    page = client.get("/").get_data(as_text=True)
    assert "Заявки ждут ответа дольше 240 мин" in page
    assert "Борисов клиент" not in page


def test_a_managers_my_day_has_no_such_block(client, login, team):
    anna, boris = team
    login(user=boris)
    page = client.get("/").get_data(as_text=True)
    assert 'id="leads-waiting"' not in page


def test_my_day_of_the_head_runs_as_many_statements_for_50_waiting_leads(client, login, session,
                                                                           make_user, statements):
    login("Head")
    owners = [make_user("Manager") for _ in range(3)]
    for n in range(5):
        lead(session, owners[n % 3], 120 + n)
    client.get("/")
    with statements() as few:
        assert client.get("/").status_code == 200
    for n in range(5, 50):
        lead(session, owners[n % 3], 120 + n)
    client.get("/")
    with statements() as many:
        page = client.get("/").get_data(as_text=True)
    assert re.search(r'id="leads-waiting-count">\s*50\s*<', page)
    assert len(many) == len(few)


# --- the head's digest ------------------------------------------------------------------


def test_the_heads_digest_lists_the_leads_left_waiting(session, make_user, team):
    make_user("Head", "chief")
    now = local_now()
    text = {}
    for language in ("ru", "en"):
        messages = digest.build_digests(session, now, "http://crm.example", "crm@example",
                                        default_language=language, lead_alert_minutes=60)
        bodies = {m["To"]: m.get_content() for m in messages}
        text[language] = next(body for to, body in bodies.items() if "chief@" in to)
        assert not any("Борисов клиент" in body for to, body in bodies.items()
                       if "chief@" not in to)
    item = session.query(InboxItem).filter_by(name="Борисов клиент").one()
    assert "1 заявка ждёт ответа дольше 60 мин:" in text["ru"]
    assert "Борисов клиент (Звонок), Test Boris: ждёт 3 ч" in text["ru"]
    assert f"http://crm.example/inbox/{item.id}" in text["ru"]
    assert "1 lead waits for an answer longer than 60 minutes:" in text["en"]
    assert "Борисов клиент (Phone call), Boris Test: waiting 3 h" in text["en"]


def test_nothing_waiting_past_the_limit_sends_the_head_nothing(session, make_user):
    make_user("Head", "chief")
    messages = digest.build_digests(session, local_now(), "http://crm.example", "crm@example",
                                    lead_alert_minutes=60)
    assert messages == []
