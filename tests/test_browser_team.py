"""The head's screens in a real browser: reassigning clients, archiving and restoring.

A manager sees the result on own pages; a manager who opens the head's screen gets the
"access denied" page (the only error answer these tests allow).
"""

import pytest

from tests.browser import expect, log_in, save_screenshot

ACCESS_DENIED = "У вас нет доступа к этой странице."


@pytest.fixture
def team(make_user, make_company, make_contact, make_task):
    """The head, Anna with the company Альфа (a contact, a planned call) and Boris."""
    head = make_user("Head", "head")
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    alpha = make_company(anna, "Альфа", status="active")
    make_contact(anna, "Сидорова", company=alpha)
    make_task(anna, company=alpha, subject="Позвонить в Альфу")
    return {"head": head, "anna": anna, "boris": boris, "alpha": alpha}


def _open_team_menu_item(page, label: str) -> None:
    page.goto("/")
    page.locator("a.dropdown-toggle", has_text="Команда").click()
    with page.expect_navigation():
        page.locator("ul.dropdown-menu a", has_text=label).click()


def _rows(page, path: str) -> str:
    """Open a list and return the text of its rows."""
    page.goto(path)
    return "\n".join(page.locator("table.table-bordered tbody tr").all_inner_texts())


def _companies(page) -> str:
    return _rows(page, "/companyview/list/")


def test_the_head_reassigns_a_managers_clients_and_a_manager_may_not(new_page, watch, team):
    head_page = new_page()
    log_in(head_page, team["head"])
    _open_team_menu_item(head_page, "Передача клиентов")
    head_page.select_option("#from_user", str(team["anna"].id))
    head_page.select_option("#to_user", str(team["boris"].id))
    with head_page.expect_navigation():
        head_page.locator("#reassign-form button[name=preview]").click()
    preview = head_page.locator("#reassign-preview")
    expect(preview.locator("[data-kind=companies]")).to_have_text("1")
    expect(preview.locator("[data-kind=tasks]")).to_have_text("1")
    with head_page.expect_navigation():
        head_page.locator("#reassign-form button[name=confirm]").click()
    expect(head_page.locator(".alert-success")).to_contain_text("Передано менеджеру")

    anna_page = new_page()
    log_in(anna_page, team["anna"])
    assert "Альфа" not in _companies(anna_page)
    boris_page = new_page()
    log_in(boris_page, team["boris"])
    assert "Альфа" in _companies(boris_page)
    assert "Позвонить в Альфу" in _rows(boris_page, "/taskview/list/")

    watch.allow(403, "/reassign/")
    response = anna_page.goto("/reassign/")
    assert response.status == 403
    expect(anna_page.locator("#error-page")).to_contain_text(ACCESS_DENIED)
    expect(anna_page.locator("#reassign-form")).to_have_count(0)


def _archive_from_the_list(page, company) -> None:
    """Click the company's trash icon in the list: its confirmation page opens."""
    _companies(page)
    with page.expect_navigation():
        page.locator(f'table a[href^="/companyview/delete/{company.id}"]').click()
    expect(page.locator("#archive-confirm")).to_be_visible()


def test_a_manager_archives_a_company_and_the_head_restores_it(new_page, team):
    alpha = team["alpha"]
    anna_page = new_page()
    log_in(anna_page, team["anna"])
    _archive_from_the_list(anna_page, alpha)
    with anna_page.expect_navigation():
        anna_page.locator("#archive-confirm a", has_text="Отмена").click()
    assert "Альфа" in _companies(anna_page)  # cancelled: nothing happened

    _archive_from_the_list(anna_page, alpha)
    confirm = anna_page.locator("#archive-confirm")
    expect(confirm).to_contain_text("Вместе с этой записью в архив попадут связанные с ней:")
    expect(confirm.locator("li", has_text="контакты")).to_contain_text("1")
    expect(confirm.locator("li", has_text="задачи")).to_contain_text("1")
    with anna_page.expect_navigation():
        confirm.locator("button[type=submit]").click()
    expect(anna_page.locator(".alert-success")).to_contain_text(
        "Запись «Альфа» перенесена в архив вместе со связанными: контакты: 1, задачи: 1.")
    assert "Альфа" not in _companies(anna_page)

    head_page = new_page()
    log_in(head_page, team["head"])
    _open_team_menu_item(head_page, "Архив")
    row = head_page.locator("#archive-list tr", has_text="Альфа")
    with head_page.expect_navigation():
        row.locator("button", has_text="Восстановить").click()
    expect(head_page.locator(".alert-success")).to_contain_text(
        "Запись «Альфа» восстановлена вместе со связанными: контакты: 1, задачи: 1.")
    expect(head_page.locator("body")).to_contain_text("Сидорова")  # its contact is back

    assert "Альфа" in _companies(anna_page)


def test_the_head_archives_and_restores_a_company_in_english(new_page, team):
    alpha = team["alpha"]
    page = new_page()
    log_in(page, team["head"])
    page.goto("/lang/en")
    _archive_from_the_list(page, alpha)
    confirm = page.locator("#archive-confirm")
    expect(confirm).to_contain_text("Archiving this record also archives what hangs on it:")
    expect(confirm.locator("li", has_text="contacts")).to_contain_text("1")
    expect(confirm.locator("li", has_text="tasks")).to_contain_text("1")
    with page.expect_navigation():
        confirm.locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Archived «Альфа» together with contacts: 1, tasks: 1.")
    assert "Альфа" not in _companies(page)

    page.goto("/archive/?kind=company")
    with page.expect_navigation():
        page.locator("#archive-list tr", has_text="Альфа").locator("button").click()
    expect(page.locator(".alert-success")).to_contain_text(
        "Restored «Альфа» together with contacts: 1, tasks: 1.")
    assert "Альфа" in _companies(page)


MOVE_WORDS = {"ru": ("Идёт перенос", "Передано менеджеру"),
              "en": ("The move is under way", "Moved to")}


@pytest.mark.parametrize("width", [390, 1366])
@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_move_page_under_way_then_done_fits_the_screen(
        new_page, team, session, tmp_path, language, width):
    """The head reads a move under way, and then done, without scrolling sideways."""
    from app.services.rules import reassignment

    record = reassignment.start(session, team["head"], team["anna"], team["boris"])
    page = new_page(locale={"ru": "ru-RU", "en": "en-US"}[language])
    page.set_viewport_size({"width": width, "height": 844})
    log_in(page, team["head"])
    under_way, done = MOVE_WORDS[language]
    page.goto(f"/reassignmentview/show/{record.id}")
    expect(page.locator("#move-state .alert-info")).to_contain_text(under_way)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, tmp_path, f"move_under_way_{language}_{width}")
    reassignment.run(session, record.id)
    # The page looks again by itself and then says the move is done.
    expect(page.locator("#move-state .alert-success")).to_contain_text(done)
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    save_screenshot(page, tmp_path, f"move_done_{language}_{width}")
