"""What only a browser shows: the board with six to ten stages at 1366 px, its Won and Lost
drop zones, My day's aligned tables, the menu bar's labelled counters (also at 390 px)
and date fields typed and picked the user's way. Screenshots of each, in both languages,
go to the test's tmp dir and to $CRM_SCREENSHOTS when set.
"""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest

from tests.browser import expect, log_in, save_screenshot

DESKTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
BROWSER_LOCALE = {"ru": "ru-RU", "en": "en-US"}
WORDS = {
    "ru": {"move": "Переместить", "won": "Выиграна", "lost": "Проиграна", "overdue": "Просрочено",
           "today": "Сегодня", "queue": "Без задачи"},
    "en": {"move": "Move", "won": "Won", "lost": "Lost", "overdue": "Overdue", "today": "Today",
           "queue": "No next task"},
}
CLIENTS = ("Кедропт", "Мегатранс", "Абрамов Аверьян Анатольевич", "Технолайн",
           "Ширяева, Красильников и Шаров")
TITLES = ("Поставка оборудования", "Обслуживание автопарка", "Ремонт квартиры",
          "Вентиляция склада 2000 м²", "Аудит закупок")


def _open(new_page, language: str, viewport=DESKTOP):
    page = new_page(locale=BROWSER_LOCALE[language])
    page.set_viewport_size(viewport)
    return page


@pytest.fixture
def pipeline(session, make_user, make_company, make_contact, make_deal, make_task, stage):
    """A manager's deals on every open stage, and a way to add open stages to the pipeline."""
    from app.models import Stage
    from app.models.mixins import local_now

    manager = make_user("Manager", "anna")
    now = local_now()

    def add_stages(count: int) -> None:
        after = stage("needs").position
        for number in range(count):
            session.add(Stage(name=f"Тендер {number + 1}", code=None,  # cleaned after the test
                              position=after + number + 1, kind="open", probability=30))
        session.commit()

    def fill() -> None:
        stages = session.query(Stage).filter_by(kind="open").order_by(Stage.position).all()
        for index, open_stage in enumerate(stages):
            for number in range(3):
                client = CLIENTS[(index + number) % len(CLIENTS)]
                company = make_company(manager, f"{client} {index}-{number}")
                deal = make_deal(manager, company=company, stage=open_stage,
                                 title=TITLES[(index * 3 + number) % len(TITLES)],
                                 amount=Decimal(150_000 * (number + 1) + index * 1000))
                due = now + timedelta(days=number - 1, hours=index)
                make_task(manager, company=company, deal=deal, due_at=due)

    return {"manager": manager, "add_stages": add_stages, "fill": fill}


def _board_geometry(page) -> dict:
    return page.evaluate("""() => {
        const board = document.getElementById('pipeline-board');
        const box = board.getBoundingClientRect();
        const columns = [...board.querySelectorAll('.crm-board-column')]
            .map(c => c.getBoundingClientRect());
        return {scrollWidth: board.scrollWidth, clientWidth: board.clientWidth,
                bottom: box.bottom, innerHeight: window.innerHeight,
                innerWidth: document.documentElement.clientWidth,
                pageWidth: document.documentElement.scrollWidth,
                columns: columns.map(c => ({left: c.left, right: c.right, width: c.width}))};
    }""")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_six_stages_fit_the_board_at_1366_px(new_page, pipeline, tmp_path, language):
    pipeline["add_stages"](1)
    pipeline["fill"]()
    page = _open(new_page, language)
    log_in(page, pipeline["manager"])
    page.goto("/pipeline/")
    words = WORDS[language]
    geometry = _board_geometry(page)
    assert len(geometry["columns"]) == 6
    for column in geometry["columns"]:
        assert column["left"] >= 0 and column["right"] <= geometry["innerWidth"], geometry
        assert column["width"] >= 150, geometry
    assert geometry["scrollWidth"] <= geometry["clientWidth"], "six columns need scrolling"
    assert geometry["pageWidth"] <= geometry["innerWidth"], "the page scrolls sideways"
    assert geometry["bottom"] <= geometry["innerHeight"], "the board runs below the window"
    buttons = page.locator(".crm-card form button")
    expect(buttons.first).to_have_text(words["move"])
    assert set(buttons.all_inner_texts()) == {words["move"]}
    expect(page.locator("#drop-won")).to_be_visible()
    expect(page.locator("#drop-won")).to_have_text(words["won"])
    expect(page.locator("#drop-lost")).to_have_text(words["lost"])
    save_screenshot(page, tmp_path, f"board_6_stages_{language}_1366", full_page=False)


