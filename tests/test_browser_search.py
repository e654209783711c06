"""The menu bar's search in a real browser: a phone typed in the box, the result picked with
the keyboard, the client's card opened; in Russian and English, at 1366 and 390 px."""

import pytest

from tests.browser import log_in, save_screenshot

TEXTS = {
    "ru-RU": {"lang": "ru", "heading": "Компании", "taken": "Этот клиент у менеджера"},
    "en-US": {"lang": "en", "heading": "Companies", "taken": "This client is handled by"},
}


@pytest.fixture
def book(make_user, make_company, make_task):
    anna = make_user("Manager", "vera")
    boris = make_user("Manager", "boris")
    other = make_company(anna, "Альфа", phone="+7 495 765-43-21")
    make_task(anna, company=other)
    roga = make_company(anna, "Рога и копыта", phone="+7 495 123-45-67")
    make_task(anna, company=roga)
    make_company(boris, "Чужая", phone="+7 812 111-22-33")
    return {"anna": anna, "roga": roga}


def _open(new_page, live_server, user, locale: str, width: int):
    page = new_page(locale=locale)
    page.set_viewport_size({"width": width, "height": 900})
    log_in(page, user)
    page.goto(f"{live_server}/lang/{TEXTS[locale]['lang']}")
    page.goto(live_server + "/")
    return page


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_a_phone_typed_in_the_menu_box_opens_the_card(new_page, live_server, book, tmp_path,
                                                      locale, width):
    texts = TEXTS[locale]
    page = _open(new_page, live_server, book["anna"], locale, width)
    box = page.locator("#crm-search-input")
    assert box.is_visible()
    frame = box.bounding_box()
    assert frame["x"] >= 0 and frame["x"] + frame["width"] <= width, frame
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    box.type("8 (495) 123-45-67", delay=20)
    results = page.locator("#crm-search-results")
    results.locator("[role=option]").first.wait_for()
    assert texts["heading"] in results.inner_text()
    assert results.locator("[role=option]").count() == 1
    save_screenshot(page, tmp_path, f"search-{texts['lang']}-{width}")

    box.press("ArrowDown")
    assert results.locator("[aria-selected=true]").inner_text().startswith("Рога и копыта")
    with page.expect_navigation():
        box.press("Enter")
    assert page.url.endswith(f"/companyview/show/{book['roga'].id}")


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_another_managers_number_is_reported_taken_and_enter_opens_the_results_page(
        new_page, live_server, book, locale):
    texts = TEXTS[locale]
    page = _open(new_page, live_server, book["anna"], locale, 1366)
    box = page.locator("#crm-search-input")
    box.type("1112233", delay=20)
    taken = page.locator("#crm-search-results .crm-search-taken")
    taken.wait_for()
    assert texts["taken"] in taken.inner_text()
    assert "Чужая" not in page.locator("#crm-search-results").inner_text()
    with page.expect_navigation():
        box.press("Enter")
    assert "/search/?q=1112233" in page.url
    assert texts["taken"] in page.locator(".crm-search-taken").inner_text()
