"""Delete means archive, with what hangs on the record; Head and Admin restore; Admin purges."""

import pytest
from sqlalchemy import func, select

from app.models import Company, Contact, Deal, HistoryEntry, Task
from app.services.errors import DomainError
from app.services.queries import agenda
from app.services.rules import archive
from tests.helpers import api_login


@pytest.fixture
def book(make_user, make_company, make_contact, make_deal, make_task, stage):
    """A company with a contact, a deal and tasks; an unrelated client; a lone old task."""
    manager = make_user("Manager", "anna")
    company = make_company(manager, "Вектор")
    contact = make_contact(manager, "Петров", company=company)
    deal = make_deal(manager, company=company, contact=contact, title="Станки",
                     stage=stage("proposal"))
    tasks = [make_task(manager, company=company, subject="Позвонить"),
             make_task(manager, company=company, deal=deal, subject="КП"),
             make_task(manager, company=company, contact=contact, subject="Встреча")]
    other = make_company(manager, "Другая")
    make_task(manager, company=other)
    return {"manager": manager, "company": company, "contact": contact, "deal": deal,
            "tasks": tasks, "other": other}


def _archived(session, model) -> set:
    session.expire_all()
    return set(session.scalars(select(model.id).where(model.archived.is_(True))))


def test_archiving_a_company_takes_its_contacts_deals_and_tasks(client, login, session, book):
    login(user=book["manager"])
    confirm = client.get(f"/companyview/delete/{book['company'].id}?_l_=en")
    page = confirm.data.decode()
    assert confirm.status_code == 200 and 'id="archive-confirm"' in page
    assert "contacts: <strong>1</strong>" in page and "deals: <strong>1</strong>" in page
    assert "tasks: <strong>3</strong>" in page
    assert not _archived(session, Company)  # asking archives nothing

    response = client.post(f"/companyview/delete/{book['company'].id}?_l_=en",
                           follow_redirects=True)
    assert "Archived «Вектор» together with contacts: 1, deals: 1, tasks: 3." in \
        response.data.decode()
    assert _archived(session, Company) == {book["company"].id}
    assert _archived(session, Contact) == {book["contact"].id}
    assert _archived(session, Deal) == {book["deal"].id}
    assert _archived(session, Task) == {task.id for task in book["tasks"]}
    stamps = {row.archived_at for model in (Company, Contact, Deal, Task)
              for row in session.scalars(select(model).where(model.archived.is_(True)))}
    assert len(stamps) == 1  # one batch, one stamp
    archived_entries = session.scalar(select(func.count()).select_from(HistoryEntry).where(
        HistoryEntry.action == "archived"))
    assert archived_entries == 6  # each row in the history



def test_the_interface_hands_back_what_it_archived_without_request_globals(app, session,
                                                                          book):
    """The screen learns what went with the record from the call, not from flask's g."""
    from flask import g

    from app.data.datamodel import ScopedInterface

    interface = ScopedInterface(Company, session)
    with app.test_request_context("/"):
        g.user = book["manager"]
        batch = interface.delete(book["company"])
        leftovers = [name for name in vars(g) if name != "user"]
    assert batch.counts() == {"contacts": 1, "deals": 1, "tasks": 3}
    assert leftovers == []
    assert _archived(session, Company) == {book["company"].id}


def test_archived_records_vanish_from_lists_queue_and_api(client, login, session, book,
                                                         make_user):
    manager = login(user=book["manager"])
    client.post(f"/companyview/delete/{book['company'].id}", follow_redirects=True)
    assert "Вектор" not in client.get("/companyview/list/").data.decode()
    assert "Станки" not in client.get("/dealview/list/").data.decode()
    assert client.get(f"/companyview/show/{book['company'].id}").status_code == 404
    for task in session.scalars(select(Task).where(Task.company_id == book["company"].id)):
        task.state = "cancelled"  # an archived client without a task is no one's worry
    session.commit()
    queued = agenda.queue(session, manager)
    assert not any(row.id == book["company"].id for rows in queued.values() for row in rows)
    headers = api_login(client, manager)
    names = [row["name"] for row in client.get("/api/v1/company/", headers=headers).json[
        "result"]]
    assert names == ["Другая"]
    assert client.get(f"/api/v1/deal/{book['deal'].id}", headers=headers).status_code == 404


def test_archiving_through_the_api_takes_the_same_batch(client, session, book):
    headers = api_login(client, book["manager"])
    response = client.delete(f"/api/v1/company/{book['company'].id}", headers=headers)
    assert response.status_code == 200
    assert _archived(session, Task) == {task.id for task in book["tasks"]}


def test_a_deal_takes_its_tasks_and_a_task_alone_stays_archived(session, book, make_user):
    head = make_user("Head")
    lone = book["tasks"][0]
    archive.archive(session, head, lone)
    session.commit()
    archive.archive(session, head, session.get(Company, book["company"].id))
    session.commit()
    restored = archive.restore(session, head, session.get(Company, book["company"].id))
    assert restored.counts() == {"contacts": 1, "deals": 1, "tasks": 2}
    assert _archived(session, Task) == {lone.id}  # archived before, on its own