@pytest.mark.parametrize(("added", "scrolls"), [(3, False), (5, True)])
def test_eight_stages_fit_and_more_scroll_inside_the_window(
    new_page, pipeline, tmp_path, added, scrolls
):
    pipeline["add_stages"](added)
    pipeline["fill"]()
    page = _open(new_page, "ru")
    log_in(page, pipeline["manager"])
    page.goto("/pipeline/")
    geometry = _board_geometry(page)
    assert len(geometry["columns"]) == 5 + added
    assert (geometry["scrollWidth"] > geometry["clientWidth"]) is scrolls, geometry
    assert geometry["pageWidth"] <= geometry["innerWidth"], "the page scrolls sideways"
    # The board's own sideways scrollbar is at its bottom edge: inside the window.
    assert geometry["bottom"] <= geometry["innerHeight"], geometry
    if scrolls:
        board = page.locator("#pipeline-board")
        board.evaluate("board => board.scrollLeft = board.scrollWidth")
        last = page.locator(".crm-board-column").last
        box = last.bounding_box()
        assert box["x"] + box["width"] <= geometry["innerWidth"], "the last column stays hidden"
    save_screenshot(page, tmp_path, f"board_{5 + added}_stages_ru_1366", full_page=False)


def _drag(page, deal_id: int, target: str) -> None:
    card = page.locator(f'.crm-card[data-deal="{deal_id}"]')
    card.drag_to(page.locator(target), source_position={"x": 5, "y": 5})


def test_a_card_dropped_on_won_closes_the_deal(new_page, pipeline, session):
    from app.models import Deal

    pipeline["fill"]()
    deal = session.query(Deal).order_by(Deal.id).first()
    page = _open(new_page, "ru")
    log_in(page, pipeline["manager"])
    page.goto("/pipeline/")
    with page.expect_navigation():
        _drag(page, deal.id, "#drop-won")
    expect(page.locator(".alert-success")).to_contain_text("Выиграна")
    expect(page.locator(f'.crm-card[data-deal="{deal.id}"]')).to_have_count(0)
    session.expire_all()
    assert session.get(Deal, deal.id).stage.kind == "won"


def test_a_card_dropped_on_lost_asks_the_reason_first(new_page, pipeline, session):
    from app.models import Deal

    pipeline["fill"]()
    deal = session.query(Deal).order_by(Deal.id).first()
    stage_before = deal.stage_id
    page = _open(new_page, "en")
    log_in(page, pipeline["manager"])
    page.goto("/pipeline/")
    dialog = page.locator("#lost-dialog")
    _drag(page, deal.id, "#drop-lost")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(deal.title)
    page.click("#lost-dialog-cancel")  # changed their mind: nothing moves
    expect(dialog).to_be_hidden()
    session.expire_all()
    assert session.get(Deal, deal.id).stage_id == stage_before

    _drag(page, deal.id, "#drop-lost")
    page.click("#lost-dialog button[type=submit]")  # no reason: the dialog stays
    expect(dialog).to_be_visible()
    page.fill("#lost-dialog-reason", "Chose a cheaper supplier")
    with page.expect_navigation():
        page.click("#lost-dialog button[type=submit]")
    expect(page.locator(f'.crm-card[data-deal="{deal.id}"]')).to_have_count(0)
    session.expire_all()
    lost = session.get(Deal, deal.id)
    assert lost.stage.kind == "lost"
    assert lost.lost_reason == "Chose a cheaper supplier"


