"""Merging two companies or two contacts: chosen values, everything moved, the other
archived and restorable, history on both, the next task kept, two merges at once."""

import pytest

from app.labels import LABELS
from app.models import Company, Contact, Deal, HistoryEntry, Task
from app.services.errors import NotFound
from app.services.queries.timeline import timeline
from app.services.rules import archive, merge
from app.services.rules.followup import NextTask, NextTaskRequired
from tests.helpers import DUE, api_login, in_parallel


@pytest.fixture
def pair(make_user, make_company, make_contact, make_deal, make_task):
    """Two companies of one manager: the kept one with a task, the other with everything."""
    owner = make_user("Manager", "anna")
    kept = make_company(owner, name="Ромашка", phone="+7 495 111-11-11")
    other = make_company(owner, name="ООО Ромашка", inn="7707083893", email="r@example.com")
    make_task(owner, company=kept, subject="Позвонить в Ромашку")
    person = make_contact(owner, "Смирнова", company=other)
    deal = make_deal(owner, company=other, title="Поставка бумаги")
    task = make_task(owner, company=other, deal=deal, subject="Отправить КП")
    return owner, kept, other, person, deal, task


def test_a_merge_moves_everything_and_archives_the_other(session, pair):
    owner, kept, other, person, deal, task = pair
    done = merge.merge(session, owner, kept, other, {"inn": "other", "email": "other"})
    session.expire_all()
    kept, other = session.get(Company, kept.id), session.get(Company, other.id)
    assert (kept.name, kept.inn, kept.email, kept.phone) == (
        "Ромашка", "7707083893", "r@example.com", "+7 495 111-11-11")
    assert other.archived and other.merged_into_id == kept.id
    assert session.get(Contact, person.id).company_id == kept.id
    assert session.get(Deal, deal.id).company_id == kept.id
    assert session.get(Task, task.id).company_id == kept.id
    assert done.moved["contacts"] == 1 and done.moved["deals"] == 1 and done.moved["tasks"] == 1


def test_both_histories_tell_the_merge(session, make_user, pair):
    owner, kept, other, *_ = pair
    head = make_user("Head")
    merge.merge(session, owner, kept, other, {"name": "other"})
    actions = {(entry.entity_id, entry.action) for entry in session.query(HistoryEntry)}
    assert (kept.id, "merged") in actions and (other.id, "merged") in actions
    story = timeline(session, session.get(Company, kept.id), LABELS, viewer=head)
    merged = [event for event in story if event.entity_id == kept.id and event.changes
              and any(label == LABELS["merged_from"] for label, _old, _new in event.changes)]
    assert merged and merged[0].changes[0][2] == "ООО Ромашка"


def test_restoring_the_merged_record_brings_it_back_as_it_was(session, make_user, pair):
    owner, kept, other, person, deal, task = pair
    head = make_user("Head")
    merge.merge(session, owner, kept, other, {"inn": "other"})
    restored = session.get(Company, other.id)
    archive.restore(session, head, restored)
    session.expire_all()
    restored = session.get(Company, other.id)
    assert not restored.archived and restored.merged_into_id is None
    assert (restored.name, restored.inn) == ("ООО Ромашка", "7707083893")
    # Not undone: what moved stays with the kept record.
    assert session.get(Deal, deal.id).company_id == kept.id


def test_a_live_kept_record_without_a_task_needs_the_next_one(session, make_user,
                                                              make_company):
    owner = make_user("Manager")
    kept = make_company(owner, name="Без задач")
    other = make_company(owner, name="Тоже без задач")
    with pytest.raises(NextTaskRequired):
        merge.merge(session, owner, kept, other)
    assert not session.get(Company, other.id).archived
    done = merge.merge(session, owner, session.get(Company, kept.id),
                       session.get(Company, other.id), {},
                       NextTask(subject="Позвонить", due_at=DUE))
    assert done.next_task is not None and done.next_task.company_id == kept.id


def test_a_manager_merges_only_own_records(session, make_user, make_company):
    anna, boris = make_user("Manager"), make_user("Manager")
    mine, theirs = make_company(anna, name="Моя"), make_company(boris, name="Чужая")
    with pytest.raises(NotFound):
        merge.merge(session, anna, mine, theirs)
    head = make_user("Head")
    mine.status = theirs.status = "lost"
    mine.lost_reason = theirs.lost_reason = "Ушли"
    session.commit()
    merge.merge(session, head, mine, theirs, {"owner_id": "other"})
    assert session.get(Company, mine.id).owner_id == boris.id


