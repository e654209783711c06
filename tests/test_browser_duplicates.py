"""In a real browser, in Russian and English: a company with an existing INN shows the match
and is saved anyway; two companies are merged from the side-by-side screen."""

import pytest

from tests.browser import log_in

INN = "7707083893"
TEXTS = {
    "ru-RU": {"lang": "ru", "anyway": "Всё равно сохранить", "merged": "Объединено"},
    "en-US": {"lang": "en", "anyway": "Save anyway", "merged": "Merged"},
}


def _open(new_page, live_server, user, locale: str):
    page = new_page(locale=locale)
    log_in(page, user)
    page.goto(f"{live_server}/lang/{TEXTS[locale]['lang']}")
    return page


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_an_existing_inn_is_shown_then_saved_anyway(new_page, live_server, make_user,
                                                    make_company, session, locale):
    from app.models import Company

    manager = make_user("Manager", "vera")
    make_company(manager, name="ООО Ромашка", inn=INN)
    page = _open(new_page, live_server, manager, locale)
    page.goto(f"{live_server}/companyview/add")
    page.fill("input[name=name]", "Ромашка-2")
    page.fill("input[name=inn]", INN)
    with page.expect_navigation():
        page.click("#model_form button[type=submit], #model_form input[type=submit]")
    panel = page.locator("#duplicates")
    assert "ООО Ромашка" in panel.inner_text()
    button = page.locator("#save-anyway")
    assert button.inner_text().strip() == TEXTS[locale]["anyway"]
    with page.expect_navigation():
        button.click()
    session.expire_all()
    assert session.query(Company).filter_by(inn=INN).count() == 2


@pytest.mark.parametrize("locale", ["ru-RU", "en-US"])
def test_two_companies_merged_side_by_side(new_page, live_server, make_user, make_company,
                                           make_task, session, locale):
    from app.models import Company

    head = make_user("Head", "olga")
    kept = make_company(head, name="Ромашка", phone="+7 495 111-11-11")
    other = make_company(head, name="ООО Ромашка", inn=INN)
    make_task(head, company=kept)
    page = _open(new_page, live_server, head, locale)
    page.goto(f"{live_server}/duplicates/")
    with page.expect_navigation():
        page.click(f"tr[data-pair='company-{kept.id}-{other.id}'] a.btn")
    page.check("tr[data-field=inn] input[value=other]")
    with page.expect_navigation():
        page.click("#merge-submit")
    assert TEXTS[locale]["merged"] in page.content()
    session.expire_all()
    assert session.get(Company, kept.id).inn == INN
    assert session.get(Company, other.id).archived