@pytest.fixture
def day(make_user, make_company, make_contact, make_deal, make_task):
    """A manager with overdue and today's tasks of very different lengths, and no-task clients."""
    from app.models.mixins import local_now

    manager = make_user("Manager", "anna")
    manager.first_name, manager.last_name = "Афанасий", "Емельянов"
    now = local_now()
    today = now.replace(hour=23, minute=30, second=0, microsecond=0)
    subjects = ("Позвонить", "Перезвонить по коммерческому предложению и уточнить сроки поставки",
                "Отправить договор на согласование")
    for index, subject in enumerate(subjects):
        company = make_company(manager, CLIENTS[index])
        deal = make_deal(manager, company=company, title=TITLES[index])
        make_task(manager, company=company, deal=deal, subject=subject,
                  due_at=now - timedelta(days=index + 1))
        make_task(manager, company=company, subject=subject[:12], due_at=today)
    make_company(manager, "Забытая")  # without a next task
    make_company(manager, "Ещё одна забытая")
    return manager


def _header_cells(page, table: str) -> list[tuple[float, float]]:
    cells = page.locator(f"{table} thead th")
    return [(round(box["x"], 1), round(box["width"], 1))
            for box in (cells.nth(i).bounding_box() for i in range(cells.count()))]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_my_days_tables_line_up_and_the_counters_say_what_they_count(
    new_page, day, session, tmp_path, language
):
    session.commit()
    page = _open(new_page, language)
    log_in(page, day)
    words = WORDS[language]
    overdue = _header_cells(page, "#my-overdue")
    assert len(overdue) == 5
    assert _header_cells(page, "#my-today") == overdue, "the two tables' columns differ"
    for key, count in (("overdue", "3"), ("today", "3"), ("queue", "2")):
        counter = page.locator(f"#counter-{key}").locator("xpath=..")
        expect(counter).to_be_visible()
        expect(counter).to_have_text(re.compile(rf"^\s*{words[key]}\s+{count}\s*$"))
    menu = page.locator(".navbar").bounding_box()
    assert menu["height"] < 60, "the menu bar wraps onto a second line"
    save_screenshot(page, tmp_path, f"my_day_{language}_1366", full_page=False)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_on_a_phone_the_counters_are_labelled_without_opening_the_menu(
    new_page, day, tmp_path, language
):
    page = _open(new_page, language, PHONE)
    log_in(page, day)
    words = WORDS[language]
    phone = page.locator("#crm-counters-phone")
    expect(phone).to_be_visible()
    for key, count in (("overdue", "3"), ("today", "3"), ("queue", "2")):
        link = phone.locator(f".crm-counter-{key} a")
        expect(link).to_be_visible()
        expect(link).to_have_text(re.compile(rf"^\s*{words[key]}\s+{count}\s*$"))
        box = link.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], key
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"My day is {width} px wide on a 390 px phone"
    complete = page.locator("#my-overdue a.btn-success").first
    box = complete.bounding_box()
    assert box["x"] + box["width"] <= PHONE["width"], "the complete button is out of reach"
    save_screenshot(page, tmp_path, f"my_day_{language}_390", full_page=False)


def test_the_language_menu_has_no_stray_dash(new_page, day):
    page = _open(new_page, "ru")
    log_in(page, day)
    page.locator("ul.navbar-right a.dropdown-toggle", has=page.locator(".flag")).click()
    item = page.locator("ul.navbar-right .dropdown-menu a[href*='/lang/']").first
    expect(item).to_be_visible()
    expect(item).to_have_text(re.compile(r"^\s*English\s*$"))


def _picker(page):
    return page.locator(".datepicker-dropdown")


def test_a_birthday_typed_the_russian_way_stays_and_is_saved(new_page, day, session, tmp_path):
    from app.models import Contact

    page = _open(new_page, "ru")
    log_in(page, day)
    page.goto("/contactview/add")
    page.fill("#last_name", "Петрова")
    page.click("#birthday")
    years = _picker(page).locator(".datepicker-years")
    expect(years).to_be_visible()  # a birthday opens on years, not on this month
    first_year = date.today().year - 35
    expect(years.locator(".datepicker-switch")).to_have_text(
        f"{first_year - first_year % 10}-{first_year - first_year % 10 + 9}")
    page.keyboard.press("Escape")
    page.fill("#birthday", "")
    page.locator("#birthday").press_sequentially("09.12.1975")
    page.keyboard.press("Tab")
    expect(page.locator("#birthday")).to_have_value("09.12.1975")
    save_screenshot(page, tmp_path, "birthday_typed_ru", full_page=False)
    with page.expect_navigation():
        page.click("form#model_form button[type=submit]")
    session.expire_all()
    contact = session.query(Contact).filter_by(last_name="Петрова").one()
    assert contact.birthday == date(1975, 12, 9)


