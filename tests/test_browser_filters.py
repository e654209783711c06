"""A list filtered by a status chosen from a select of labels, in a real browser."""

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import expect, log_in, save_screenshot

ACTIVE = {"ru": "Активный", "en": "Active"}
STATUS = {"ru": "Статус", "en": "Status"}


@pytest.fixture
def manager(make_user, make_company):
    """A manager with an active, a potential and a lost client."""
    anna = make_user("Manager", "anna")
    make_company(anna, "ООО Альфа", status="active")
    make_company(anna, "ООО Бета", status="potential")
    make_company(anna, "ООО Гамма", status="lost", lost_reason="Ушли к конкурентам")
    return anna


@pytest.mark.parametrize("language", ["ru", "en"])
def test_companies_filtered_by_the_status_chosen_in_the_users_language(new_page, manager,
                                                                        language, tmp_path):
    page = new_page(locale="ru-RU" if language == "ru" else "en-US")
    log_in(page, manager)
    page.goto(f"/companyview/list/?_l_={language}")
    page.click("#accordion1 a.accordion-toggle")  # FAB's "Search" panel
    page.locator("#filter_form button.dropdown-toggle").click()
    page.locator("#filter_form a.filter[name=status]").click()
    expect(page.locator("#filter_form .remove-filter")).to_contain_text(STATUS[language])
    value = page.locator("#filter_form select.filter_val")
    expect(value.locator("option")).to_have_count(3)
    page.locator("#filter_form td.filter .select2-selection").last.click()
    page.locator(".select2-container--open .select2-results__option",
                 has_text=ACTIVE[language]).click()
    with page.expect_navigation():
        page.locator("#filter_form button[type=submit]").click()
    rows = page.locator("table.table tbody tr", has=page.locator("td"))
    expect(rows.filter(has_text="ООО Альфа")).to_have_count(1)
    expect(rows.filter(has_text="ООО Бета")).to_have_count(0)
    expect(rows.filter(has_text="ООО Гамма")).to_have_count(0)
    # The address keeps the code; the form, opened again, still shows the label.
    assert parse_qs(urlparse(page.url).query)["_flt_0_status"] == ["active"]
    expect(page.locator("#filter_form select.filter_val")).to_have_value("active")
    expect(page.locator("#filter_form select.filter_val option:checked")).to_have_text(
        ACTIVE[language])
    page.click("#accordion1 a.accordion-toggle")
    expect(page.locator("#filter_form select.filter_val")).to_be_visible()
    page.wait_for_timeout(500)  # the panel's opening animation
    save_screenshot(page, tmp_path, f"companies_status_filter_{language}")
