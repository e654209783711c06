"""The head's report of duplicates: pairs by INN, phone, e-mail and name, both owners, a
merge button; managers get no report."""

import pytest

from app.services.errors import NotFound
from app.services.queries import duplicates


def test_pairs_by_every_key_with_their_owners(session, make_user, make_company, make_contact):
    head, anna, boris = make_user("Head"), make_user("Manager"), make_user("Manager")
    a = make_company(anna, name="Альфа", inn="7707083893")
    b = make_company(boris, name="Бета", inn="7707083893", phone="+7 495 000-00-01")
    c = make_company(boris, name="Гамма", phone="8 495 000 00 01")
    r1 = make_company(anna, name="ООО Ромашка")
    r2 = make_company(boris, name="Ромашка")
    make_company(anna, name="Одинокая", inn="500100732259", archived=True)
    p1 = make_contact(anna, "Петров", email="p@example.com")
    p2 = make_contact(boris, "Петренко", email="P@example.com")
    found = {(pair.type, pair.first.id, pair.second.id): pair.reasons
             for pair in duplicates.report(session, head)}
    assert found[("company", a.id, b.id)] == ["inn"]
    assert found[("company", b.id, c.id)] == ["phone"]
    assert found[("company", r1.id, r2.id)] == ["name"]
    assert found[("contact", p1.id, p2.id)] == ["email"]
    assert len(found) == 4


def test_managers_get_no_report(session, make_user, client, login):
    with pytest.raises(NotFound):
        duplicates.report(session, make_user("Manager"))
    login("Manager")
    assert client.get("/duplicates/").status_code in (302, 403, 404)


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_the_page_lists_pairs_with_a_merge_button(client, login, make_user, make_company, role):
    viewer = login(role)
    anna = make_user("Manager", "anna")
    first = make_company(anna, name="Альфа", inn="7707083893")
    second = make_company(viewer, name="Бета", inn="7707083893")
    page = client.get("/duplicates/")
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert f'data-pair="company-{first.id}-{second.id}"' in text
    assert f"/merge/company/{first.id}?other={second.id}" in text


def test_the_report_counts_its_statements(app, session, make_user, make_company, statements):
    head = make_user("Head")
    owner = make_user("Manager")
    for number in range(20):
        make_company(owner, name=f"Фирма {number}", inn="7707083893" if number < 3 else None)
    with statements() as seen:
        duplicates.report(session, head)
    # A fixed number per key, plus one name look-up per newest company (capped).
    assert len(seen) <= 12 + duplicates.NEWEST