def test_head_restores_the_batch_and_a_live_client_without_task_is_in_the_queue(
        client, login, session, book):
    login(user=book["manager"])
    client.post(f"/companyview/delete/{book['company'].id}")
    head = login("Head")
    page = client.get("/archive/?kind=company").data.decode()
    assert "Вектор" in page and 'id="archive-list"' in page and "Delete for good" not in page \
        and "Удалить навсегда" not in page
    response = client.post(f"/archive/restore/company/{book['company'].id}")
    assert response.status_code == 302
    assert not _archived(session, Company) and not _archived(session, Task)
    assert not _archived(session, Contact) and not _archived(session, Deal)
    restored = session.scalars(select(HistoryEntry).where(
        HistoryEntry.action == "restored")).all()
    assert len(restored) == 6 and {e.actor_id for e in restored} == {head.id}

    # A restored live client without a planned task shows up in the queue by itself.
    for task in session.scalars(select(Task).where(Task.company_id == book["company"].id)):
        task.state = "cancelled"
    session.commit()
    queued = agenda.queue(session, head)
    assert any(row.id == book["company"].id for rows in queued.values() for row in rows)
    assert "Вектор" in client.get("/queue/").data.decode()


def test_a_child_cannot_be_restored_before_its_parent(session, book, make_user):
    head = make_user("Head")
    archive.archive(session, head, session.get(Company, book["company"].id))
    session.commit()
    with pytest.raises(DomainError, match="Вектор"):
        archive.restore(session, head, session.get(Deal, book["deal"].id))


def test_managers_see_no_archive_and_cannot_restore(client, login, session, book, make_user):
    archive.archive(session, make_user("Head"), session.get(Company, book["company"].id))
    session.commit()
    login(user=book["manager"])
    assert client.get("/archive/").status_code in (302, 403)
    response = client.post(f"/archive/restore/company/{book['company'].id}")
    assert response.status_code in (302, 403)
    assert _archived(session, Company) == {book["company"].id}
    with pytest.raises(DomainError):
        archive.restore(session, book["manager"], session.get(Company, book["company"].id))


def test_only_admin_deletes_for_good_and_only_from_the_archive(client, login, session, book,
                                                              make_user):
    company_id, deal_id = book["company"].id, book["deal"].id
    login("Head")
    client.post(f"/companyview/delete/{company_id}")
    assert client.post(f"/archive/purge/company/{company_id}").status_code in (302, 403)
    assert session.get(Company, company_id) is not None

    login("Admin")
    page = client.get("/archive/?kind=company").data.decode()
    assert f"/archive/purge/company/{company_id}" in page
    # Live records are not in the archive: nothing to delete for good.
    assert client.post(f"/archive/purge/company/{book['other'].id}").status_code == 404

    refused = client.post(f"/archive/purge/company/{company_id}?_l_=en", follow_redirects=True)
    assert "other records still refer to it" in refused.data.decode()
    session.expire_all()
    assert session.get(Company, company_id) is not None

    client.post(f"/archive/purge/deal/{deal_id}?_l_=en", follow_redirects=True)
    session.expire_all()
    assert session.get(Deal, deal_id) is not None  # its task still points at it

    confirm = client.get(f"/archive/purge/company/{company_id}").data.decode()
    assert 'id="purge-confirm"' in confirm
    response = client.post(f"/archive/purge/company/{company_id}", data={"batch": "1"})
    assert response.status_code == 302
    session.expire_all()
    assert session.get(Company, company_id) is None and session.get(Deal, deal_id) is None
    assert session.scalar(select(func.count()).select_from(Task).where(
        Task.company_id == company_id)) == 0
    deleted = session.scalars(select(HistoryEntry).where(
        HistoryEntry.action == "deleted")).all()
    assert len(deleted) == 6  # the history stays, with who deleted


def test_a_head_cannot_delete_for_good_in_the_service(session, book, make_user):
    head = make_user("Head")
    archive.archive(session, head, session.get(Task, book["tasks"][0].id))
    session.commit()
    with pytest.raises(DomainError):
        archive.delete_for_good(session, head, session.get(Task, book["tasks"][0].id))
    admin = make_user("Admin")
    archive.delete_for_good(session, admin, session.get(Task, book["tasks"][0].id))
    assert session.get(Task, book["tasks"][0].id) is None


def test_archiving_a_deal_keeps_the_clients_last_task(session, make_user, make_company,
                                                      make_deal, make_task):
    from app.services.rules import archive
    from app.services.rules.followup import NextTaskRequired

    manager = make_user("Manager")
    company = make_company(manager, "Единственная задача")
    deal = make_deal(manager, company=company)
    make_task(manager, company=company, deal=deal)
    with pytest.raises(NextTaskRequired) as refused:
        archive.archive(session, manager, deal)
    assert "Единственная задача" in str(refused.value)


def test_manager_cannot_archive_another_managers_rows_with_own_company(
        session, make_user, make_company, make_deal, make_task):
    from app.services.errors import DomainError
    from app.services.rules import archive

    anna, boris = make_user("Manager"), make_user("Manager")
    company = make_company(anna)
    make_deal(boris, company=company, title="Сделка Бориса")
    with pytest.raises(DomainError):
        archive.archive(session, anna, company)
    head = make_user("Head")
    archive.archive(session, head, company)  # the head may archive the whole client
