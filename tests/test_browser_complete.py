"""The complete dialog and My day in a real browser: a task completed from My day with a
quick date and the Enter key, back on My day; My day, the dialog and the lists fit a 390 px
phone. Screenshots at 390 and 1366 px in both languages go to the test's tmp dir and to
$CRM_SCREENSHOTS when set.
"""

from datetime import timedelta

import pytest

from tests.browser import expect, log_in, save_screenshot

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BROWSER_LOCALE = {"ru": "ru-RU", "en": "en-US"}
WORDS = {
    "ru": {"three_days": "+3 дня", "done": "Задача завершена.", "title": "Выполнить задачу",
           "my_day": "Мой день — CRM", "tasks": "Задачи — CRM"},
    "en": {"three_days": "+3 days", "done": "Task completed.", "title": "Complete the task",
           "my_day": "My day — CRM", "tasks": "Tasks — CRM"},
}


@pytest.fixture
def day(make_user, make_company, make_contact, make_deal, make_task):
    """A manager with an overdue call to a company with a phone, its deal and past results."""
    from app.models.mixins import local_now

    manager = make_user("Manager", "anna")
    now = local_now()
    company = make_company(manager, "Технолайн", phone="+7 (495) 123-45-67")
    person = make_contact(manager, "Ширяева", company=company, first_name="Ольга",
                          mobile_phone="8 916 765-43-21")
    deal = make_deal(manager, company=company, title="Вентиляция склада 2000 м²")
    for days in range(4, 0, -1):
        make_task(manager, company=company, subject=f"Звонок {days}", state="done",
                  result=f"Итог звонка {days} дня назад: клиент думает над предложением",
                  done_at=now - timedelta(days=days), due_at=now - timedelta(days=days))
    due = (now - timedelta(days=1)).replace(hour=14, minute=30, second=0, microsecond=0)
    task = make_task(manager, company=company, contact=person, deal=deal, due_at=due,
                     subject="Перезвонить по коммерческому предложению и уточнить сроки")
    for number in range(3):
        other = make_company(manager, f"Мегатранс {number}")
        make_task(manager, company=other, due_at=now + timedelta(minutes=30 + number),
                  subject="Отправить договор на согласование")
    return {"manager": manager, "task": task, "due": due}


def _open(new_page, language: str, viewport=DESKTOP):
    page = new_page(locale=BROWSER_LOCALE[language])
    page.set_viewport_size(viewport)
    return page


def _log_in(page, manager, language: str) -> None:
    log_in(page, manager)
    if language == "en":
        page.goto("/lang/en")
        page.goto("/")


# The elements running past the window's right edge, to say what is too wide.
WIDEST = """() => [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
    .slice(0, 8).map(e => e.tagName + '#' + e.id + '.' + e.className + ' '
        + Math.round(e.getBoundingClientRect().right)).join('; ')"""


def _page_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_task_is_completed_from_my_day_with_a_quick_date_and_enter(
    new_page, day, session, tmp_path, language
):
    from app.models import Task
    from app.models.mixins import local_now

    words = WORDS[language]
    page = _open(new_page, language)
    _log_in(page, day["manager"], language)
    expect(page).to_have_title(words["my_day"])
    with page.expect_navigation():
        page.locator("#my-overdue a.btn-success").first.click()
    expect(page.locator("h2")).to_contain_text(words["title"])
    assert page.title().startswith(words["title"]) and page.title().endswith(" — CRM")
    assert page.evaluate("document.activeElement.id") == "result"  # type at once
    expect(page.locator("#client-phones a[href='tel:+74951234567']")).to_be_visible()
    expect(page.locator("#last-results li")).to_have_count(3)
    expect(page.locator("#deal_stage")).to_be_attached()  # the stage is in view, not folded
    save_screenshot(page, tmp_path, f"complete_dialog_{language}_1366")

    page.keyboard.type("Клиент согласен, ждёт договор")
    page.click(f"#quick-due button:has-text('{words['three_days']}')")
    in_three_days = (local_now() + timedelta(days=3)).replace(hour=14, minute=30)
    expect(page.locator("#next_due_at")).to_have_value(in_three_days.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.locator("#result").press("Enter")
    assert page.url.rstrip("/").endswith(page.url.split("/")[2]), page.url  # My day
    expect(page.locator(".alert-success")).to_contain_text(words["done"])

    session.expire_all()
    task = session.get(Task, day["task"].id)
    assert task.state == "done" and task.result == "Клиент согласен, ждёт договор"
    following = session.query(Task).filter_by(company_id=task.company_id, state="planned").one()
    assert following.due_at == in_three_days.replace(second=0, microsecond=0)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_my_day_the_dialog_and_lists_fit_a_phone(new_page, day, tmp_path, language):
    page = _open(new_page, language, PHONE)
    _log_in(page, day["manager"], language)
    pages = {
        "my_day": "/",
        "complete_dialog": f"/taskview/complete/{day['task'].id}?next=/",
        "task_list": "/taskview/list/",
        "company_list": "/companyview/list/",
    }
    for name, url in pages.items():
        page.goto(url)
        save_screenshot(page, tmp_path, f"{name}_{language}_390")
        width = _page_width(page)
        assert width <= PHONE["width"], f"{name} is {width} px wide on a 390 px phone: " + \
            page.evaluate(WIDEST)
    expect(page.locator("table.crm-list th:visible")).to_have_count(3)  # name, status, next task
    page.goto("/taskview/list/")
    expect(page).to_have_title(WORDS[language]["tasks"])
    button = page.locator("table.crm-list a.crm-complete").first
    box = button.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], "complete is out of reach"
    page.goto("/")
    button = page.locator("#my-overdue a.btn-success").first
    box = button.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"], "complete is out of reach on My day"


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_lists_at_1366_px(new_page, day, tmp_path, language):
    page = _open(new_page, language)
    _log_in(page, day["manager"], language)
    for name, url in (("task_list", "/taskview/list/"), ("company_list", "/companyview/list/")):
        page.goto(url)
        assert _page_width(page) <= DESKTOP["width"]
        save_screenshot(page, tmp_path, f"{name}_{language}_1366", full_page=False)
