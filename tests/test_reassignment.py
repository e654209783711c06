"""Reassignment: preview counts, the all-or-nothing move, history, single company transfer."""

import pytest
from sqlalchemy import func, select

from app.models import Company, Contact, Deal, HistoryEntry, Reassignment, Task
from app.services.errors import DomainError
from app.services.rules import reassignment
from tests.helpers import break_the_move_of, wait_for_move


@pytest.fixture
def leaver_book(make_user, make_company, make_contact, make_deal, make_task, stage):
    """A leaving manager with two companies, a private client, deals and tasks."""
    leaver = make_user("Manager", "leaver")
    keeper = make_user("Manager", "keeper")
    alpha = make_company(leaver, "Альфа")
    beta = make_company(leaver, "Бета")
    person = make_contact(leaver, "Петров", company=alpha)
    private = make_contact(leaver, "Сидорова")
    open_deal = make_deal(leaver, company=alpha, title="Открытая")
    won_deal = make_deal(leaver, company=beta, title="Выигранная", stage=stage("won"))
    planned = make_task(leaver, company=alpha, deal=open_deal)
    make_task(leaver, contact=private)
    done = make_task(leaver, company=beta, state="done", result="Договорились")
    return {
        "leaver": leaver, "keeper": keeper, "alpha": alpha, "beta": beta, "person": person,
        "private": private, "open_deal": open_deal, "won_deal": won_deal,
        "planned": planned, "done": done,
    }


def test_preview_counts_what_moves(session, make_user, leaver_book):
    head = make_user("Head")
    counts = reassignment.preview(session, head, leaver_book["leaver"], leaver_book["keeper"])
    # Beta's won deal and done task go with Beta: they are its history.
    assert counts == {"companies": 2, "private_clients": 1, "contacts": 1, "deals": 2,
                      "tasks": 3}


def test_manager_cannot_reassign(session, leaver_book):
    with pytest.raises(DomainError):
        reassignment.preview(session, leaver_book["keeper"], leaver_book["leaver"])
    with pytest.raises(DomainError):
        reassignment.reassign(session, leaver_book["keeper"], leaver_book["leaver"],
                              leaver_book["keeper"])


def test_reassign_moves_the_clients_with_their_whole_history(session, make_user, leaver_book):
    head = make_user("Head")
    leaver, keeper = leaver_book["leaver"], leaver_book["keeper"]
    record = reassignment.reassign(session, head, leaver, keeper)

    assert (record.state, record.error) == ("done", None)
    assert record.finished_at >= record.at
    assert (record.companies, record.private_clients, record.contacts, record.deals,
            record.tasks) == (2, 1, 1, 2, 3)
    assert session.get(Company, leaver_book["alpha"].id).owner_id == keeper.id
    assert session.get(Contact, leaver_book["private"].id).owner_id == keeper.id
    assert session.get(Deal, leaver_book["open_deal"].id).owner_id == keeper.id
    assert session.get(Task, leaver_book["planned"].id).owner_id == keeper.id
    # A client's closed deals and done tasks go with it; the done task keeps its author.
    assert session.get(Deal, leaver_book["won_deal"].id).owner_id == keeper.id
    done = session.get(Task, leaver_book["done"].id)
    assert (done.owner_id, done.state, done.result) == (keeper.id, "done", "Договорились")
    # The moves' entries (the handover briefs and introductions come on top: test_handover).
    entries = session.scalars(
        select(HistoryEntry).where(HistoryEntry.reassignment_id == record.id,
                                   HistoryEntry.action == "reassigned")
    ).all()
    assert len(entries) == 9
    alpha_entry = next(e for e in entries if e.entity == "company"
                       and e.entity_id == leaver_book["alpha"].id)
    assert alpha_entry.actor_id == head.id
    assert alpha_entry.changes == [{"field": "owner_id", "old": leaver.id, "new": keeper.id}]
    assert session.get(Company, leaver_book["alpha"].id).version == 2


