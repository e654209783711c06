"""A client calls for the first time: from My day to the new client's card through one form,
in a real browser, in Russian and in English, on a phone (390 px) and a laptop (1366 px).
"""

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.browser import log_in, save_screenshot

TEXTS = {
    "ru-RU": {"lang": "ru", "week": "Через неделю", "month": "Через месяц",
              "saved": "Клиент сохранён",
              "bad_email": "Адрес электронной почты указан неверно."},
    "en-US": {"lang": "en", "week": "In a week", "month": "In a month", "saved": "Client saved",
              "bad_email": "Not a valid e-mail address."},
}


@pytest.fixture
def manager(make_user):
    return make_user("Manager", "vera")


def _open(new_page, live_server, manager, locale: str, width: int):
    page = new_page(locale=locale)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, manager)
    page.goto(f"{live_server}/lang/{TEXTS[locale]['lang']}")
    page.goto(live_server + "/")
    return page


def _no_horizontal_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width, f"the page is {scroll} px wide on a {width} px screen"


def _in_a_month():
    """Return the same day next month, or its last day (31 January -> 28 February)."""
    from calendar import monthrange

    from app.models.mixins import local_now

    today = local_now().date()
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return today.replace(year=year, month=month, day=min(today.day, monthrange(year, month)[1]))


def _main_frame_loads(page) -> list[str]:
    loads: list[str] = []
    page.on("framenavigated",
            lambda frame: loads.append(frame.url) if frame == page.main_frame else None)
    return loads


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_first_call_from_my_day_to_the_card_in_one_form(new_page, live_server, manager,
                                                        session, tmp_path, locale, width):
    from app.models import Company, Contact, Deal, Task
    from app.models.mixins import local_now

    texts = TEXTS[locale]
    page = _open(new_page, live_server, manager, locale, width)
    loads = _main_frame_loads(page)
    with page.expect_navigation():
        page.click("#first-call-button")
    _no_horizontal_scroll(page, width)
    save_screenshot(page, tmp_path, f"first-call-{texts['lang']}-{width}-empty")

    page.fill("#client_name", "ООО Вектор")
    page.fill("#client_phone", "8 495 123-45-67")
    page.fill("#client_inn", "7707083893")
    page.fill("#contact_last_name", "Смирнова")
    page.fill("#contact_first_name", "Анна")
    page.fill("#contact_email", "anna@vektor.example")
    # Typed the way the user's language writes a date.
    page.fill("#contact_birthday", "17.05.1985" if texts["lang"] == "ru" else "05/17/1985")
    page.press("#contact_birthday", "Escape")
    page.fill("#deal_title", "Поставка бумаги")
    page.fill("#deal_amount", "150 000")
    page.fill("#call_result", "Просит предложение на 10 палет")
    page.fill("#next_subject", "Отправить предложение")
    page.get_by_role("button", name=texts["week"]).click()
    in_a_week = (local_now() + timedelta(days=7)).replace(hour=10, minute=0)
    assert page.input_value("#next_due_at") == in_a_week.strftime("%Y-%m-%dT%H:%M")
    save_screenshot(page, tmp_path, f"first-call-{texts['lang']}-{width}-filled")
    with page.expect_navigation():
        page.click("#first-call-save")

    company = session.scalars(select(Company)).one()
    assert page.url.endswith(f"/companyview/show/{company.id}"), page.url
    assert len(loads) == 2, loads  # the form, then the card: one form from My day
    assert texts["saved"] in page.inner_text("body")
    _no_horizontal_scroll(page, width)
    assert session.scalars(select(Contact)).one().company_id == company.id
    deal = session.scalars(select(Deal)).one()
    planned = session.scalars(select(Task).where(Task.state == "planned")).one()
    assert (planned.company_id, planned.deal_id, planned.due_at) == (
        company.id, deal.id, in_a_week.replace(second=0, microsecond=0))
    assert session.scalars(select(Task).where(Task.state == "done")).one().result == (
        "Просит предложение на 10 палет")

    # A week later the client calls back: the call typed on the card completes the next
    # task and plans the one after it, without leaving the card. One page load.
    assert page.is_checked("#log-call-completes input[type=checkbox]")
    page.fill("#call-result", "Предложение получили, ждут счёт")
    page.fill("#call-next_subject", "Выставить счёт")
    with page.expect_navigation():
        page.click("#log-call-save")
    assert page.url.endswith(f"/companyview/show/{company.id}"), page.url
    assert len(loads) == 3, loads  # the whole first call and its follow-up: 3 page loads
    assert "Выставить счёт" in page.inner_text("#card-next-task")
    _no_horizontal_scroll(page, width)
    save_screenshot(page, tmp_path, f"first-call-{texts['lang']}-{width}-followed-up")
    session.expire_all()
    session.refresh(planned)
    assert (planned.state, planned.result) == ("done", "Предложение получили, ждут счёт")
    following = session.scalars(select(Task).where(Task.state == "planned")).one()
    assert (following.subject, following.company_id, following.deal_id) == (
        "Выставить счёт", company.id, deal.id)


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_private_person_and_an_error_at_its_field(new_page, live_server, manager, session,
                                                  tmp_path, locale):
    from app.models import Company, Contact

    texts = TEXTS[locale]
    page = _open(new_page, live_server, manager, locale, 390)
    page.goto(live_server + "/first-call/")
    page.check("input[name=kind][value=person]")
    assert page.locator("#client_name").is_hidden()  # a private person has no company
    page.fill("#contact_last_name", "Орлов")
    page.fill("#contact_email", "orlov@")
    page.fill("#call_result", "Хочет кухню")
    page.get_by_role("button", name=texts["month"]).click()
    assert page.input_value("#next_due_at") == _in_a_month().strftime("%Y-%m-%dT10:00")
    page.check("#quick-due-now")
    page.get_by_role("button", name=texts["week"]).click()
    with page.expect_navigation():
        page.click("#first-call-save")
    assert page.locator("#group-contact_email .field-error").inner_text() == texts["bad_email"]
    assert session.scalars(select(Contact)).first() is None
    _no_horizontal_scroll(page, 390)
    save_screenshot(page, tmp_path, f"first-call-{texts['lang']}-390-error")
    assert page.locator("#client_name").is_hidden()  # the choice is kept
    page.fill("#contact_email", "orlov@example.com")
    with page.expect_navigation():
        page.click("#first-call-save")
    person = session.scalars(select(Contact)).one()
    assert page.url.endswith(f"/contactview/show/{person.id}")
    assert person.company_id is None and session.scalars(select(Company)).first() is None
