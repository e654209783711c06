"""The handover brief: a reassigned client's new owner reads it in the feed, and may call."""

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import select

from app.models import HistoryEntry, Task
from app.models.mixins import local_now
from app.services.rules import handover, reassignment
from tests.helpers import wait_for_move


def _book(session, make_user, make_company, make_contact, make_deal, make_task, stage):
    leaver, keeper = make_user("Manager", "leaver"), make_user("Manager", "keeper")
    alpha = make_company(leaver, "Альфа")
    private = make_contact(leaver, "Петров")
    for number in range(4):
        make_task(leaver, company=alpha, state="done", result=f"Итог {number}",
                  done_at=local_now() - timedelta(days=10 - number))
    deal = make_deal(leaver, company=alpha, title="Поставка", stage=stage("proposal"),
                     amount=Decimal("150000"))
    make_deal(leaver, company=alpha, title="Выиграна", stage=stage("won"))
    next_due = local_now() + timedelta(hours=5)
    make_task(leaver, company=alpha, subject="Отправить счёт", due_at=next_due)
    make_task(leaver, contact=private, subject="Позвонить Петрову",
              due_at=local_now() + timedelta(days=5))
    return leaver, keeper, alpha, private, deal, next_due


def test_the_new_owner_gets_a_brief_and_an_introduction(session, make_user, make_company,
                                                        make_contact, make_deal, make_task,
                                                        stage):
    leaver, keeper, alpha, private, deal, next_due = _book(
        session, make_user, make_company, make_contact, make_deal, make_task, stage)
    head = make_user("Head")
    record = reassignment.reassign(session, head, leaver, keeper)
    briefs = {(e.entity, e.entity_id): e for e in session.scalars(select(HistoryEntry).where(
        HistoryEntry.reassignment_id == record.id, HistoryEntry.action == "handover"))}
    assert set(briefs) == {("company", alpha.id), ("contact", private.id)}
    lines = briefs[("company", alpha.id)].changes
    results = [line["new"] for line in lines if line["field"] == "result"]
    assert results == ["Итог 3", "Итог 2", "Итог 1"]  # the last three, newest first
    assert [line["new"] for line in lines if line["field"] == "deal_id"] == [deal.id]
    assert {"field": "amount", "old": None, "new": "150000.00"} in lines
    assert {"field": "subject", "old": None, "new": "Отправить счёт"} in lines
    intro = session.scalars(select(Task).where(Task.company_id == alpha.id,
                                               Task.subject.like("%"))).all()
    intro = [t for t in intro if t.owner_id == keeper.id and t.created_by_id == head.id]
    assert len(intro) == 1
    # Before the next planned task (an hour before it), not after.
    assert intro[0].due_at == next_due - handover.LEAD
    session.refresh(alpha)
    assert alpha.next_task_at == intro[0].due_at


def test_the_brief_shows_in_the_clients_feed(session, make_user, make_company, make_contact,
                                             make_deal, make_task, stage, login, client):
    leaver, keeper, alpha, *_ = _book(session, make_user, make_company, make_contact,
                                      make_deal, make_task, stage)
    reassignment.reassign(session, make_user("Head"), leaver, keeper)
    login(user=keeper)
    page = client.get(f"/companyview/show/{alpha.id}?_l_=en").get_data(as_text=True)
    assert "handed over: a brief for the new manager" in page
    assert "Итог 3" in page and "Поставка" in page and "Отправить счёт" in page


def test_unticking_the_introduction_plans_no_task(session, make_user, make_company,
                                                  make_contact, make_deal, make_task, stage,
                                                  login, client):
    leaver, keeper, alpha, private, *_ = _book(session, make_user, make_company, make_contact,
                                               make_deal, make_task, stage)
    tasks_before = session.query(Task).count()
    login("Head")
    page = client.get(f"/reassign/?from_user={leaver.id}&to_user={keeper.id}")
    assert 'name="introduce"' in page.get_data(as_text=True)
    response = client.post("/reassign/", data={
        "from_user": leaver.id, "to_user": keeper.id, "confirm": "1", "introduce_shown": "1"})
    wait_for_move(client, response)
    session.expire_all()
    assert session.query(Task).count() == tasks_before
    assert session.query(HistoryEntry).filter_by(action="handover").count() == 2


def test_the_brief_costs_a_fixed_number_of_statements(session, make_user, make_company,
                                                      make_task, statements):
    leaver, keeper, head = make_user(), make_user(), make_user("Head")
    for number in range(8):
        company = make_company(leaver, f"ООО {number}")
        make_task(leaver, company=company, state="done", result="Итог")
    with statements() as seen:
        reassignment.reassign(session, head, leaver, keeper)
    few = len(seen)
    for number in range(8, 20):
        company = make_company(keeper, f"ООО {number}")
        make_task(keeper, company=company, state="done", result="Итог")
    other = make_user()
    with statements() as seen:
        reassignment.reassign(session, head, keeper, other)
    assert len(seen) <= few + 2  # the users' extra rows, not one more per client