def test_contacts_merge_with_contacts(session, make_user, make_contact, make_deal, make_task):
    owner = make_user("Manager")
    kept = make_contact(owner, "Иванов", first_name="Иван", phone="+7 916 000-00-01")
    other = make_contact(owner, "Иванов", first_name="Иван", middle_name="Петрович",
                         email="ivanov@example.com")
    make_task(owner, contact=kept)
    deal = make_deal(owner, contact=other)
    make_task(owner, contact=other, deal=deal)
    merge.merge(session, owner, kept, other, {"middle_name": "other", "email": "other"})
    session.expire_all()
    kept = session.get(Contact, kept.id)
    assert (kept.middle_name, kept.email) == ("Петрович", "ivanov@example.com")
    assert session.get(Deal, deal.id).contact_id == kept.id


def test_two_merges_at_once_one_wins(app, session, make_user, make_company, make_task):
    head = make_user("Head")
    first = make_company(head, name="Первая")
    second = make_company(head, name="Вторая")
    for company in (first, second):
        make_task(head, company=company)
    headers = api_login(app.test_client(), head)
    ids = [first.id, second.id]
    turns = [True, False]

    def attempt(client):
        # Each merges the other into its own: only one of them can happen.
        kept, other = ids if turns.pop() else ids[::-1]
        return client.post(f"/api/v1/company/{kept}/merge", json={"other_id": other},
                           headers=headers).status_code

    answers = sorted(in_parallel(app, 2, attempt))
    assert answers in ([200, 404], [200, 422]), answers
    session.expire_all()
    archived = [company.archived for company in session.query(Company)]
    assert sorted(archived) == [False, True]


# --- API and screens -----------------------------------------------------------------------


def test_the_api_merges_and_refuses_foreign_records(client, session, make_user, pair,
                                                   make_company):
    owner, kept, other, *_ = pair
    stranger = make_user("Manager")
    foreign = make_company(stranger, name="Чужая")
    headers = api_login(client, owner)
    refused = client.post(f"/api/v1/company/{kept.id}/merge", json={"other_id": foreign.id},
                          headers=headers)
    assert refused.status_code == 404
    bad = client.post(f"/api/v1/company/{kept.id}/merge",
                      json={"other_id": other.id, "fields": {"phone": "theirs"}},
                      headers=headers)
    assert bad.status_code == 422 and "fields" in bad.json["message"]
    answer = client.post(f"/api/v1/company/{kept.id}/merge",
                         json={"other_id": other.id, "fields": {"inn": "other"}},
                         headers=headers)
    assert answer.status_code == 200, answer.json
    assert answer.json["moved"]["deals"] == 1
    session.expire_all()
    assert session.get(Company, kept.id).inn == "7707083893"


def test_the_merge_screen_shows_both_and_merges(client, login, session, make_company,
                                                make_task):
    manager = login("Manager")
    kept = make_company(manager, name="Ромашка", phone="+7 495 111-11-11")
    other = make_company(manager, name="ООО Ромашка", email="r@example.com")
    make_task(manager, company=kept)
    page = client.get(f"/merge/company/{kept.id}?other={other.id}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "ООО Ромашка" in text and 'id="merge-fields"' in text
    picked = client.get(f"/merge/company/{kept.id}").get_data(as_text=True)
    assert "ООО Ромашка" in picked
    saved = client.post(f"/merge/company/{kept.id}", data={
        "other": other.id, "field_name": "other", "field_email": "other", "next_subject": ""})
    assert saved.status_code == 302
    session.expire_all()
    assert session.get(Company, kept.id).name == "ООО Ромашка"
    assert session.get(Company, other.id).archived


def test_the_merge_screen_of_a_foreign_record_is_404(client, login, make_user, make_company):
    other_manager = make_user("Manager")
    theirs = make_company(other_manager, name="Чужая")
    mine = make_company(login("Manager"), name="Моя")
    assert client.get(f"/merge/company/{mine.id}?other={theirs.id}").status_code == 404
    assert client.get(f"/merge/company/{theirs.id}").status_code == 404
