"""The head's report of duplicates: pairs by INN, phone, e-mail and name, both owners, a
merge button; managers get no report."""

import pytest
from sqlalchemy import select

from app.formatting import person_name
from app.models import KeyHolders, User
from app.services.errors import NotFound
from app.services.queries import duplicates
from app.services.rules import archive, merge, saving
from app.services.rules.followup import NextTask
from app.services.rules.search_keys import stamp_keys
from tests.helpers import DUE, in_parallel


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


def test_the_pairs_come_with_their_owners(session, statements, make_user, make_company,
                                          make_contact, client, login):
    head_id = make_user("Head").id
    owners = [make_user("Manager") for _ in range(5)]
    for number, owner in enumerate(owners):
        make_company(owner, name=f"Гамма {number}", inn="7707083893")
        make_contact(owner, f"Сидоров {number}", email="p@example.com")
    names = {owner.id: person_name(owner) for owner in owners}
    session.commit()
    # Nothing of the test's own records left in the session: the report loads its own.
    session.expunge_all()
    head = session.get(User, head_id)
    with statements() as seen:
        pairs = duplicates.report(session, head)
    counted = len(seen)
    users_read = [statement for statement in seen if "FROM ab_user" in str(statement)]
    with statements() as seen:
        shown = {record.owner_id: person_name(record.owner)
                 for pair in pairs for record in (pair.first, pair.second)}
    assert shown == names
    # Five owners, read in one statement of the report's, none asked for one by one.
    assert seen == [] and counted <= 12 + duplicates.NEWEST
    assert len(users_read) == 1, users_read
    login("Head")
    text = client.get("/duplicates/").get_data(as_text=True)
    for name in names.values():
        assert f"<td>{name}</td>" in text


def _pairs(session, head) -> set[tuple]:
    session.expire_all()
    return {(pair.first.id, pair.second.id, tuple(pair.reasons))
            for pair in duplicates.report(session, head)}


def test_the_report_follows_edits_archive_restore_and_merge(session, make_user, make_company):
    head, anna = make_user("Head"), make_user("Manager")
    first = make_company(anna, name="Альфа", inn="7707083893")
    second = make_company(anna, name="Бета", inn="7707083893")
    assert _pairs(session, head) == {(first.id, second.id, ("inn",))}
    # Another INN: no pair; the old value is held once and its row is gone.
    second.inn = "500100732259"
    stamp_keys(second)
    saving.save_record(session, head, second, is_new=False, next_task=None,
                       require_cover=False)
    session.commit()
    assert _pairs(session, head) == set()
    assert session.get(KeyHolders, ("company", "inn", "7707083893")).n == 1
    second.inn = "7707083893"
    stamp_keys(second)
    session.commit()
    assert _pairs(session, head) == {(first.id, second.id, ("inn",))}
    saving.archive_record(session, head, second)
    session.commit()
    assert _pairs(session, head) == set()
    archive.restore(session, head, second)
    assert _pairs(session, head) == {(first.id, second.id, ("inn",))}
    merge.merge(session, head, first, second, next_task=NextTask(subject="Позвонить", due_at=DUE))
    assert _pairs(session, head) == set()
    assert session.scalars(select(KeyHolders.n).where(KeyHolders.value == "бета")).all() == []


def test_two_companies_with_one_inn_saved_at_once_make_a_pair(app, session, make_user):
    head, anna = make_user("Head"), make_user("Manager")
    anna_id = anna.id

    def create(_client):
        from app.extensions import db
        from app.models import Company

        with app.app_context():
            company = Company(name="Новая", inn="7707083893", owner_id=anna_id,
                              status="active")
            stamp_keys(company)
            db.session.add(company)
            db.session.commit()
            db.session.remove()
        return "saved"

    assert in_parallel(app, 2, create) == ["saved", "saved"]
    assert session.get(KeyHolders, ("company", "inn", "7707083893")).n == 2
    assert [pair.reasons for pair in duplicates.report(session, head)] == [["inn", "name"]]


def test_a_full_page_of_pairs_stops_there(session, make_user, make_company, monkeypatch):
    """Pairs of the keys fill the page first; similar names are looked for only if room."""
    monkeypatch.setattr(duplicates, "PAIRS_LIMIT", 2)
    head, anna = make_user("Head"), make_user("Manager")
    for inn in ("7707083893", "500100732259", "7830002293"):
        make_company(anna, name=f"Альфа {inn}", inn=inn)
        make_company(anna, name=f"Бета {inn}", inn=inn)
    make_company(anna, name="ООО Ромашка")
    make_company(anna, name="Ромашка")
    pairs = duplicates.report(session, head)
    assert [pair.reasons for pair in pairs] == [["inn"], ["inn"]]
    monkeypatch.setattr(duplicates, "PAIRS_LIMIT", 10)
    reasons = [pair.reasons for pair in duplicates.report(session, head)]
    assert reasons == [["inn"], ["inn"], ["inn"], ["name"]]
