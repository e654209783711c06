"""The complete dialog: radios, quick dates, the client's phone and last results, the deal's
stage, a safe way back, for every role; and what it reads, tested without HTTP."""

import re
from datetime import datetime, timedelta
from urllib.parse import quote, unquote

import pytest

from app.models.mixins import local_now
from app.services.queries import completion
from tests.helpers import DUE, count_statements


def _form(**fields) -> dict:
    data = {"outcome": "done", "result": "Поговорили", "next_type": "call",
            "next_subject": "Перезвонить", "next_due_at": DUE.strftime("%Y-%m-%dT%H:%M")}
    data.update(fields)
    return data


@pytest.fixture
def call(make_user, make_company, make_contact, make_deal, make_task):
    """A manager's planned call to a company with a phone, a contact person and a deal."""
    manager = make_user("Manager", "anna")
    company = make_company(manager, "Технолайн", phone="+7 (495) 123-45-67")
    person = make_contact(manager, "Ширяева", company=company, mobile_phone="8 916 765-43-21")
    deal = make_deal(manager, company=company, title="Вентиляция склада")
    due = (local_now() - timedelta(days=1)).replace(hour=14, minute=30, second=0,
                                                      microsecond=0)
    task = make_task(manager, company=company, contact=person, deal=deal, due_at=due,
                     subject="Узнать решение")
    return {"manager": manager, "company": company, "deal": deal, "task": task}


def _done(make_task, owner, company, number: int):
    return make_task(owner, company=company, subject=f"Звонок {number}", state="done",
                     result=f"Итог {number}", done_at=local_now() - timedelta(days=number),
                     due_at=local_now() - timedelta(days=number))


# The services, without HTTP


def test_quick_dues_count_from_today_at_the_tasks_time():
    now = datetime(2027, 1, 31, 9, 5)
    task_due = datetime(2027, 1, 20, 16, 45)
    assert completion.quick_dues(now, task_due) == [
        ("1d", datetime(2027, 2, 1, 16, 45)),
        ("3d", datetime(2027, 2, 3, 16, 45)),
        ("1w", datetime(2027, 2, 7, 16, 45)),
        ("1m", datetime(2027, 2, 28, 16, 45)),  # no 31 February: the month's last day
    ]
    assert completion.add_months(datetime(2026, 12, 15, 10), 1) == datetime(2027, 1, 15, 10)


@pytest.mark.parametrize(("written", "dialled"), [
    ("+7 (495) 123-45-67", "+74951234567"), ("8 916 765-43-21", "89167654321"),
    ("доб. 12", "12"), ("", ""), (None, ""),
])
def test_a_phone_is_dialled_as_digits(written, dialled):
    assert completion.dial_string(written) == dialled


def test_recent_results_are_the_clients_last_three_the_viewer_may_see(
    session, call, make_user, make_task
):
    manager, company = call["manager"], call["company"]
    for number in range(1, 5):
        _done(make_task, manager, company, number)
    other = make_user("Manager", "boris")
    make_task(other, company=company, subject="Чужой звонок", state="done",
              result="Чужой итог", done_at=local_now())
    results = completion.recent_results(session, manager, call["task"])
    assert [task.result for task in results] == ["Итог 1", "Итог 2", "Итог 3"]
    head = make_user("Head")
    assert completion.recent_results(session, head, call["task"])[0].result == "Чужой итог"


def test_phones_are_the_clients_then_the_contacts_once_each(call):
    phones = completion.phones_of(call["task"], call["manager"])
    assert [(phone.dial, phone.whose) for phone in phones] == [
        ("+74951234567", "Технолайн"), ("89167654321", str(call["task"].contact))]


# The dialog over HTTP


def _back_link(page: str) -> str:
    tag = re.search(r'<a [^>]*id="complete-back"[^>]*>', page).group(0)
    return re.search(r'href="([^"]*)"', tag).group(1).replace("&amp;", "&")


