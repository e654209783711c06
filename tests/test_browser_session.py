"""Logging in and out, switching the language and the "not found" page in a real browser.

Each test runs for a manager and for the head: their navbars differ (the head has the
Team menu), and both must work without a console error (tests/browser.py watches).
"""

from urllib.parse import urlparse

import pytest

from tests.browser import expect, log_in
from tests.helpers import PASSWORD

ROLES = ("Manager", "Head")
NOT_FOUND = {
    "ru": "Такой страницы нет, или эта запись вам недоступна.",
    "en": "There is no such page, or the record is not yours to see.",
}


def _path(page) -> str:
    return urlparse(page.url).path


MY_DAY = {"ru": "Мой день", "en": "My day"}
HOME_TITLE = {"Manager": MY_DAY, "Head": {"ru": "Команда сегодня", "en": "Team day"},
              "Admin": {"ru": "Команда сегодня", "en": "Team day"}}


def _open_menu(page, icon: str) -> None:
    """Open the navbar's dropdown whose toggle shows this icon (the flag, the user)."""
    page.locator("ul.navbar-right a.dropdown-toggle", has=page.locator(icon)).click()


@pytest.mark.parametrize("role", ROLES)
def test_log_in_through_the_form_and_out_through_the_user_menu(page, make_user, role):
    user = make_user(role)
    page.goto("/")
    assert _path(page) == "/login/", "an anonymous visitor is not sent to the login page"
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form[name=login] [type=submit]").click()
    assert _path(page) == "/"
    # The head lands on her team's day, everyone else on their own.
    expect(page.locator("h2").first).to_have_text(HOME_TITLE[role]["ru"])
    expect(page.locator("ul.navbar-right")).to_contain_text(user.first_name)

    _open_menu(page, ".fa-user")
    logout = page.locator("#crm-logout button")
    expect(logout).to_be_visible()
    expect(logout).to_have_text("Выход")
    with page.expect_navigation():
        logout.click()
    assert _path(page) == "/login/"
    expect(page.locator("form[name=login]")).to_be_visible()

    page.goto("/companyview/list/")  # the session is really over
    assert _path(page) == "/login/"


@pytest.mark.parametrize("role", ROLES)
def test_the_language_switches_from_the_navbar_and_back(page, make_user, role):
    log_in(page, make_user(role))
    heading = page.locator("h2").first
    menu = page.locator("ul.navbar-nav").first
    expect(heading).to_have_text(HOME_TITLE[role]["ru"])
    expect(menu).to_contain_text("Компании")

    _open_menu(page, ".flag")
    with page.expect_navigation():
        page.locator("ul.navbar-right a", has_text="English").click()
    expect(heading).to_have_text(HOME_TITLE[role]["en"])
    expect(menu).to_contain_text("Companies")
    expect(menu).not_to_contain_text("Компании")

    page.goto("/companyview/list/")  # the choice holds on the next pages
    expect(page.locator("body")).to_contain_text("Companies")

    _open_menu(page, ".flag")
    with page.expect_navigation():
        page.locator("ul.navbar-right a", has_text="Русский").click()
    page.goto("/")
    expect(heading).to_have_text(HOME_TITLE[role]["ru"])
    expect(menu).to_contain_text("Компании")


@pytest.mark.parametrize("role", ROLES)
def test_a_foreign_or_missing_record_shows_the_translated_not_found_page(
    page, watch, make_user, make_company, role
):
    user = make_user(role)
    if role == "Manager":  # another manager's company: not to be seen, not even its name
        path = f"/companyview/show/{make_company(make_user('Manager'), 'Чужая').id}"
    else:  # the head sees every company: one that does not exist
        path = "/companyview/show/987654"
    watch.allow(404, path)
    log_in(page, user)

    response = page.goto(path)
    assert response.status == 404
    error = page.locator("#error-page")
    expect(error).to_contain_text(NOT_FOUND["ru"])
    expect(error).not_to_contain_text("Чужая")

    page.goto("/lang/en")
    response = page.goto(path)
    assert response.status == 404
    expect(error).to_contain_text(NOT_FOUND["en"])
    expect(error).to_contain_text("Not found")
    expect(page.locator("a.btn", has_text="My day")).to_be_visible()  # a way back
