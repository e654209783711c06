"""The charts and the pipeline board in a real browser, in Russian and in English.

The app is served on 127.0.0.1 from a background thread, on the test run's database.
Chromium must draw every chart, ask nothing of any other host, and log no error.
"""

import os
import re
import threading
from datetime import timedelta
from decimal import Decimal
from urllib.parse import urlparse

import pytest

from tests.conftest import PASSWORD

CHROMIUM = "/usr/bin/chromium"
if not os.path.exists(CHROMIUM):
    pytest.skip(f"no Chromium at {CHROMIUM}: browser tests skipped", allow_module_level=True)
sync_api = pytest.importorskip(
    "playwright.sync_api", reason="the playwright package is not installed: browser tests skipped"
)

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
CHART_PAGES = (
    "/reports/funnel/",
    "/reports/won-lost/",
    "/reports/tasks/",
    "/reports/no-next-task/",
    "/reports/new-clients/",
)
CYRILLIC = re.compile(r"[а-яё]", re.IGNORECASE)


@pytest.fixture
def server(app):
    """Serve the app on a free port of 127.0.0.1 while the test runs; yield its base URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def sales(make_user, make_company, make_contact, make_deal, make_task, stage):
    """A head and a manager with data for every chart: open, won and lost deals, tasks."""
    from app.models.mixins import local_now

    head = make_user("Head", "head")
    anna = make_user("Manager", "anna")
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
    return {"head": head, "anna": anna}


@pytest.fixture
def browser():
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watch:
    """Every request, failed request, console error and script error of a page."""

    def __init__(self, page) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on(
            "requestfailed", lambda request: self.failed.append(f"{request.url}: {request.failure}")
        )
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on(
            "response",
            lambda response: (
                response.status >= 400 and self.errors.append(f"{response.url}: {response.status}")
            ),
        )

    def _console(self, message) -> None:
        # The app serves no /favicon.ico; Chromium asks for it on its own and logs the 404.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            self.errors.append(f"{message.location.get('url')}: {message.text}")

    def outside(self) -> list[str]:
        """Return the requests that went anywhere but the app on 127.0.0.1."""
        return [
            url
            for url in self.requests
            if urlparse(url).scheme != "data" and urlparse(url).hostname != "127.0.0.1"
        ]


def _log_in(page, base: str, user) -> None:
    page.goto(f"{base}/login/")
    page.fill("#username", user.username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.locator("form input[type=submit], form button[type=submit]").first.click()
    assert "/login" not in page.url, "login failed"


def _check_charts(page, base: str, language: str) -> None:
    for path in CHART_PAGES:
        response = page.goto(base + path)
        assert response.status == 200, f"{path}: {response.status}"
        charts = page.locator("svg.pygal-chart")
        assert charts.count() >= 1, f"{path}: no chart"
        first = charts.first
        first.wait_for(state="visible")
        box = first.bounding_box()
        assert box and box["width"] > 300 and box["height"] > 100, f"{path}: chart is {box}"
        bars = page.locator("svg.pygal-chart .series rect, svg.pygal-chart .series path")
        assert bars.count() >= 1, f"{path}: the chart has no bars"
        assert any(bars.nth(i).bounding_box() for i in range(bars.count())), path
        assert page.locator("#report-table").is_visible(), f"{path}: no table"
    page.goto(base + "/reports/won-lost/")
    month = page.locator("#report-table tbody th").last.inner_text()
    assert bool(CYRILLIC.search(month)) == (language == "ru"), f"{language}: month {month!r}"


def _check_board(page, base: str) -> None:
    response = page.goto(base + "/pipeline/")
    assert response.status == 200
    assert page.locator(".crm-board-column").count() == 5
    assert page.locator(".crm-card").count() == 4
    assert page.locator(".crm-card .crm-no-task").count() == 1


def test_charts_and_board_in_both_languages_stay_on_this_host(server, browser, sales):
    page = browser.new_page(locale="ru-RU")  # a Russian browser: Russian first
    page.set_default_timeout(15000)
    watch = Watch(page)
    _log_in(page, server, sales["head"])
    _check_charts(page, server, "ru")
    _check_board(page, server)
    page.goto(server + "/lang/en")
    _check_charts(page, server, "en")
    _check_board(page, server)
    assert page.locator("h2").first.inner_text() == "Pipeline"
    assert not watch.outside(), f"requests to other hosts: {watch.outside()}"
    assert not watch.failed, f"failed requests: {watch.failed}"
    assert not watch.errors, f"console errors: {watch.errors}"
    assert any("/reports/funnel/" in url for url in watch.requests)


def test_a_card_dragged_to_another_column_moves_the_deal(server, browser, sales, session):
    from app.models import Deal

    page = browser.new_page()
    page.set_default_timeout(15000)
    watch = Watch(page)
    _log_in(page, server, sales["anna"])
    page.goto(server + "/pipeline/")
    card = page.locator(".crm-card", has_text="Сделка cold")
    target = page.locator("#column-negotiation")
    with page.expect_navigation():
        card.drag_to(target, source_position={"x": 5, "y": 5})  # off the card's select
    assert page.locator("#column-negotiation .crm-card", has_text="Сделка cold").count() == 1
    session.expire_all()
    deal = session.query(Deal).filter_by(title="Сделка cold").one()
    assert deal.stage.code == "negotiation"
    assert not watch.outside() and not watch.failed and not watch.errors, (
        watch.outside(),
        watch.failed,
        watch.errors,
    )
