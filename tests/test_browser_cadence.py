"""Off cadence in a real browser: the head's counts per manager and the deals untouched
longest, on a desktop and on a phone (the table scrolls in its box, not the page)."""

from datetime import timedelta

import pytest

from tests.browser import expect, log_in, save_screenshot

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
WORDS = {
    "ru": {"locale": "ru-RU", "title": "Вне ритма", "total": "Сделки вне ритма: 3",
           "every": "раз в 7 дн."},
    "en": {"locale": "en-US", "title": "Off cadence", "total": "Deals off cadence: 3",
           "every": "every 7 days"},
}


@pytest.fixture
def off_cadence(session, make_user, make_company, make_contact, make_deal, stage):
    """Negotiation every 7 days: Anna's two deals untouched for 20 and 30 days, Boris's
    private client's deal for 10, and one of Anna's touched yesterday (restored after)."""
    from app.models.mixins import local_now

    negotiation = stage("negotiation")
    negotiation.max_days_between_touches = 7
    head = make_user("Head", "head")
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    now = local_now().replace(microsecond=0)
    for owner, title, days, client in (
            (anna, "Поставка станков", 30, {"company": make_company(anna, "Альфа")}),
            (anna, "Монтаж линии", 20, {"company": make_company(anna, "Бета")}),
            (anna, "Сервис", 1, {"company": make_company(anna, "Гамма")}),
            (boris, "Кухня на заказ", 10, {"contact": make_contact(boris, "Смирнова")})):
        deal = make_deal(owner, stage=negotiation, title=title, **client)
        deal.last_touch_at = now - timedelta(days=days)
    session.commit()
    yield {"head": head, "anna": anna, "boris": boris}
    negotiation.max_days_between_touches = None
    session.commit()


@pytest.mark.parametrize("language", ["ru", "en"])
@pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["1366", "390"])
def test_the_head_sees_who_is_off_cadence_and_the_deals_untouched_longest(
        new_page, off_cadence, tmp_path, language, viewport):
    words = WORDS[language]
    page = new_page(words["locale"])
    page.set_viewport_size(viewport)
    log_in(page, off_cadence["head"])
    page.goto(f"/off-cadence/?_l_={language}")
    expect(page.locator("h2")).to_have_text(words["title"])
    anna = page.locator(f"#cadence-per-manager tr[data-manager='{off_cadence['anna'].id}']")
    expect(anna.locator("td")).to_have_text("2")
    expect(page.locator("#cadence-total")).to_contain_text(words["total"])
    rows = page.locator("#cadence-deals tbody tr")
    expect(rows).to_have_count(3)
    expect(rows.locator("td:first-child")).to_have_text(
        ["Поставка станков", "Монтаж линии", "Кухня на заказ"])
    expect(rows.first).to_contain_text(words["every"])
    expect(page.locator("#cadence-deals")).not_to_contain_text("Сервис")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= viewport["width"], f"the page is {width} px wide at {viewport['width']} px"
    # The deal opens from its row.
    with page.expect_navigation():
        rows.first.locator("a").click()
    expect(page.locator("body")).to_contain_text("Поставка станков")
    page.go_back()
    save_screenshot(page, tmp_path, f"off_cadence_{language}_{viewport['width']}",
                    full_page=False)