def test_the_dialog_shows_radios_quick_dates_phone_results_and_the_stage(
    client, login, call, make_task
):
    _done(make_task, call["manager"], call["company"], 1)
    login(user=call["manager"])
    page = client.get(f"/taskview/complete/{call['task'].id}").get_data(as_text=True)
    assert "<title>Выполнить задачу «Узнать решение» — CRM</title>" in page
    assert page.count('type="radio"') == 2 and "<ul id=\"outcome\"" not in page
    assert re.search(r'<textarea[^>]*autofocus[^>]*id="result"|<textarea[^>]*id="result"'
                     r'[^>]*autofocus', page)
    tomorrow = (local_now() + timedelta(days=1)).replace(hour=14, minute=30)
    assert f'data-due="{tomorrow:%Y-%m-%dT%H:%M}"' in page and "+1 месяц" in page
    assert 'href="tel:+74951234567"' in page and "Итог 1" in page
    stage = call["deal"].stage
    assert re.search(rf'<option selected value="{stage.id}">|<option value="{stage.id}" '
                     r'selected>', page), "the deal's own stage is chosen"
    assert page.index('id="deal_stage"') < page.index("Или закройте вместо планирования")


def test_english_dialog_is_titled_in_english(client, login, call):
    login(user=call["manager"])
    page = client.get(f"/taskview/complete/{call['task'].id}?_l_=en").get_data(as_text=True)
    assert "<title>Complete the task “Узнать решение” — CRM</title>" in page
    assert "+1 month" in page and "Last results" in page


def test_a_plain_post_completes_and_goes_back_where_it_came_from(client, login, session, call):
    from app.models import Task

    login(user=call["manager"])
    back = "/companyview/list/?_flt_0_name=Тех"
    url = f"/taskview/complete/{call['task'].id}?next={quote(back)}"
    page = client.get(url).get_data(as_text=True)
    assert _back_link(page).startswith("/companyview/list/?_flt_0_name=")
    response = client.post(url, data=_form(deal_stage=str(call["deal"].stage_id)))
    assert response.status_code == 302 and unquote(response.location) == back
    session.expire_all()
    assert session.get(Task, call["task"].id).state == "done"
    assert session.get(type(call["deal"]), call["deal"].id).stage_id == call["deal"].stage_id


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x",
                                    "/%09/evil.example", "javascript:alert(1)"])
def test_a_next_elsewhere_goes_to_my_day(client, login, call, target):
    login(user=call["manager"])
    response = client.post(f"/taskview/complete/{call['task'].id}?next={quote(target)}",
                           data=_form())
    assert response.status_code == 302 and response.location == "/"


def test_a_refused_post_keeps_the_way_back(client, login, call):
    login(user=call["manager"])
    url = f"/taskview/complete/{call['task'].id}?next=/dealview/list/"
    page = client.post(url, data=_form(result="")).get_data(as_text=True)
    assert "Результат: напишите, что произошло." in page or "field-error" in page
    assert _back_link(page) == "/dealview/list/"


def test_moving_the_deal_from_the_dialog(client, login, session, call, stage):
    login(user=call["manager"])
    proposal = stage("proposal")
    response = client.post(f"/taskview/complete/{call['task'].id}",
                           data=_form(deal_stage=str(proposal.id)))
    assert response.status_code == 302
    session.expire_all()
    assert session.get(type(call["deal"]), call["deal"].id).stage_id == proposal.id


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_head_and_admin_complete_a_managers_task(client, login, session, call, role):
    from app.models import Task

    login(role)
    page = client.get(f"/taskview/complete/{call['task'].id}")
    assert page.status_code == 200 and b"tel:+74951234567" in page.data
    assert client.post(f"/taskview/complete/{call['task'].id}", data=_form()).status_code == 302
    session.expire_all()
    assert session.get(Task, call["task"].id).state == "done"


def test_another_manager_neither_opens_nor_completes_it(client, login, session, call):
    from app.models import Task

    login("Manager", "boris")
    url = f"/taskview/complete/{call['task'].id}"
    assert client.get(url).status_code == 404
    assert client.post(url, data=_form()).status_code == 404
    session.expire_all()
    assert session.get(Task, call["task"].id).state == "planned"


def test_the_dialog_reads_no_more_for_more_results(app, client, login, session, call,
                                                   make_task):
    from app.extensions import db

    login(user=call["manager"])
    url = f"/taskview/complete/{call['task'].id}"
    client.get(url)
    with count_statements(db.engine) as few:
        client.get(url)
    for number in range(1, 8):
        _done(make_task, call["manager"], call["company"], number)
    client.get(url)
    with count_statements(db.engine) as many:
        client.get(url)
    assert len(many) == len(few)
