"""The card as the workplace, in a real browser: complete the next task from the header and
log a call without leaving the card, in Russian and in English, on a phone (390 px) and a
laptop (1366 px), counting the page loads; nothing comes from another host.
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Task
from app.models.mixins import local_now
from tests.browser import log_in, save_screenshot

TEXTS = {
    "ru-RU": {"lang": "ru", "title": "Компания «Северный Ветер» — CRM",
              "completed": "Задача завершена.", "logged": "Звонок сохранён",
              "what_changed": "Что изменилось"},
    "en-US": {"lang": "en", "title": "Company «Северный Ветер» — CRM",
              "completed": "Task completed.", "logged": "Call saved",
              "what_changed": "What changed"},
}


@pytest.fixture
def story(session, make_user, make_company, make_contact, make_deal, make_task):
    from app.services.rules.history import set_actor

    owner = make_user("Manager", "olga")
    company = make_company(owner, "Северный Ветер", phone="+7 495 123-45-67",
                           email="info@sev-veter.example")
    person = make_contact(owner, "Смирнова", company=company, first_name="Анна")
    deal = make_deal(owner, company=company, contact=person, title="Поставка вентиляторов")
    past = local_now() - timedelta(days=3)
    make_task(owner, company=company, subject="Первый звонок", state="done",
              result="Интересуются, просят КП", done_at=past, due_at=past)
    make_task(owner, company=company, deal=deal, subject="Перезвонить про КП",
              due_at=local_now() - timedelta(hours=2))
    set_actor(session, owner)
    company.industry = "Вентиляция"
    session.commit()
    return owner, company


def _main_frame_loads(page) -> list[str]:
    loads: list[str] = []
    page.on("framenavigated",
            lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    return loads


def _no_horizontal_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide on a {width} px screen"


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_complete_and_log_a_call_without_leaving_the_card(new_page, live_server, story,
                                                          session, tmp_path, locale, width):
    owner, company = story
    texts = TEXTS[locale]
    card = f"{live_server}/companyview/show/{company.id}"
    page = new_page(locale=locale)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, owner)
    page.goto(f"{live_server}/lang/{texts['lang']}")
    page.goto(card)
    assert page.title() == texts["title"]
    page.click("#card-details summary")  # the record's fields, folded under the lists
    assert page.locator("#card-details table").first.is_visible()
    _no_horizontal_scroll(page, width)
    complete = page.locator("#card-complete")
    assert complete.is_visible() and complete.bounding_box()["x"] + 10 < width
    page.locator("#timeline summary", has_text=texts["what_changed"]).first.click()
    save_screenshot(page, tmp_path, f"card_{texts['lang']}_{width}")

    # Complete the next task: the dialog, then back on the card. Two page loads.
    loads = _main_frame_loads(page)
    with page.expect_navigation():
        complete.click()
    assert "/taskview/complete/" in page.url
    page.fill("#result", "Получили КП, думают")
    page.fill("#next_subject", "Узнать решение")
    with page.expect_navigation():
        page.click("#complete-form button[type=submit]")
    assert page.url == card
    assert len(loads) == 2, loads
    assert texts["completed"] in page.inner_text(".alert-success")
    assert "Узнать решение" in page.inner_text("#card-next-task")
    _no_horizontal_scroll(page, width)

    # Log a call from the card: one POST, back on the same card. One page load.
    loads.clear()
    page.fill("#call-result", "Позвонили сами: КП согласовано")
    page.fill("#call-next_subject", "Выставить счёт")
    with page.expect_navigation():
        page.click("#log-call-save")
    assert page.url == card
    assert len(loads) == 1, loads
    assert texts["logged"] in page.inner_text(".alert-success")
    assert "Позвонили сами: КП согласовано" in page.inner_text("#timeline")
    _no_horizontal_scroll(page, width)
    save_screenshot(page, tmp_path, f"card_logged_{texts['lang']}_{width}")
    session.expire_all()
    calls = session.scalars(select(Task).where(Task.company_id == company.id,
                                               Task.result.like("Позвонили сами%"))).all()
    assert [(t.state, t.type) for t in calls] == [("done", "call")]
    planned = session.scalars(select(Task).where(Task.company_id == company.id,
                                                 Task.subject == "Выставить счёт")).all()
    assert [t.state for t in planned] == ["planned"]
