"""The admin's screens in a real browser, in Russian and English, at a laptop's width.

Screenshots of the users and stages screens go to the test's tmp dir and, when the
CRM_SCREENSHOTS variable names a folder, there too (for a person to look at).
"""


import pytest

from tests.browser import expect, log_in, save_screenshot

WIDTH, HEIGHT = 1366, 768
MENU = {
    "ru": ("Администрирование", "Пользователи", "Стадии воронки", "Права доступа"),
    "en": ("Administration", "Users", "Pipeline stages", "Access rights"),
}


@pytest.fixture
def admin(make_user, make_company, make_contact):
    """An admin, and a manager with clients so that the users list has something to show."""
    admin = make_user("Admin", "admin")
    admin.first_name, admin.last_name = "Ирина", "Соколова"
    anna = make_user("Manager", "anna")
    anna.first_name, anna.last_name = "Анна", "Петрова"
    make_company(anna, "Альфа")
    make_contact(anna, "Сидорова")
    return admin


def _open_from_menu(page, category: str, item: str) -> None:
    page.locator("a.dropdown-toggle", has_text=category).click()
    with page.expect_navigation():
        page.locator("ul.dropdown-menu a", has_text=item).click()


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_admin_finds_users_and_stages_in_one_menu(new_page, admin, tmp_path, language):
    page = new_page()
    page.set_viewport_size({"width": WIDTH, "height": HEIGHT})
    log_in(page, admin)
    if language == "en":
        page.goto("/lang/en")
    category, users, stages, access = MENU[language]
    page.goto("/")
    expect(page.locator("ul.navbar-nav").first).not_to_contain_text(
        "Безопасность" if language == "ru" else "Security"
    )

    _open_from_menu(page, category, users)
    rows = page.locator("table.table tbody tr")
    expect(rows.filter(has_text="anna")).to_contain_text(
        "Менеджер" if language == "ru" else "Manager"
    )
    expect(rows.filter(has_text="anna").locator("td").last).to_have_text("2")
    # Nothing wider than the window: no sideways scrolling at 1366 px.
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    save_screenshot(page, tmp_path, f"admin-users-{language}", min_bytes=10_000)

    page.locator("a[href*='/users/add']").first.click()
    page.wait_for_load_state()
    email = "Эл. почта" if language == "ru" else "E-mail"
    expect(page.locator("#model_form")).to_contain_text(email)
    save_screenshot(page, tmp_path, f"admin-user-form-{language}", min_bytes=10_000)

    page.goto("/")
    _open_from_menu(page, category, stages)
    expect(page.locator("table.table tbody tr")).to_have_count(7)
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
    save_screenshot(page, tmp_path, f"admin-stages-{language}", min_bytes=10_000)

    page.goto("/")
    _open_from_menu(page, category, access)
    links = page.locator("#access-screens a")
    expect(links).to_have_count(5)
    # FAB's permission screens open from here, each loading nothing from elsewhere (the
    # watch fails the test on any outside request, console error or error answer).
    for href in [links.nth(number).get_attribute("href") for number in range(5)]:
        page.goto(href)
        expect(page.locator(".panel-title, h2").first).to_be_visible()


def test_a_bad_email_is_refused_in_the_browser(new_page, admin):
    page = new_page()
    log_in(page, admin)
    page.goto("/users/add")
    page.fill("#first_name", "Ольга")
    page.fill("#last_name", "Смирнова")
    page.fill("#username", "olga")
    page.fill("#email", "not-an-email")
    page.fill("#password", "secret-password-1")
    page.fill("#conf_password", "secret-password-1")
    page.locator("#roles").select_option(label="Менеджер")
    with page.expect_navigation():
        page.locator("#model_form [type=submit]").first.click()
    expect(page.locator("#model_form")).to_contain_text("Адрес электронной почты указан неверно.")
    page.goto("/users/list/")
    expect(page.locator("table.table-bordered tbody")).not_to_contain_text("olga")
