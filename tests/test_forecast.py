"""The forecast: open deals by expected close month, weighted by stage probability, vs plan."""

from datetime import datetime, time, timedelta
from decimal import Decimal

from app.models import SalesPlan
from app.models.mixins import local_now
from app.services.queries import forecast as forecast_query
from app.services.queries.reports import add_months
from app.services.rules.followup import NextTask
from app.services.rules.saving import save_record


def test_forecast_amounts_against_a_hand_computed_set(session, make_user, make_deal,
                                                      make_company, stage):
    anna, boris, head = make_user(), make_user(), make_user("Head")
    today = local_now().date()
    this, next_month = today.replace(day=1), add_months(today, 1)
    company = make_company(anna)
    # proposal 50 %, negotiation 75 % (the default pipeline)
    make_deal(anna, company=company, stage=stage("proposal"), amount=Decimal("100000"),
              expected_close_date=next_month)
    make_deal(anna, company=company, stage=stage("negotiation"), amount=Decimal("200000"),
              expected_close_date=next_month + timedelta(days=5))
    make_deal(anna, company=company, stage=stage("negotiation"), amount=Decimal("1000"),
              currency="USD", expected_close_date=next_month)
    make_deal(anna, company=company, stage=stage("won"), amount=Decimal("999999"),
              expected_close_date=next_month)  # closed: not in the forecast
    make_deal(anna, company=company, stage=stage("proposal"), amount=Decimal("40000"))
    make_deal(boris, company=make_company(boris, "ООО Б"), stage=stage("proposal"),
              amount=Decimal("10000"), expected_close_date=this - timedelta(days=1))
    session.add(SalesPlan(manager_id=anna.id, month=next_month, amount=Decimal("300000")))
    session.commit()

    mine = forecast_query.forecast(session, anna, today)
    rows = {row.key: row for row in mine.rows}
    month = rows[next_month.isoformat()]
    assert month.count == 3
    assert month.amounts == {"RUB": Decimal("300000.00"), "USD": Decimal("1000.00")}
    # 100 000 x 50 % + 200 000 x 75 % = 200 000
    assert month.weighted == {"RUB": Decimal("200000.00"), "USD": Decimal("750.00")}
    assert month.plan == Decimal("300000.00") and month.gap == Decimal("-100000.00")
    assert rows["no_date"].count == 1 and rows["overdue"].count == 0
    everyone = {row.key: row for row in forecast_query.forecast(session, head, today).rows}
    assert everyone["overdue"].count == 1
    assert everyone["overdue"].weighted == {"RUB": Decimal("5000.00")}
    one = forecast_query.forecast(session, head, today, manager_id=boris.id)
    assert one.total.count == 1


def test_forecast_warnings(session, make_user, make_deal, make_company, make_task, stage):
    anna = make_user()
    today = local_now().date()
    company = make_company(anna)
    past = make_deal(anna, company=company, title="Просрочена", stage=stage("proposal"),
                     expected_close_date=today - timedelta(days=3))
    late = make_deal(anna, company=company, title="Задача позже", stage=stage("proposal"),
                     expected_close_date=today + timedelta(days=5))
    make_task(anna, deal=late, due_at=local_now() + timedelta(days=9))
    moved = make_deal(anna, company=company, title="Двигали", stage=stage("proposal"),
                      expected_close_date=today + timedelta(days=30))
    fine = make_deal(anna, company=company, title="В порядке", stage=stage("proposal"),
                     expected_close_date=today + timedelta(days=30))
    for days in (31, 32, 33):
        moved.expected_close_date = today + timedelta(days=days)
        save_record(session, anna, moved, is_new=False, next_task=NextTask(
            subject="Позвонить", due_at=local_now() + timedelta(days=1)))
    session.refresh(moved)
    assert moved.close_date_moves == 3
    found = {w.deal.id: w for w in forecast_query.forecast(session, anna, today).warnings}
    assert set(found) == {past.id, late.id, moved.id}
    assert found[past.id].past and not found[past.id].moved
    assert found[late.id].task_after_close and not found[late.id].past
    assert found[moved.id].moved
    assert fine.id not in found


def test_a_next_task_on_the_close_date_itself_is_no_warning(session, make_user, make_deal,
                                                            make_company, make_task, stage):
    """Late that evening is still on the day; just after midnight is past it."""
    anna = make_user()
    today = local_now().date()
    close = today + timedelta(days=5)
    evening = datetime.combine(close, time(23, 30))
    on_the_day = make_deal(anna, company=make_company(anna), title="В тот же день",
                           stage=stage("proposal"), expected_close_date=close)
    make_task(anna, deal=on_the_day, due_at=evening)
    after = make_deal(anna, company=make_company(anna, "ООО Б"), title="На следующий день",
                      stage=stage("proposal"), expected_close_date=close)
    make_task(anna, deal=after, due_at=evening + timedelta(hours=1))
    found = {w.deal.id: w for w in forecast_query.forecast(session, anna, today).warnings}
    assert set(found) == {after.id} and found[after.id].task_after_close


def test_every_role_reads_the_forecast_page(session, make_user, make_deal, make_company,
                                            stage, login, client, measure):
    anna, boris = make_user(), make_user()
    today = local_now().date()
    make_deal(anna, company=make_company(anna), title="Своя", stage=stage("proposal"),
              expected_close_date=today - timedelta(days=1))
    make_deal(boris, company=make_company(boris, "ООО Б"), title="Чужая",
              stage=stage("proposal"), expected_close_date=today - timedelta(days=1))
    login(user=anna)
    page = client.get("/forecast/").get_data(as_text=True)
    assert "Своя" in page and "Чужая" not in page
    login("Head")
    page = client.get("/forecast/?_l_=en").get_data(as_text=True)
    assert "Своя" in page and "Чужая" in page and "the expected date has passed" in page
    page = client.get(f"/forecast/?manager={boris.id}").get_data(as_text=True)
    assert "Своя" not in page and "Чужая" in page
    first = measure("/forecast/")
    for number in range(5):
        make_deal(anna, company=make_company(anna, f"ООО {number}"), title=f"Ещё {number}",
                  stage=stage("proposal"), expected_close_date=today - timedelta(days=2))
    assert measure("/forecast/") == first
