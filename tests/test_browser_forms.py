"""The everyday forms in a real browser, for a manager and for the head.

A company is added with its first task; a contact and a deal are linked to it through
the search-as-you-type selects (select2 asking /lookup/<kind>); a task is completed from
My day with the next one planned.
"""

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import expect, log_in

ROLES = ("Manager", "Head")


def _select2(page, field_id: str):
    """The select2 box standing for the <select> with this id."""
    return page.locator(f"select#{field_id} + .select2-container")


def _options(page):
    return page.locator(".select2-container--open .select2-results__option")


def _exactly(text: str):
    return re.compile(rf"^\s*{re.escape(text)}\s*$")


def _choose(page, field_id: str, label: str) -> None:
    """Open a select2 box and click the option with this text."""
    _select2(page, field_id).click()
    _options(page).filter(has_text=_exactly(label)).click()
    expect(_select2(page, field_id)).to_contain_text(label)


def _searched(answer, kind: str, typed: str) -> bool:
    address = urlparse(answer.url)
    return address.path == f"/lookup/{kind}" and parse_qs(address.query).get("q") == [typed]


def _search_and_pick(page, field_id: str, typed: str, label: str, found: int) -> None:
    """Type into a lookup select, wait for the server's `found` matches, click `label`."""
    _select2(page, field_id).click()
    with page.expect_response(lambda answer: _searched(answer, field_id, typed)):
        page.locator(".select2-container--open .select2-search__field").press_sequentially(
            typed)
    matches = page.locator(
        ".select2-container--open .select2-results__option:not(.loading-results)")
    expect(matches.filter(has_text=label)).to_have_count(1)
    expect(matches).to_have_count(found)
    matches.filter(has_text=label).click()
    expect(_select2(page, field_id)).to_contain_text(label)


def _save(page) -> None:
    with page.expect_navigation():
        page.click("form#model_form button[type=submit]")


@pytest.mark.parametrize("role", ROLES)
def test_a_company_is_added_with_its_first_task_and_listed_with_its_date(
    page, make_user, session, role
):
    from app.models import Company, Task
    from app.models.mixins import local_now

    user = make_user(role)
    log_in(page, user)
    page.goto("/companyview/list/")
    with page.expect_navigation():
        page.locator('a[href*="/companyview/add"]').first.click()
    page.fill("#name", "ООО Василёк")
    _choose(page, "next_type", "Встреча")
    page.fill("#next_subject", "Встреча в офисе клиента")
    due = (local_now() + timedelta(days=3)).replace(hour=15, minute=30, second=0, microsecond=0)
    page.fill("#next_due_at", due.strftime("%Y-%m-%dT%H:%M"))
    _save(page)

    expect(page.locator(".alert-success")).to_contain_text("Запись добавлена")
    page.goto("/companyview/list/")
    row = page.locator("table tr", has_text="ООО Василёк")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(due.strftime("%d.%m.%Y 15:30"))

    company = session.query(Company).filter_by(name="ООО Василёк").one()
    task = session.query(Task).filter_by(company_id=company.id).one()
    assert (task.type, task.subject, task.due_at, task.state) == (
        "meeting", "Встреча в офисе клиента", due, "planned")
    assert company.owner_id == task.owner_id == user.id


@pytest.mark.parametrize("role", ROLES)
def test_a_contact_and_a_deal_are_linked_by_typing_part_of_a_name(
    page, make_user, make_company, session, role
):
    from app.models import Contact, Deal

    user = make_user(role)
    company = make_company(user, "ООО Ромашка", status="active")
    make_company(user, "Рога и копыта", status="active")
    make_company(make_user("Manager"), "Ромашка Юг", status="active")  # another manager's
    found = 1 if role == "Manager" else 2  # the head finds every manager's companies
    log_in(page, user)

    page.goto("/contactview/add")
    page.fill("#last_name", "Петрова")
    page.fill("#first_name", "Анна")
    _search_and_pick(page, "company", "ромаш", "ООО Ромашка", found)
    _save(page)
    contact = session.query(Contact).filter_by(last_name="Петрова").one()
    assert contact.company_id == company.id

    page.goto("/dealview/add")
    page.fill("#title", "Поставка роз")
    _search_and_pick(page, "company", "ромаш", "ООО Ромашка", found)
    _search_and_pick(page, "contact", "петр", "Петрова", 1)
    _choose(page, "stage", "Коммерческое предложение")
    page.fill("#amount", "150 000")
    _save(page)
    deal = session.query(Deal).filter_by(title="Поставка роз").one()
    assert (deal.company_id, deal.contact_id, deal.stage.code) == (
        company.id, contact.id, "proposal")

    page.goto(f"/companyview/show/{company.id}")
    expect(page.locator("body")).to_contain_text("Петрова")
    expect(page.locator("body")).to_contain_text("Поставка роз")


@pytest.mark.parametrize("role", ROLES)
def test_a_task_completed_from_my_day_leaves_the_next_one_planned(
    page, make_user, make_company, make_task, session, monkeypatch, role
):
    import app.views.index as index
    from app.models import Task
    from app.models.mixins import local_now

    user = make_user(role)
    company = make_company(user, "ООО Ромашка", status="active")
    make_task(user, company=company, subject="Первый звонок",
              due_at=local_now() - timedelta(hours=2))
    log_in(page, user)
    # The head's home is the team day; her own day is a link away, and back there.
    home = "/" if role == "Manager" else "/my-day/"
    page.goto(home)

    row = page.locator("#my-overdue tr", has_text="Первый звонок")
    with page.expect_navigation():
        row.locator("a", has_text="Завершить").click()
    expect(page.locator("h2").first).to_have_text("Выполнить задачу «Первый звонок»")
    page.fill("#result", "Договорились о встрече")
    _choose(page, "next_type", "Встреча")
    page.fill("#next_subject", "Встреча у клиента")
    due = (local_now() + timedelta(minutes=10)).replace(second=0, microsecond=0)
    page.fill("#next_due_at", due.strftime("%Y-%m-%dT%H:%M"))
    # My day is drawn as at the new task's time: it is due "today" whatever the clock says.
    monkeypatch.setattr(index, "local_now", lambda: due)
    with page.expect_navigation():
        page.click("#complete-form button[type=submit]")

    assert urlparse(page.url).path == home, "completing does not lead back to My day"
    expect(page.locator(".alert-success")).to_contain_text("Задача завершена.")
    expect(page.locator("h2").first).to_have_text("Мой день")
    expect(page.locator("#my-overdue")).not_to_contain_text("Первый звонок")
    expect(page.locator("#my-today")).to_contain_text("Встреча у клиента")

    # The list opens on planned tasks; sorted by hand, it shows every state.
    page.goto("/taskview/list/?_oc_TaskView=due_at&_od_TaskView=asc")
    expect(page.locator("table tr", has_text="Встреча у клиента")).to_contain_text(
        "Запланирована")
    expect(page.locator("table tr", has_text="Первый звонок")).to_contain_text("Выполнена")
    done = session.query(Task).filter_by(subject="Первый звонок").one()
    assert (done.state, done.result) == ("done", "Договорились о встрече")