def test_reassign_leaves_closed_work_on_other_managers_clients(
        session, make_user, make_company, make_deal, make_task, stage, leaver_book):
    """The leaver's won deal and done task at someone else's client stay where they are."""
    head = make_user("Head")
    leaver, keeper = leaver_book["leaver"], leaver_book["keeper"]
    other = make_user("Manager", "other")
    gamma = make_company(other, "Гамма")
    won = make_deal(leaver, company=gamma, title="Чужая", stage=stage("won"))
    done = make_task(leaver, company=gamma, state="done", result="Помог коллеге")
    reassignment.reassign(session, head, leaver, keeper)
    assert session.get(Deal, won.id).owner_id == leaver.id
    assert session.get(Task, done.id).owner_id == leaver.id
    assert session.get(Company, gamma.id).owner_id == other.id


def test_failure_halfway_moves_nothing(session, make_user, leaver_book, monkeypatch):
    head = make_user("Head")
    break_the_move_of(monkeypatch)
    with pytest.raises(RuntimeError):
        reassignment.reassign(session, head, leaver_book["leaver"], leaver_book["keeper"])
    leaver_id = leaver_book["leaver"].id
    assert session.scalar(select(func.count()).select_from(Company)
                          .where(Company.owner_id == leaver_id)) == 2
    # The move is kept as failed, with what it would have moved; no entry, no brief.
    record = session.scalars(select(Reassignment)).one()
    assert (record.state, record.error) == ("failed", reassignment.FAILED_ON_ERROR)
    assert record.finished_at is not None
    assert session.scalar(select(func.count()).select_from(HistoryEntry)
                          .where(HistoryEntry.reassignment_id == record.id)) == 0


def test_transfer_one_company_with_its_contacts_deals_and_tasks(session, make_user,
                                                                 leaver_book):
    head = make_user("Head")
    keeper = leaver_book["keeper"]
    record = reassignment.reassign(session, head, None, keeper, company=leaver_book["beta"])
    assert record.from_user_id == leaver_book["leaver"].id
    # Beta's won deal and done task go with it.
    assert (record.companies, record.contacts, record.deals, record.tasks) == (1, 0, 1, 1)
    assert session.get(Deal, leaver_book["won_deal"].id).owner_id == keeper.id
    assert session.get(Task, leaver_book["done"].id).owner_id == keeper.id
    record = reassignment.reassign(session, head, None, keeper, company=leaver_book["alpha"])
    assert (record.companies, record.contacts, record.deals, record.tasks) == (1, 1, 1, 1)
    assert session.get(Contact, leaver_book["person"].id).owner_id == keeper.id
    assert session.get(Contact, leaver_book["private"].id).owner_id == leaver_book["leaver"].id


def test_cannot_hand_over_to_inactive_or_same_manager(session, make_user, leaver_book):
    head = make_user("Head")
    gone = make_user("Manager", "gone", active=False)
    with pytest.raises(DomainError):
        reassignment.reassign(session, head, leaver_book["leaver"], gone)
    with pytest.raises(DomainError):
        reassignment.reassign(session, head, leaver_book["leaver"], leaver_book["leaver"])


def test_reassign_screen_preview_then_move(client, login, leaver_book):
    login("Head")
    leaver, keeper = leaver_book["leaver"], leaver_book["keeper"]
    page = client.post("/reassign/", data={"from_user": leaver.id, "to_user": keeper.id,
                                           "preview": "1"})
    assert page.status_code == 200
    assert b'data-kind="companies">2<' in page.data
    moved = client.post("/reassign/", data={"from_user": leaver.id, "to_user": keeper.id,
                                            "confirm": "1"})
    assert "Передано менеджеру" in wait_for_move(client, moved)
    listing = client.get("/reassignmentview/list/")
    assert listing.status_code == 200
    assert keeper.first_name.encode() in listing.data


def test_reassign_screen_is_closed_to_managers(client, login, leaver_book):
    login("Manager")
    assert client.get("/reassign/").status_code in (302, 403)
    response = client.post("/reassign/", data={
        "from_user": leaver_book["leaver"].id, "to_user": leaver_book["keeper"].id,
        "confirm": "1"})
    assert response.status_code in (302, 403)
    assert leaver_book["alpha"].owner_id == leaver_book["leaver"].id


def test_user_who_owns_records_cannot_be_deleted(client, login, session, leaver_book):
    login("Admin")
    leaver = leaver_book["leaver"]
    client.get("/lang/en")
    response = client.post(f"/users/delete/{leaver.id}", follow_redirects=True)
    assert b"Reassign clients" in response.data
    from app.models import User

    assert session.get(User, leaver.id) is not None
