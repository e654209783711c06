"""The charts and the pipeline board in a real browser, in Russian and in English.

Chromium must draw every chart the Reports menu offers, for the head and for a manager,
ask nothing of any other host and log no error (tests/browser.py watches every page).
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest

from tests.browser import CHART_PAGES, log_in

CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.fixture
def sales(make_user, make_company, make_contact, make_deal, make_task, stage, session):
    """A head and two managers with data for every chart: deals, tasks, answered leads."""
    from app.models import InboxItem
    from app.models.mixins import local_now

    head = make_user("Head", "head")
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    now = local_now()
    alpha = make_company(anna, "Альфа", source="Сайт")
    make_company(anna, "Забытая", source="Выставка")  # no task: shows in the gaps chart
    person = make_contact(anna, "Сидорова", source="Рекомендация")
    for code, amount in (("cold", "1000"), ("needs", "2500"), ("proposal", "4000")):
        deal = make_deal(
            anna, company=alpha, stage=stage(code), amount=Decimal(amount), title=f"Сделка {code}"
        )
        make_task(anna, company=alpha, deal=deal, due_at=now + timedelta(days=3))
    make_deal(anna, contact=person, title="Без задачи")
    make_deal(anna, company=alpha, stage=stage("won"), closed_at=now, title="Выигранная")
    make_deal(
        anna,
        company=alpha,
        stage=stage("lost"),
        closed_at=now,
        lost_reason="Дорого",
        title="Проигранная",
    )
    make_task(anna, company=alpha, due_at=now - timedelta(days=1))  # overdue
    make_task(
        anna, company=alpha, state="done", result="Ок", done_at=now, due_at=now - timedelta(hours=2)
    )
    received = now - timedelta(hours=3)
    session.add(InboxItem(source="form", owner_id=anna.id, name="Заявка с сайта",
                          received_at=received, answered_at=received + timedelta(minutes=9),
                          state="accepted", email="lead@example.com"))
    session.commit()
    beta = make_company(boris, "Бета", source="Сайт")
    make_task(boris, company=beta, due_at=now - timedelta(days=2))
    make_task(
        boris, company=beta, state="done", result="Ок", done_at=now, due_at=now - timedelta(hours=1)
    )
    return {"head": head, "anna": anna, "boris": boris}


def _open_charts_from_the_menu(page) -> None:
    """Open each chart through the Reports menu and check it is drawn with its table."""
    page.goto("/")
    links = page.locator("a.dropdown-toggle", has_text=re.compile("Отчёты|Reports"))
    menu = links.locator("xpath=..").locator("ul.dropdown-menu a")
    paths = menu.evaluate_all("links => links.map(a => a.pathname)")
    # The menu also holds the sales plan and the forecast, which have screens of their own.
    assert sorted(path for path in paths if path.startswith("/reports/")) == sorted(
        CHART_PAGES
    ), "the Reports menu does not offer every chart"
    for path in CHART_PAGES:
        links.click()
        with page.expect_navigation():
            menu.and_(page.locator(f'a[href="{path}"]')).click()
        assert page.url.endswith(path), f"menu item {path} opened {page.url}"
        charts = page.locator("svg.pygal-chart")
        assert charts.count() >= 1, f"{path}: no chart"
        box = charts.first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, f"{path}: chart is {box}"
        bars = page.locator("svg.pygal-chart .series rect, svg.pygal-chart .series path")
        assert any(bars.nth(i).bounding_box() for i in range(bars.count())), f"{path}: no bars"
        assert page.locator("#report-table").is_visible(), f"{path}: no table"


def _managers_in_the_task_report(page) -> set[str]:
    page.goto("/reports/tasks/")
    rows = page.locator("#report-table tbody tr[data-user]")
    return set(rows.evaluate_all("rows => rows.map(r => r.dataset.user)"))


def _check_board(page) -> None:
    response = page.goto("/pipeline/")
    assert response.status == 200
    assert page.locator(".crm-board-column").count() == 5
    assert page.locator(".crm-card").count() == 4
    assert page.locator(".crm-card .crm-no-task").count() == 1


def test_the_head_opens_every_chart_and_the_board_in_both_languages(page, sales):
    log_in(page, sales["head"])
    _open_charts_from_the_menu(page)
    page.goto("/reports/won-lost/")
    month = page.locator("#report-table tbody th").last
    assert CYRILLIC.search(month.inner_text()), f"ru: month {month.inner_text()!r}"
    assert _managers_in_the_task_report(page) == {str(sales["anna"].id), str(sales["boris"].id)}
    _check_board(page)

    page.goto("/lang/en")
    _open_charts_from_the_menu(page)
    page.goto("/reports/won-lost/")
    assert not CYRILLIC.search(month.inner_text()), f"en: month {month.inner_text()!r}"
    _check_board(page)
    assert page.locator("h2").first.inner_text() == "Deal board"


def test_a_manager_opens_every_chart_of_own_clients_only_in_both_languages(page, sales):
    log_in(page, sales["anna"])
    _open_charts_from_the_menu(page)
    assert _managers_in_the_task_report(page) == {str(sales["anna"].id)}

    page.goto("/lang/en")
    _open_charts_from_the_menu(page)
    page.goto("/reports/won-lost/")
    month = page.locator("#report-table tbody th").last
    assert not CYRILLIC.search(month.inner_text()), f"en: month {month.inner_text()!r}"
    assert _managers_in_the_task_report(page) == {str(sales["anna"].id)}


def test_a_card_dragged_to_another_column_moves_the_deal(page, sales, session):
    from app.models import Deal

    log_in(page, sales["anna"])
    page.goto("/pipeline/")
    card = page.locator(".crm-card", has_text="Сделка cold")
    target = page.locator("#column-negotiation")
    with page.expect_navigation():
        card.drag_to(target, source_position={"x": 5, "y": 5})  # off the card's select
    assert page.locator("#column-negotiation .crm-card", has_text="Сделка cold").count() == 1
    session.expire_all()
    deal = session.query(Deal).filter_by(title="Сделка cold").one()
    assert deal.stage.code == "negotiation"
