"""A website form's lead reaches the manager's inbox and becomes a client, in a real browser."""

import re

import pytest
from sqlalchemy import select

from tests.browser import log_in, save_screenshot

TEXTS = {
    "ru-RU": {"lang": "ru", "accept": "Принять как нового клиента", "saved": "Клиент сохранён",
              "report": "Скорость ответа на лиды", "all": "100\xa0%", "none": "0"},
    "en-US": {"lang": "en", "accept": "Accept as a new client", "saved": "Client saved",
              "report": "Speed to lead", "all": "100%", "none": "0"},
}


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_a_form_post_becomes_a_client_with_a_first_task(new_page, live_server, make_user,
                                                       session, tmp_path, locale):
    from app.models import Company, InboxItem, Task

    texts = TEXTS[locale]
    manager = make_user("Manager", "vera")
    page = new_page(locale=locale)
    sent = page.request.post(f"{live_server}/intake/form", form={
        "name": "Ольга Ветрова", "company": "ООО Лето", "phone": "8 916 555-12-34",
        "email": "olga@leto.example", "message": "Нужна бумага, 10 палет", "website": ""},
        max_redirects=0)
    assert sent.status == 303

    log_in(page, manager)
    page.goto(f"{live_server}/lang/{texts['lang']}")
    page.goto(live_server + "/")
    assert page.locator("#counter-inbox").inner_text() == "1"
    with page.expect_navigation():
        page.click(".crm-counter-inbox a >> visible=true")
    save_screenshot(page, tmp_path, f"inbox-{texts['lang']}")
    with page.expect_navigation():
        page.click(".crm-inbox-item a >> nth=1")
    assert "Нужна бумага, 10 палет" in page.inner_text("#inbox-item")
    with page.expect_navigation():
        page.get_by_role("link", name=texts["accept"]).click()
    assert page.input_value("#client_name") == "ООО Лето"
    assert page.input_value("#contact_last_name") == "Ветрова"
    page.fill("#call_result", "Договорились прислать предложение")
    page.fill("#next_subject", "Отправить предложение")
    with page.expect_navigation():
        page.click("#first-call-save")

    company = session.scalars(select(Company)).one()
    assert page.url.endswith(f"/companyview/show/{company.id}"), page.url
    assert texts["saved"] in page.inner_text("body")
    assert page.locator("#counter-inbox").inner_text() == "0"
    session.expire_all()
    assert session.scalars(select(InboxItem.state)).one() == "accepted"
    planned = session.scalars(select(Task).where(Task.state == "planned")).one()
    assert (planned.company_id, planned.owner_id, planned.subject) == (
        company.id, manager.id, "Отправить предложение")
    done = session.scalars(select(Task).where(Task.state == "done")).one()
    assert done.result == "Договорились прислать предложение"
    save_screenshot(page, tmp_path, f"inbox-accepted-{texts['lang']}")

    # The speed-to-lead report counts the lead as answered within minutes, from the menu.
    page.locator("a.dropdown-toggle", has_text=re.compile("Отчёты|Reports")).click()
    with page.expect_navigation():
        page.get_by_role("link", name=texts["report"]).click()
    assert page.url.endswith("/reports/speed-to-lead/")
    row = page.locator(f'#speed-managers tr[data-key="{manager.id}"]')
    assert row.locator(".crm-leads").inner_text() == "1"
    assert row.locator(".crm-answered").inner_text() == "1"
    assert row.locator(".crm-share").all_inner_texts() == [texts["all"]] * 3
    assert row.locator(".crm-waiting").inner_text() == texts["none"]
    save_screenshot(page, tmp_path, f"speed-to-lead-{texts['lang']}")
