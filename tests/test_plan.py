"""The sales plan: the head's grid, plan against fact with the run rate, My day's block."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from app.models import SalesPlan
from app.models.mixins import local_now
from app.services.errors import DomainError, ValidationError
from app.services.queries import plan as plan_query
from app.services.rules import plan as plan_rules
from tests.helpers import count

MONTH = local_now().date().replace(day=1)


def test_working_days_and_the_run_rate():
    # December 2026: 23 working days; by Friday the 4th, 4 of them have passed.
    december = date(2026, 12, 1)
    assert plan_query.working_days(december, date(2026, 12, 31)) == 23
    assert plan_query.working_days(december, date(2026, 12, 4)) == 4
    assert plan_query.run_rate(Decimal("100000.00"), december, date(2026, 12, 4)) == \
        Decimal("575000.00")
    assert plan_query.run_rate(8, december, date(2026, 12, 4)) == 46
    # A month that is over is its fact; one to come has none yet.
    assert plan_query.run_rate(Decimal("5.00"), december, date(2027, 1, 3)) == Decimal("5.00")
    assert plan_query.run_rate(3, december, date(2026, 11, 30)) == 0


def test_the_grid_accepts_russian_amounts_and_writes_all_cells(session, make_user):
    head, anna = make_user("Head"), make_user("Manager", "anna")
    cells = [plan_rules.PlanCell(anna.id, MONTH, "1 500 000,50", "120"),
             plan_rules.PlanCell(head.id, MONTH, "", "")]
    assert plan_rules.set_plan(session, head, cells) == 1
    row = session.query(SalesPlan).one()
    assert (row.manager_id, row.month, row.amount, row.touches) == (
        anna.id, MONTH, Decimal("1500000.50"), 120)


@pytest.mark.parametrize(("amount", "touches", "field"), [
    ("много", "", "amount"),
    ("-5", "", "amount"),
    ("100", "десять", "touches"),
    ("100", "1.5", "touches"),
])
def test_a_bad_cell_is_named_and_nothing_is_written(session, make_user, amount, touches, field):
    head, anna = make_user("Head"), make_user("Manager", "anna")
    cells = [plan_rules.PlanCell(anna.id, MONTH, "1000", "5"),
             plan_rules.PlanCell(anna.id, date(MONTH.year + 1, 1, 1), amount, touches)]
    with pytest.raises(ValidationError) as refused:
        plan_rules.set_plan(session, head, cells)
    assert refused.value.field == f"{field}_{anna.id}_{MONTH.year + 1}-01"
    assert "Anna" in str(refused.value.message)
    assert count(session, SalesPlan) == 0


def test_only_the_head_sets_the_plan(session, make_user):
    anna = make_user()
    with pytest.raises(DomainError):
        plan_rules.set_plan(session, anna, [plan_rules.PlanCell(anna.id, MONTH, "1", "")])


def test_the_grid_page_saves_and_refuses_with_the_cell_named(session, make_user, login, client):
    anna = make_user("Manager", "anna")
    login("Head")
    name = plan_rules.amount_field(anna.id, MONTH)
    response = client.post(f"/plan/edit/?year={MONTH.year}", data={
        "year": MONTH.year, name: "2 000 000", plan_rules.touches_field(anna.id, MONTH): "40"})
    assert response.status_code == 302
    assert session.query(SalesPlan).one().amount == Decimal("2000000.00")
    page = client.get(f"/plan/edit/?year={MONTH.year}").get_data(as_text=True)
    assert 'value="2 000 000,00"' in page.replace("\u00a0", " ")
    page = client.post(f"/plan/edit/?year={MONTH.year}&_l_=en", data={
        "year": MONTH.year, name: "two millions"}).get_data(as_text=True)
    assert "Anna" in page and "The amount must be a number." in page
    assert 'value="two millions"' in page
    session.expire_all()
    assert session.query(SalesPlan).one().amount == Decimal("2000000.00")


def test_a_manager_may_not_open_the_grid(login, client):
    login("Manager")
    assert client.get("/plan/edit/").status_code in (302, 403)


def _won(session, make_deal, make_company, owner, stage, amount, closed_at, currency="RUB"):
    company = make_company(owner, name=f"ООО {amount}")
    deal = make_deal(owner, company=company, stage=stage("won"), amount=Decimal(amount),
                     currency=currency)
    deal.closed_at = closed_at
    session.commit()
    return deal


def test_plan_against_fact_counts_won_roubles_and_done_touches(session, make_user, make_deal,
                                                              make_company, make_task, stage):
    head, anna, boris = make_user("Head"), make_user("Manager", "anna"), make_user()
    inside = datetime.combine(MONTH, datetime.min.time()) + timedelta(hours=12)
    _won(session, make_deal, make_company, anna, stage, "300000", inside)
    _won(session, make_deal, make_company, anna, stage, "999", inside, currency="USD")
    _won(session, make_deal, make_company, anna, stage, "777", inside - timedelta(days=40))
    _won(session, make_deal, make_company, boris, stage, "100000", inside)
    company = make_company(anna, name="ООО Звонки")
    make_task(anna, company=company, state="done", result="ок", done_at=inside)
    session.add(SalesPlan(manager_id=anna.id, month=MONTH, amount=Decimal("600000"),
                          touches=10))
    session.commit()
    today = local_now().date()
    mine = plan_query.month_plan(session, anna, MONTH, today)
    assert [row.manager_id for row in mine.rows] == [anna.id]
    row = mine.rows[0]
    assert (row.plan_amount, row.fact_amount, row.plan_touches, row.fact_touches) == (
        Decimal("600000.00"), Decimal("300000.00"), 10, 1)
    assert row.percent == Decimal("50.0")
    team = plan_query.month_plan(session, head, MONTH, today)
    assert team.total.fact_amount == Decimal("400000.00")
    assert team.total.plan_amount == Decimal("600000.00")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_every_role_reads_the_plan_page(session, make_user, login, client, language):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    session.add(SalesPlan(manager_id=boris.id, month=MONTH, amount=Decimal("777000")))
    session.commit()
    login(user=anna)
    page = client.get(f"/plan/?_l_={language}").get_data(as_text=True)
    assert 'id="chart-plan-amount"' in page and "Boris" not in page
    assert "<script" not in page.split('id="chart-plan-amount"')[1].split("</figure>")[0]
    login("Head")
    page = client.get(f"/plan/?_l_={language}").get_data(as_text=True)
    assert "Boris" in page and ("777 000,00" in page.replace("\u00a0", " ")
                                or "777,000.00" in page)


def test_my_day_shows_my_plan(session, make_user, login, client):
    anna = make_user("Manager", "anna")
    login(user=anna)
    assert 'id="my-plan"' not in client.get("/").get_data(as_text=True)
    session.add(SalesPlan(manager_id=anna.id, month=MONTH, amount=Decimal("500000")))
    session.commit()
    page = client.get("/?_l_=en").get_data(as_text=True)
    assert 'id="my-plan"' in page and "500,000.00" in page


def test_the_plan_pages_run_a_bounded_number_of_statements(session, make_user, make_company,
                                                           login, measure):
    login("Head")
    first = measure("/plan/")
    for number in range(5):
        make_company(make_user(), name=f"ООО {number}")
    assert measure("/plan/") == first
    assert measure(f"/plan/edit/?year={MONTH.year}") <= first + 5