@pytest.mark.parametrize(
    ("language", "first_day", "month", "picked"),
    [("ru", "Пн", "Январь 2031", "15.01.2031"), ("en", "Su", "January 2031", "01/15/2031")],
)
def test_the_date_picker_speaks_the_users_language(
    new_page, day, tmp_path, language, first_day, month, picked
):
    page = _open(new_page, language)
    log_in(page, day)
    page.goto("/dealview/add")
    page.locator("#expected_close_date").press_sequentially(picked)  # as a user types
    days = _picker(page).locator(".datepicker-days")
    expect(days).to_be_visible()
    expect(days.locator(".datepicker-switch")).to_have_text(month)
    expect(days.locator("th.dow").first).to_have_text(first_day)
    expect(days.locator("td.day.active")).to_have_text("15")
    save_screenshot(page, tmp_path, f"date_picker_{language}", full_page=False)
    days.locator("td.day:not(.old):not(.new)", has_text=re.compile(r"^20$")).click()
    expect(page.locator("#expected_close_date")).to_have_value(picked.replace("15", "20"))


def test_a_due_filter_on_the_task_list_takes_a_russian_date(new_page, day, tmp_path):
    page = _open(new_page, "ru")
    log_in(page, day)
    page.goto("/taskview/list/")
    page.click("#accordion1 a.accordion-toggle")  # FAB's "Search" panel
    page.locator("#filter_form button.dropdown-toggle").click()
    page.locator("#filter_form a.filter[name=due_at]").click()
    field = page.locator("#filter_form .crm-date input").first
    expect(field).to_be_visible()
    field.click()
    expect(_picker(page).locator(".datepicker-days th.dow").first).to_have_text("Пн")
    page.keyboard.press("Escape")
    field.fill(date.today().strftime("%d.%m.%Y"))
    with page.expect_navigation():
        page.locator("#filter_form button[type=submit]").click()
    rows = page.locator("table tbody tr", has_text="Позвонить")
    expect(rows.first).to_be_visible()  # today's "Позвонить" task is found
    save_screenshot(page, tmp_path, "task_list_due_filter_ru", full_page=False)


@pytest.mark.parametrize(("language", "january", "typed"), [("ru", "Янв.", "01.2026"),
                                                             ("en", "Jan", "01/2026")])
def test_report_months_are_picked_in_the_users_language(
    new_page, make_user, language, january, typed
):
    page = _open(new_page, language)
    log_in(page, make_user("Head"))
    page.goto("/reports/won-lost/")
    page.click("#report-from")
    months = _picker(page).locator(".datepicker-months")
    expect(months).to_be_visible()
    expect(months.locator("span.month").first).to_have_text(january)
    page.keyboard.press("Escape")
    page.fill("#report-from", typed)
    with page.expect_navigation():
        page.locator("#report-filters button[type=submit]").click()
    expect(page.locator("#report-from")).to_have_value(typed)


@pytest.mark.parametrize("role", ["Head", "Admin"])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_menu_bar_with_labelled_counters_stays_on_one_line(
    app, new_page, make_user, tmp_path, role, language
):
    user = make_user(role)
    user.first_name, user.last_name = "Ульяна", "Петухова"
    app.appbuilder.sm.update_user(user)
    page = _open(new_page, language)
    log_in(page, user)
    expect(page.locator("#counter-queue")).to_be_visible()
    save_screenshot(page, tmp_path, f"menu_bar_{role.lower()}_{language}_1366", full_page=False)
    menu = page.locator(".navbar").bounding_box()
    assert menu["height"] < 60, f"the {role}'s menu bar wraps onto a second line"
