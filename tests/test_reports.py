"""The charts: exact counts and sums on known data, each manager seeing only own numbers."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from html.parser import HTMLParser

import pytest

from app.models.mixins import local_now
from app.services.queries import reports
from app.services.queries.reports import OTHER_SOURCES, Period

XSS = "<script>alert(1)</script>"
XSS_SOURCE = "<img src=x onerror=alert(1)>"


class _Tables(HTMLParser):
    """Collect the rows of one table: {row key (its data-* value): [cell texts]}."""

    def __init__(self, table_id: str) -> None:
        super().__init__(convert_charrefs=True)
        self.table_id = table_id
        self.depth = 0
        self.rows: dict[str, list[str]] = {}
        self.row: list[str] | None = None
        self.cell: list[str] | None = None
        self.in_head = False

    def handle_starttag(self, tag, attrs) -> None:
        attributes = dict(attrs)
        if tag == "table" and (self.depth or attributes.get("id") == self.table_id):
            self.depth += 1
        elif self.depth and tag == "thead":
            self.in_head = True
        elif self.depth and tag == "tr" and not self.in_head:
            key = next((v for k, v in attrs if k.startswith("data-")), str(len(self.rows)))
            self.row = self.rows.setdefault(key, [])
        elif self.depth and tag in ("td", "th") and self.row is not None:
            self.cell = []
        elif self.depth and tag == "br" and self.cell is not None:
            self.cell.append("; ")

    def handle_endtag(self, tag) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "thead":
            self.in_head = False
        elif tag == "tr":
            self.row = None
        elif tag in ("td", "th") and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()).replace(" ; ", "; "))
            self.cell = None

    def handle_data(self, data) -> None:
        if self.cell is not None:
            self.cell.append(data)


def table(html: str, table_id: str = "report-table") -> dict[str, list[str]]:
    """Return the rows of the table with this id, keyed by their data-* attribute."""
    parser = _Tables(table_id)
    parser.feed(html)
    assert parser.rows, f"no table #{table_id} on the page"
    return parser.rows


def rub(amount: str) -> str:
    """Russian money text as the pages print it: 3 000,00 ₽ (spaces as in Babel's ru)."""
    from babel.numbers import format_decimal

    return norm(f"{format_decimal(Decimal(amount), '#,##0.00', locale='ru')} ₽")


def norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture
def team(make_user, session):
    """Two managers and a head; Boris's first name is script text, which must stay text."""
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    head = make_user("Head", "head")
    return {"anna": anna, "boris": boris, "head": head}


def _page(client, login, user, url):
    login(user=user)
    response = client.get(url)
    assert response.status_code == 200, f"{url}: {response.status_code}"
    return response.get_data(as_text=True)


# --- a. the funnel ---------------------------------------------------------------------


@pytest.fixture
def funnel_data(team, make_company, make_contact, make_deal, stage):
    anna, boris = team["anna"], team["boris"]
    alpha = make_company(anna, "Альфа")
    make_deal(anna, company=alpha, amount=Decimal("1000.00"))
    make_deal(anna, company=alpha, amount=Decimal("2000.00"))
    make_deal(anna, company=alpha, stage=stage("proposal"), amount=Decimal("5000.00"))
    make_deal(anna, company=alpha, amount=Decimal("999.00"), archived=True)
    make_deal(
        anna,
        company=alpha,
        stage=stage("won"),
        amount=Decimal("123.00"),
        closed_at=datetime(2026, 1, 5),
    )
    beta = make_company(boris, "Бета")
    make_deal(boris, company=beta, amount=Decimal("300.00"))
    make_deal(boris, company=beta, stage=stage("negotiation"), amount=Decimal("700.00"))
    make_deal(boris, company=beta, stage=stage("needs"), amount=Decimal("100.00"), currency="USD")
    return team


def _funnel(rows):
    return [(row.stage.code, row.count, row.amounts, row.reached, row.conversion) for row in rows]


def test_funnel_of_a_manager_counts_own_open_deals(session, funnel_data):
    rows = reports.funnel(session, funnel_data["anna"])
    assert _funnel(rows) == [
        ("cold", 2, {"RUB": Decimal("3000.00")}, 3, None),
        ("first_contact", 0, {}, 1, Decimal("33.3")),
        ("needs", 0, {}, 1, Decimal("100.0")),
        ("proposal", 1, {"RUB": Decimal("5000.00")}, 1, Decimal("100.0")),
        ("negotiation", 0, {}, 0, Decimal("0.0")),
    ]


def test_funnel_of_the_head_counts_everyone_or_one_manager(session, funnel_data):
    head, boris = funnel_data["head"], funnel_data["boris"]
    assert _funnel(reports.funnel(session, head)) == [
        ("cold", 3, {"RUB": Decimal("3300.00")}, 6, None),
        ("first_contact", 0, {}, 3, Decimal("50.0")),
        ("needs", 1, {"USD": Decimal("100.00")}, 3, Decimal("100.0")),
        ("proposal", 1, {"RUB": Decimal("5000.00")}, 2, Decimal("66.7")),
        ("negotiation", 1, {"RUB": Decimal("700.00")}, 1, Decimal("50.0")),
    ]
    assert [row.count for row in reports.funnel(session, head, boris.id)] == [1, 0, 1, 0, 1]
    # A manager cannot widen the view by naming another manager.
    assert [row.count for row in reports.funnel(session, funnel_data["anna"], boris.id)] == [
        2,
        0,
        0,
        1,
        0,
    ]


def test_funnel_page_for_a_manager_and_the_head(client, login, funnel_data):
    page = _page(client, login, funnel_data["anna"], "/reports/funnel/")
    rows = table(page)
    assert rows["cold"][1:3] == ["2", rub("3000")]
    assert norm(rows["first_contact"][4]) == "33,3 %"
    assert rows["proposal"][1:3] == ["1", rub("5000")]
    assert "<svg" in page and "Boris" not in page and "700,00" not in page
    assert 'name="manager"' not in page
    boris = funnel_data["boris"].id
    widened = client.get(f"/reports/funnel/?manager={boris}").get_data(as_text=True)
    assert table(widened)["cold"][1:3] == ["2", rub("3000")]  # still her own numbers

    page = _page(client, login, funnel_data["head"], "/reports/funnel/")
    rows = table(page)
    assert rows["cold"][1:3] == ["3", rub("3300")]
    assert norm(rows["needs"][2]) == "100,00 USD"
    assert "Boris" in page and "Anna" in page
    rows = table(client.get(f"/reports/funnel/?manager={boris}").get_data(as_text=True))
    assert [rows[code][1] for code in ("cold", "first_contact", "needs", "proposal")] == [
        "1",
        "0",
        "1",
        "0",
    ]


def test_funnel_page_in_english(client, login, funnel_data):
    login(user=funnel_data["head"])
    client.get("/lang/en")
    page = client.get("/reports/funnel/").get_data(as_text=True)
    rows = table(page)
    assert rows["cold"][0] == "Cold contact"
    assert rows["cold"][2] == "₽3,300.00"
    assert rows["first_contact"][4] == "50%"


# --- b. won and lost per month ---------------------------------------------------------

PERIOD = Period.between(date(2026, 1, 1), date(2026, 3, 1))


@pytest.fixture
def closed_data(team, make_company, make_deal, stage):
    anna, boris = team["anna"], team["boris"]
    alpha = make_company(anna, "Альфа")
    won, lost = stage("won"), stage("lost")

    def closed(owner, company, when, stage_, amount, reason=None, **fields):
        make_deal(
            owner,
            company=company,
            stage=stage_,
            amount=Decimal(amount),
            closed_at=when,
            lost_reason=reason,
            **fields,
        )

    closed(anna, alpha, datetime(2026, 1, 15, 12), won, "1000")
    closed(anna, alpha, datetime(2026, 2, 1, 0, 0), won, "2000")
    closed(anna, alpha, datetime(2026, 2, 10), lost, "500", "Дорого")
    closed(anna, alpha, datetime(2026, 3, 31, 23, 30), lost, "100", "Дорого")
    closed(anna, alpha, datetime(2026, 4, 1, 0, 0), lost, "40", "Сроки")
    closed(anna, alpha, datetime(2025, 12, 31, 23, 59), won, "60")
    closed(anna, alpha, datetime(2026, 1, 16), won, "77", archived=True)
    make_deal(anna, company=alpha, amount=Decimal("10"))  # open: not closed at all
    beta = make_company(boris, "Бета")
    closed(boris, beta, datetime(2026, 1, 20), lost, "700", XSS)
    closed(boris, beta, datetime(2026, 3, 3), won, "50", currency="USD")
    return team


def _months(data):
    return [
        (row.month, row.won, row.won_amounts, row.lost, row.lost_amounts) for row in data.months
    ]


def test_won_lost_of_a_manager(session, closed_data):
    data = reports.won_lost(session, closed_data["anna"], PERIOD)
    assert _months(data) == [
        (date(2026, 1, 1), 1, {"RUB": Decimal("1000.00")}, 0, {}),
        (date(2026, 2, 1), 1, {"RUB": Decimal("2000.00")}, 1, {"RUB": Decimal("500.00")}),
        (date(2026, 3, 1), 0, {}, 1, {"RUB": Decimal("100.00")}),
    ]
    assert data.reasons == [("Дорого", 2)]
    assert (data.total.won, data.total.lost) == (2, 2)
    assert data.total.won_amounts == {"RUB": Decimal("3000.00")}


def test_won_lost_of_the_head(session, closed_data):
    head, boris = closed_data["head"], closed_data["boris"]
    data = reports.won_lost(session, head, PERIOD)
    assert [(row.won, row.lost) for row in data.months] == [(1, 1), (1, 1), (1, 1)]
    assert data.months[2].won_amounts == {"USD": Decimal("50.00")}
    assert data.reasons == [("Дорого", 2), (XSS, 1)]
    one = reports.won_lost(session, head, PERIOD, boris.id)
    assert [(row.won, row.lost) for row in one.months] == [(0, 1), (0, 0), (1, 0)]
    assert one.reasons == [(XSS, 1)]


def test_won_lost_period_from_months():
    period = Period.last_months(date(2026, 11, 26), 12)
    assert (period.start, period.end) == (date(2025, 12, 1), date(2026, 12, 1))
    assert len(period.months) == 12
    assert Period.between(date(2026, 3, 9), date(2026, 1, 20)).months == PERIOD.months


def test_won_lost_page(client, login, closed_data):
    url = "/reports/won-lost/?from=2026-01&to=2026-03"
    page = _page(client, login, closed_data["anna"], url)
    rows = table(page)
    assert rows["2026-01"] == ["январь 2026", "1", rub("1000"), "0", "—"]
    assert rows["2026-02"][1:] == ["1", rub("2000"), "1", rub("500")]
    assert rows["total"][1:] == ["2", rub("3000"), "2", rub("600")]
    assert list(table(page, "reasons-table").values()) == [["Дорого", "2"]]
    assert "700,00" not in page and "alert(1)" not in page and "Boris" not in page

    page = _page(client, login, closed_data["head"], url)
    assert table(page)["2026-01"][1:] == ["1", rub("1000"), "1", rub("700")]
    reasons = list(table(page, "reasons-table").values())
    assert reasons == [["Дорого", "2"], [XSS, "1"]]
    assert XSS not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    boris = closed_data["boris"].id
    rows = table(client.get(f"{url}&manager={boris}").get_data(as_text=True))
    assert rows["2026-03"][1:3] == ["1", "50,00 USD"]
    assert rows["total"][1] == "1" and rows["total"][3] == "1"


# --- c. tasks done per week and overdue ------------------------------------------------

NOW = datetime(2026, 3, 11, 12, 0)  # a Wednesday


@pytest.fixture
def task_data(team, make_company, make_task):
    anna, boris = team["anna"], team["boris"]
    alpha, beta = make_company(anna, "Альфа"), make_company(boris, "Бета")

    def done(owner, company, when, **fields):
        make_task(
            owner,
            company=company,
            state=fields.pop("state", "done"),
            result="Ок",
            done_at=when,
            due_at=when,
            **fields,
        )

    done(anna, alpha, datetime(2026, 2, 23, 0, 0))
    done(anna, alpha, datetime(2026, 3, 1, 23, 59))
    done(anna, alpha, datetime(2026, 3, 2, 9, 0))
    done(anna, alpha, datetime(2026, 3, 11, 10, 0))
    done(anna, alpha, datetime(2026, 2, 22, 23, 0))  # the week before
    done(anna, alpha, datetime(2026, 3, 3, 9, 0), state="cancelled")
    done(anna, alpha, datetime(2026, 3, 4, 9, 0), archived=True)
    done(boris, beta, datetime(2026, 3, 10, 9, 0))
    done(boris, beta, datetime(2026, 3, 10, 15, 0))
    make_task(anna, company=alpha, due_at=datetime(2026, 3, 10, 9, 0))  # overdue
    make_task(anna, company=alpha, due_at=datetime(2026, 3, 12, 9, 0))
    make_task(boris, company=beta, due_at=datetime(2026, 1, 1, 9, 0))  # overdue
    make_task(boris, company=beta, due_at=datetime(2026, 3, 11, 11, 59))  # overdue
    make_task(boris, company=beta, due_at=datetime(2026, 3, 1), archived=True)
    return team


def test_tasks_of_a_manager(session, task_data):
    data = reports.task_activity(session, task_data["anna"], NOW, weeks=3)
    assert data.weeks == [date(2026, 2, 23), date(2026, 3, 2), date(2026, 3, 9)]
    assert [(row.name, row.done, row.overdue) for row in data.managers] == [
        ("Test Anna", [2, 1, 1], 1)
    ]


def test_tasks_of_the_head(session, task_data):
    head, boris = task_data["head"], task_data["boris"]
    data = reports.task_activity(session, head, NOW, weeks=3)
    assert [(row.name, row.done, row.overdue) for row in data.managers] == [
        ("Test Anna", [2, 1, 1], 1),
        ("Test Boris", [0, 0, 2], 2),
    ]
    assert data.done_per_week == [2, 1, 3] and data.overdue == 3
    one = reports.task_activity(session, head, NOW, weeks=3, manager_id=boris.id)
    assert [(row.name, row.done, row.overdue) for row in one.managers] == [
        ("Test Boris", [0, 0, 2], 2)
    ]


def test_tasks_done_stay_counted_for_who_did_them_after_a_hand_over(session, task_data):
    from app.services.rules import reassignment

    head, anna, boris = task_data["head"], task_data["anna"], task_data["boris"]
    reassignment.reassign(session, head, anna, boris)
    # Anna's clients and their done tasks are Boris's now; the work stays Anna's.
    assert [(row.name, row.done) for row in
            reports.task_activity(session, anna, NOW, weeks=3).managers] == [
        ("Test Anna", [2, 1, 1])
    ]
    assert [(row.name, row.done) for row in
            reports.task_activity(session, boris, NOW, weeks=3).managers] == [
        ("Test Boris", [0, 0, 2])
    ]
    everyone = reports.task_activity(session, head, NOW, weeks=3)
    assert {row.name: row.done for row in everyone.managers}["Test Anna"] == [2, 1, 1]


def test_a_task_completed_by_the_head_counts_for_its_manager(
        session, team, make_company, make_task):
    from app.services.rules.followup import NextTask, Outcome, finish_task

    anna, head = team["anna"], team["head"]
    alpha = make_company(anna, "Альфа")
    first = make_task(anna, company=alpha)
    finish_task(session, head, first, Outcome(result="Ок", next_task=NextTask(
        subject="Перезвонить", due_at=local_now() + timedelta(days=2))))
    assert session.get(type(first), first.id).done_by_id == anna.id


def test_tasks_page(client, login, task_data, monkeypatch):
    from app.views import reports as report_views

    monkeypatch.setattr(report_views, "local_now", lambda: NOW)
    anna, boris = task_data["anna"], task_data["boris"]
    page = _page(client, login, anna, "/reports/tasks/?weeks=3")
    assert table(page)[str(anna.id)] == ["Test Anna", "2", "1", "1", "4"]
    assert table(page, "overdue-table")[str(anna.id)] == ["Test Anna", "1"]
    assert "Boris" not in page
    page = _page(client, login, task_data["head"], "/reports/tasks/?weeks=3")
    rows = table(page)
    assert rows[str(boris.id)] == ["Test Boris", "0", "0", "2", "2"]
    assert rows["total"][1:] == ["2", "1", "3", "6"]
    assert table(page, "overdue-table")["total"][1:] == ["3"]
    rows = table(client.get(f"/reports/tasks/?weeks=3&manager={boris.id}").get_data(as_text=True))
    assert str(anna.id) not in rows and rows["total"][-1] == "2"


def test_user_names_stay_text_in_charts(client, login, task_data, session, monkeypatch):
    from app.views import reports as report_views

    monkeypatch.setattr(report_views, "local_now", lambda: NOW)
    task_data["boris"].first_name = XSS
    session.commit()
    page = _page(client, login, task_data["head"], "/reports/tasks/?weeks=3")
    assert XSS not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


# --- d. without a next task ------------------------------------------------------------


@pytest.fixture
def gap_data(team, make_company, make_contact, make_deal, make_task, stage):
    anna, boris = team["anna"], team["boris"]
    covered = make_company(anna, "Покрытая")
    make_task(anna, company=covered)
    make_company(anna, "Забытая")
    make_company(anna, "Потерянная", status="lost", lost_reason="Закрылись")
    make_company(anna, "В архиве", archived=True)
    make_contact(anna, "Частный")  # a private client without a task
    make_contact(anna, "Сотрудник", company=covered)  # a contact person: not a client
    make_deal(anna, company=covered, title="Открытая")  # no task of its own
    make_deal(anna, company=covered, stage=stage("won"), closed_at=datetime(2026, 1, 1))
    forgotten = make_company(boris, "Борисова")
    deal = make_deal(boris, company=forgotten)
    make_task(boris, deal=deal, company=forgotten)  # covers the deal and the company
    make_company(boris, "Вторая Борисова")
    return team


def _gaps(rows):
    return [(row.name, row.companies, row.private_clients, row.deals) for row in rows]


def test_without_next_task_per_manager(session, gap_data):
    anna, boris, head = gap_data["anna"], gap_data["boris"], gap_data["head"]
    assert _gaps(reports.without_next_task(session, anna)) == [("Test Anna", 1, 1, 1)]
    assert _gaps(reports.without_next_task(session, head)) == [
        ("Test Anna", 1, 1, 1),
        ("Test Boris", 1, 0, 0),
    ]
    assert _gaps(reports.without_next_task(session, head, boris.id)) == [("Test Boris", 1, 0, 0)]


def test_without_next_task_page(client, login, gap_data):
    anna, boris = gap_data["anna"], gap_data["boris"]
    page = _page(client, login, anna, "/reports/no-next-task/")
    assert table(page)[str(anna.id)] == ["Test Anna", "1", "1", "1", "3"]
    assert "Boris" not in page
    page = _page(client, login, gap_data["head"], "/reports/no-next-task/")
    rows = table(page)
    assert rows[str(boris.id)] == ["Test Boris", "1", "0", "0", "1"]
    assert rows["total"][1:] == ["2", "1", "1", "4"]


# --- e. new clients per month by source ------------------------------------------------


@pytest.fixture
def client_data(team, make_company, make_contact):
    anna, boris = team["anna"], team["boris"]
    make_company(anna, "Янв-1", source="Сайт", created_at=datetime(2026, 1, 5))
    make_company(anna, "Янв-2", source="Сайт ", created_at=datetime(2026, 1, 20))
    make_company(anna, "Фев-1", source=None, created_at=datetime(2026, 2, 2))
    make_contact(anna, "Частный", source="Выставка", created_at=datetime(2026, 1, 7))
    employer = make_company(anna, "Старый", source="Сайт", created_at=datetime(2025, 12, 1))
    make_contact(
        anna, "Сотрудник", company=employer, source="Сайт", created_at=datetime(2026, 1, 8)
    )
    make_company(anna, "Архив", source="Сайт", created_at=datetime(2026, 1, 9), archived=True)
    make_company(anna, "Март", source="Сайт", created_at=datetime(2026, 3, 1))
    make_company(boris, "Борис-1", source=XSS_SOURCE, created_at=datetime(2026, 2, 14))
    make_contact(boris, "Борисов", source="", created_at=datetime(2026, 2, 15))
    return team


TWO_MONTHS = Period.between(date(2026, 1, 1), date(2026, 2, 1))


def _clients(data):
    return [(row.month, row.companies, row.private_clients, row.by_source) for row in data.months]


def test_new_clients_of_a_manager(session, client_data):
    data = reports.new_clients(session, client_data["anna"], TWO_MONTHS)
    assert data.sources == ["Сайт", "Выставка", None]
    assert _clients(data) == [
        (date(2026, 1, 1), 2, 1, {"Сайт": 2, "Выставка": 1}),
        (date(2026, 2, 1), 1, 0, {None: 1}),
    ]


def test_new_clients_of_the_head(session, client_data):
    head, boris = client_data["head"], client_data["boris"]
    data = reports.new_clients(session, head, TWO_MONTHS)
    assert data.sources == ["Сайт", XSS_SOURCE, "Выставка", None]
    assert _clients(data)[1] == (date(2026, 2, 1), 2, 1, {None: 2, XSS_SOURCE: 1})
    assert (data.total.companies, data.total.private_clients) == (4, 2)
    one = reports.new_clients(session, head, TWO_MONTHS, boris.id)
    assert _clients(one) == [
        (date(2026, 1, 1), 0, 0, {}),
        (date(2026, 2, 1), 1, 1, {XSS_SOURCE: 1, None: 1}),
    ]


def test_new_clients_keep_the_top_sources(session, client_data, monkeypatch):
    monkeypatch.setattr(reports, "TOP_SOURCES", 1)
    data = reports.new_clients(session, client_data["head"], TWO_MONTHS)
    assert data.sources == ["Сайт", OTHER_SOURCES, None]
    assert data.months[0].by_source == {"Сайт": 2, OTHER_SOURCES: 1}
    assert data.months[1].by_source == {None: 2, OTHER_SOURCES: 1}


def test_new_clients_page(client, login, client_data):
    url = "/reports/new-clients/?from=2026-01&to=2026-02"
    page = _page(client, login, client_data["anna"], url)
    rows = table(page)
    assert rows["2026-01"] == ["январь 2026", "2", "1", "3", "2", "1", "0"]
    assert rows["2026-02"] == ["февраль 2026", "1", "0", "1", "0", "0", "1"]
    assert "не указан" in page or "not specified" in page
    assert "alert(1)" not in page and "Boris" not in page
    page = _page(client, login, client_data["head"], url)
    assert table(page)["total"][1:4] == ["4", "2", "6"]
    assert XSS_SOURCE not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


# --- every report screen ---------------------------------------------------------------

REPORT_URLS = (
    "/reports/funnel/",
    "/reports/won-lost/",
    "/reports/tasks/",
    "/reports/no-next-task/",
    "/reports/new-clients/",
    "/reports/speed-to-lead/",
)


@pytest.mark.parametrize("url", REPORT_URLS)
@pytest.mark.parametrize("role", ["Manager", "Head", "Admin"])
def test_every_report_opens_for_every_role_without_outside_urls(client, login, role, url):
    login(role)
    response = client.get(url)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert 'class="pygal-chart"' in page
    assert "<script" not in page.split('class="pygal-chart"', 1)[1].split("</svg>", 1)[0]
    for marker in ("https://", "http://kozea", "gstatic", "googleapis", "cdn."):
        assert marker not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


@pytest.mark.parametrize("url", REPORT_URLS)
def test_reports_accept_odd_arguments(client, login, url):
    login("Head")
    response = client.get(url + "?manager=abc&months=-5&weeks=999&from=2026-13&to=x")
    assert response.status_code == 200


def test_reports_are_closed_to_anonymous_visitors(client):
    response = client.get("/reports/funnel/")
    assert response.status_code == 302 and "/login" in response.location
