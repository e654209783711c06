"""Lists link each record's name to its card, the task list opens on planned tasks with
their complete buttons, a save lands on the saved record's card, and every page names
itself in the browser tab."""

import re
from datetime import timedelta
from urllib.parse import unquote

import pytest

from app.models.mixins import local_now
from tests.helpers import NEXT_TASK


def _title(page: str) -> str:
    return re.search(r"<title>(.*?)</title>", page, re.S).group(1).strip()


@pytest.mark.parametrize(("view", "value"), [
    ("companyview", "Технолайн"), ("contactview", "Ширяева"),
    ("dealview", "Вентиляция склада"), ("taskview", "Узнать решение"),
])
def test_the_name_in_a_list_links_to_the_card(client, login, make_company, make_contact,
                                              make_deal, make_task, view, value):
    manager = login()
    company = make_company(manager, "Технолайн")
    records = {
        "companyview": company,
        "contactview": make_contact(manager, "Ширяева"),
        "dealview": make_deal(manager, company=company, title="Вентиляция склада"),
        "taskview": make_task(manager, company=company, subject="Узнать решение"),
    }
    page = client.get(f"/{view}/list/").get_data(as_text=True)
    assert re.search(rf'<a href="/{view}/show/{records[view].id}" class="crm-card-link">'
                     rf"{value}", page)


def test_the_task_list_opens_on_planned_tasks_soonest_first(client, login, make_company,
                                                            make_task):
    manager = login()
    company = make_company(manager)
    now = local_now()
    make_task(manager, company=company, subject="Позже", due_at=now + timedelta(days=5))
    make_task(manager, company=company, subject="Раньше", due_at=now + timedelta(days=1))
    make_task(manager, company=company, subject="Сделано", state="done", result="Ок",
              due_at=now - timedelta(days=1), done_at=now)
    page = client.get("/taskview/list/").get_data(as_text=True)
    assert "Сделано" not in page
    assert page.index("Раньше") < page.index("Позже")
    assert page.count('class="btn btn-xs btn-success crm-complete"') == 2
    back = re.search(r'href="(/taskview/complete/\d+\?next=[^"]+)"', page).group(1)
    assert unquote(back.split("next=")[1]).startswith("/taskview/list/")
    everything = re.search(r'id="all-tasks" href="([^"]+)"', page).group(1)
    assert "Сделано" in client.get(everything.replace("&amp;", "&")).get_data(as_text=True)


def test_the_tasks_on_a_card_have_complete_buttons_coming_back_to_the_card(
    client, login, make_company, make_task
):
    manager = login()
    company = make_company(manager)
    task = make_task(manager, company=company)
    page = client.get(f"/companyview/show/{company.id}").get_data(as_text=True)
    link = re.search(rf'href="/taskview/complete/{task.id}\?next=([^"]+)"', page)
    assert link and unquote(link.group(1)) == f"/companyview/show/{company.id}"


def test_my_days_complete_button_comes_back_to_my_day(client, login, make_company, make_task):
    manager = login()
    task = make_task(manager, company=make_company(manager), due_at=local_now())
    page = client.get("/").get_data(as_text=True)
    assert re.search(rf"/taskview/complete/{task.id}\?next=(%2F|/)\"", page), "back to My day"


def test_a_new_company_lands_on_its_card(client, login, session):
    from app.models import Company

    login()
    response = client.post("/companyview/add", data={
        "name": "Новая фирма", "status": "potential", "next_type": "call",
        "next_subject": NEXT_TASK["subject"], "next_due_at": NEXT_TASK["due_at"][:16]})
    company = session.query(Company).filter_by(name="Новая фирма").one()
    assert response.status_code == 302
    assert response.location == f"/companyview/show/{company.id}"
    card = client.get(response.location).get_data(as_text=True)
    assert "Добавлено" in card or "alert-success" in card


def test_an_edited_contact_lands_on_its_card(client, login, session, make_contact,
                                             make_task):
    manager = login()
    contact = make_contact(manager, "Ширяева")
    make_task(manager, contact=contact)
    response = client.post(f"/contactview/edit/{contact.id}", data={
        "last_name": "Ширяева-Петрова", "status": "active", "version_seen": contact.version})
    assert response.status_code == 302
    assert response.location == f"/contactview/show/{contact.id}"
    assert "alert-success" in client.get(response.location).get_data(as_text=True)


def test_a_refused_add_stays_on_the_form(client, login):
    login()
    response = client.post("/companyview/add", data={"name": "Без задачи", "status": "active",
                                                     "next_subject": ""})
    assert response.status_code == 200


@pytest.mark.parametrize(("url", "ru", "en"), [
    ("/", "Команда сегодня — CRM", "Team day — CRM"),
    ("/my-day/", "Мой день — CRM", "My day — CRM"),
    ("/companyview/list/", "Компании — CRM", "Companies — CRM"),
    ("/companyview/add", "Новая компания — CRM", "New company — CRM"),
    ("/taskview/list/", "Задачи — CRM", "Tasks — CRM"),
    ("/pipeline/", "Доска сделок — CRM", "Deal board — CRM"),
    ("/queue/", "Без следующей задачи — CRM", "Without a next task — CRM"),
    ("/reports/funnel/", "Воронка продаж — CRM", "Sales funnel — CRM"),
])
def test_each_page_names_itself_in_the_tab(client, login, url, ru, en):
    login("Head")
    assert _title(client.get(url).get_data(as_text=True)) == ru
    assert _title(client.get(url, query_string={"_l_": "en"}).get_data(as_text=True)) == en


def test_an_edit_form_names_the_page(client, login, make_company):
    manager = login()
    company = make_company(manager)
    page = client.get(f"/companyview/edit/{company.id}").get_data(as_text=True)
    assert _title(page).endswith(" — CRM") and _title(page) != "CRM"
