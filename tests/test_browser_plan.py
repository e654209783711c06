"""The sales plan in a real browser: the head fills the grid, the chart shows plan and fact.

In Russian and in English; nothing loads from another host and no script errors (the
browser fixtures watch every request and the console).
"""

from datetime import datetime, time
from decimal import Decimal

import pytest

from app.models.mixins import local_now
from app.services.rules.plan import amount_field, touches_field
from tests.browser import expect, log_in

MONTH = local_now().date().replace(day=1)


@pytest.fixture
def team(make_user, make_company, make_deal, stage, session):
    head = make_user("Head", "head")
    anna = make_user("Manager", "anna")
    deal = make_deal(anna, company=make_company(anna, "Альфа"), stage=stage("won"),
                     amount=Decimal("250000"))
    deal.closed_at = datetime.combine(local_now().date(), time(9))
    session.commit()
    return {"head": head, "anna": anna}


@pytest.mark.parametrize(("locale", "saved", "shown"), [
    ("ru", "План продаж сохранён", "1 000 000,50"),
    ("en", "Sales plan saved", "1,000,000.50"),
])
def test_the_head_fills_the_grid_and_sees_plan_against_fact(new_page, team, locale, saved,
                                                            shown):
    page = new_page("ru-RU" if locale == "ru" else "en-US")
    log_in(page, team["head"])
    page.goto(f"/plan/edit/?year={MONTH.year}&_l_={locale}")
    anna = team["anna"].id
    first = page.locator(f"#{amount_field(anna, MONTH.replace(month=1))}")
    first.fill("1 000 000,50")
    page.locator(f"#{touches_field(anna, MONTH.replace(month=1))}").fill("30")
    # The small script: "fill the row" copies January to the whole year.
    page.locator(f"tr[data-manager='{anna}'] .crm-fill-row").click()
    expect(page.locator(f"#{amount_field(anna, MONTH)}")).to_have_value("1 000 000,50")
    with page.expect_navigation():
        page.locator("#plan-save").click()
    expect(page.locator(".alert-success")).to_contain_text(saved)
    expect(page.locator(f"#{amount_field(anna, MONTH)}")).to_have_value(
        "1\u00a0000\u00a0000,50" if locale == "ru" else "1,000,000.50")

    page.goto(f"/plan/?_l_={locale}")
    row = page.locator(f"#plan-table tr[data-manager='{anna}']")
    expect(row.locator(".crm-plan")).to_contain_text(shown.replace(" ", "\u00a0")
                                                      if locale == "ru" else shown)
    chart = page.locator("#chart-plan-amount svg")
    expect(chart).to_be_visible()
    assert chart.locator("text", has_text="Anna").count() >= 1 or \
        "Anna" in chart.inner_html()


def test_a_bad_cell_is_refused_with_its_name(new_page, team):
    page = new_page()
    log_in(page, team["head"])
    page.goto(f"/plan/edit/?year={MONTH.year}")
    cell = amount_field(team["anna"].id, MONTH)
    page.locator(f"#{cell}").fill("миллион")
    with page.expect_navigation():
        page.locator("#plan-save").click()
    expect(page.locator(".alert-danger")).to_contain_text("Сумма должна быть числом")
    expect(page.locator(f"#{cell}")).to_have_value("миллион")
