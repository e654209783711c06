"""The head's team day in a real browser, in Russian and in English.

The head lands on it after login, follows a figure to the list of exactly its rows and
opens her own day; nothing is asked of another host (tests/browser.py watches the pages).
"""

from datetime import timedelta

import pytest

from tests.browser import expect, log_in


@pytest.fixture
def team(make_user, make_company, make_task):
    """The head and two managers: Anna with two overdue calls, Boris with one."""
    from app.models.mixins import local_now

    head = make_user("Head", "head")
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    yesterday = local_now() - timedelta(days=1)
    alpha = make_company(anna, "Альфа")
    make_task(anna, company=alpha, subject="Позвонить в Альфу", due_at=yesterday)
    make_task(anna, company=alpha, subject="Написать Альфе", due_at=yesterday)
    beta = make_company(boris, "Бета")
    make_task(boris, company=beta, subject="Позвонить в Бету", due_at=yesterday)
    return {"head": head, "anna": anna, "boris": boris}


@pytest.mark.parametrize(("locale", "title", "my_day", "tasks"), [
    ("ru-RU", "Команда сегодня", "Мой день", "Задачи"),
    ("en-US", "Team day", "My day", "Tasks"),
])
def test_the_head_opens_her_team_day_follows_a_figure_and_her_own_day(
        new_page, team, locale, title, my_day, tasks):
    page = new_page(locale)
    log_in(page, team["head"])
    if locale.startswith("en"):
        page.goto("/lang/en")
    page.goto("/")
    expect(page.locator("h2")).to_have_text(title)
    anna_row = page.locator(f"#team-day tr[data-user='{team['anna'].id}']")
    expect(anna_row.locator("td.crm-overdue")).to_have_text("2")
    expect(page.locator("#team-day tr[data-user='total'] td.crm-overdue")).to_have_text("3")
    with page.expect_navigation():
        anna_row.locator("td.crm-overdue a").click()
    rows = page.locator("table.table-bordered tbody tr")
    expect(rows).to_have_count(2)
    expect(page.locator("body")).not_to_contain_text("Позвонить в Бету")
    expect(page.locator("h2, .panel-title").first).to_contain_text(tasks)
    page.goto("/")
    with page.expect_navigation():
        page.locator("#my-day-link").click()
    expect(page.locator("h2")).to_have_text(my_day)
