"""Date-time filters of the admin's screens in a real browser: a picker, no script error.

FAB's date-time filter calls a picker script FAB never loads: adding the users list's
"last login" filter raised a script error (the watch fixture fails on any).
"""

from datetime import date, timedelta

import pytest

from tests.browser import expect, log_in
from tests.helpers import server_now

FORMATS = {"ru": "%d.%m.%Y", "en": "%m/%d/%Y"}
FIRST_DAY = {"ru": "Пн", "en": "Su"}


@pytest.fixture
def users(make_user, session):
    """An admin, a manager who logged in a week ago and one who never did."""
    admin = make_user("Admin", "root")
    away = make_user("Manager", "away")
    away.last_login = server_now() - timedelta(days=7)
    make_user("Manager", "never")
    session.commit()
    return admin


def _add_filter(page, name: str):
    page.click("#accordion1 a.accordion-toggle")  # FAB's "Search" panel
    page.locator("#filter_form button.dropdown-toggle").click()
    page.locator(f"#filter_form a.filter[name={name}]").click()
    field = page.locator("#filter_form .crm-date input").first
    expect(field).to_be_visible()
    return field


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_last_login_filter_on_the_users_list_finds_todays_logins(new_page, users,
                                                                      language):
    page = new_page(locale="ru-RU" if language == "ru" else "en-US")
    log_in(page, users)
    page.goto(f"/users/list/?_l_={language}")
    field = _add_filter(page, "last_login")
    field.click()
    picker = page.locator(".datepicker-dropdown .datepicker-days")
    expect(picker.locator("th.dow").first).to_have_text(FIRST_DAY[language])
    page.keyboard.press("Escape")
    field.fill(date.today().strftime(FORMATS[language]))
    with page.expect_navigation():
        page.locator("#filter_form button[type=submit]").click()
    rows = page.locator("table.table tbody tr", has=page.locator("td"))
    expect(rows.filter(has_text="root")).to_have_count(1)  # the admin logged in just now
    expect(rows.filter(has_text="away")).to_have_count(0)
    expect(rows.filter(has_text="never")).to_have_count(0)


def test_the_when_filter_of_reassignments_takes_a_day(new_page, users):
    page = new_page()
    log_in(page, users)
    page.goto("/reassignmentview/list/")
    field = _add_filter(page, "at")
    field.fill(date.today().strftime(FORMATS["ru"]))
    with page.expect_navigation():
        page.locator("#filter_form button[type=submit]").click()
    expect(page.locator("#filter_form .crm-date input").first).to_have_value(
        date.today().strftime(FORMATS["ru"]))
