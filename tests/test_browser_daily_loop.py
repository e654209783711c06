"""The seed's daily loop in a real browser: a client calls, the manager creates the company
and a deal, logs the call with its result and plans the next call in a month; a month
later the call is on My day.
"""

from datetime import timedelta

import pytest

from tests.browser import log_in


@pytest.fixture
def manager(make_user):
    return make_user("Manager", "olga")


def _pick(page, select_id: str, label: str) -> None:
    """Choose an option of a Select2-enhanced <select> by its visible text."""
    page.evaluate(
        """([id, label]) => {
            const select = document.getElementById(id);
            const option = [...select.options].find(o => o.text.trim() === label);
            select.value = option.value;
            select.dispatchEvent(new Event('change', {bubbles: true}));
        }""",
        [select_id, label],
    )


def test_daily_loop_takes_a_handful_of_steps(live_server, page, manager, session, monkeypatch):
    from app.models import Company, Deal, Task
    from app.models.mixins import local_now

    server = live_server
    log_in(page, manager)
    page.goto(server + "/lang/en")

    # 1. The client calls: a new company, its first task comes prefilled with the form.
    page.goto(server + "/companyview/add")
    page.fill("#name", "Northwind Trading")
    assert page.input_value("#next_subject")  # prefilled: one click to keep it
    with page.expect_navigation():
        page.click("form#model_form button[type=submit]")
    company = session.query(Company).filter_by(name="Northwind Trading").one()

    # 2. The client asks for an offer: a deal for this company.
    page.goto(f"{server}/dealview/add?_flt_0_company={company.id}")
    page.fill("#title", "Forklift lease")
    _pick(page, "stage", "Proposal")
    page.fill("#amount", "250000")
    with page.expect_navigation():
        page.click("form#model_form button[type=submit]")
    deal = session.query(Deal).filter_by(title="Forklift lease").one()
    assert deal.company_id == company.id

    # 3. Log the call with its result and plan the next one in a month, from My day.
    task = session.query(Task).filter_by(company_id=company.id, state="planned").first()
    page.goto(f"{server}/taskview/complete/{task.id}")
    page.fill("#result", "Interested, wants the offer next month")
    page.fill("#next_subject", "Call about the offer")
    in_a_month = (local_now() + timedelta(days=30)).replace(hour=10, minute=0, second=0)
    page.fill("#next_due_at", in_a_month.strftime("%Y-%m-%dT%H:%M"))
    with page.expect_navigation():
        page.click("#complete-form button[type=submit]")
    assert page.url.rstrip("/") == server, page.inner_text("body")[:1500]  # on My day

    # 4. A month later the call is on My day.
    import app.views.index as index

    monkeypatch.setattr(index, "local_now", lambda: in_a_month.replace(hour=0, minute=0))
    page.goto(server + "/")
    assert page.locator("#my-today", has_text="Call about the offer").count() == 1
