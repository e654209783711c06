"""The inbox rules: assignment in turn, accept, link, decline, reassign, the answer task."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Company, Contact, InboxItem, Task, UserProfile
from app.models.inbox_item import answer_seconds, week_number
from app.models.mixins import local_now
from app.services.errors import DomainError, NotFound, ValidationError
from app.services.queries import inbox as inbox_queries
from app.services.rules import first_call, followup, intake
from app.services.rules.visibility import SYSTEM
from tests.helpers import count


def lead(**changes) -> intake.Lead:
    data = {"name": "Ольга Ветрова", "company": "ООО Лето", "phone": "+7 916 555-12-34",
            "email": "olga@leto.example", "message": "Нужна бумага"}
    data.update(changes)
    return intake.Lead(**data)


def receive(session, **changes) -> InboxItem:
    return intake.receive(session, SYSTEM, lead(**changes))


def answer_tasks(session, item) -> list[Task]:
    session.expire_all()
    return list(session.scalars(select(Task).where(Task.inbox_item_id == item.id)))


def next_task(subject="Перезвонить", days=1) -> followup.NextTask:
    return followup.NextTask(subject=subject, due_at=local_now() + timedelta(days=days))


def new_client(**changes) -> first_call.FirstCall:
    return first_call.FirstCall(
        kind="company", client=first_call.ClientPart(name="ООО Лето", phone="+7 916 555-12-34"),
        contact=first_call.PersonPart(last_name="Ветрова", first_name="Ольга"),
        call_result=changes.pop("call_result", "Договорились о встрече"),
        next_task=changes.pop("next_task", next_task()), **changes)


# --- assignment -------------------------------------------------------------------------


def test_new_leads_go_round_the_managers_who_take_them(session, make_user):
    anna, boris, vera = (make_user("Manager", name) for name in ("anna", "boris", "vera"))
    make_user("Head", "head")
    session.add(UserProfile(user_id=boris.id, takes_leads=False))
    session.commit()
    owners = [receive(session, phone=f"+7 916 555-12-{n:02d}", email=None).owner_id
              for n in range(4)]
    assert owners == [anna.id, vera.id, anna.id, vera.id]


def test_an_inactive_manager_gets_no_leads_and_nobody_left_means_the_head(session, make_user):
    make_user("Manager", "gone", active=False)
    head = make_user("Head", "head")
    assert receive(session).owner_id == head.id


def test_a_lead_of_a_known_client_goes_to_its_owner(session, make_user, make_company):
    make_user("Manager", "anna")
    owner = make_user("Manager", "boris")
    make_company(owner, "ООО Лето", email="OLGA@leto.example")
    item = receive(session, phone=None)
    assert item.owner_id == owner.id


def test_each_new_lead_has_exactly_one_planned_answer_task_due_soon(session, make_user):
    manager = make_user()
    item = intake.receive(session, SYSTEM, lead(), answer_minutes=5)
    [task] = answer_tasks(session, item)
    assert (task.state, task.owner_id, task.type) == ("planned", manager.id, "call")
    assert timedelta(minutes=4) < task.due_at - item.received_at <= timedelta(minutes=5)
    assert task.created_by_id is None  # written by the system, not by a user


def test_a_lead_without_a_phone_or_email_is_refused(session, make_user):
    make_user()
    with pytest.raises(ValidationError) as refused:
        receive(session, phone=None, email=None)
    assert refused.value.field == "phone"
    assert count(session, InboxItem) == 0


def assert_report_times_kept(item: InboxItem) -> None:
    """The lead's week and seconds to answer, kept for the report, agree with its times."""
    assert item.received_week == week_number(item.received_at.date())
    assert item.answer_seconds == (item.answered_at and
                                   answer_seconds(item.received_at, item.answered_at))


# --- deciding ---------------------------------------------------------------------------


def test_accepting_makes_the_client_and_closes_the_answer_task(session, make_user):
    manager = make_user()
    item = receive(session)
    made = intake.accept(session, manager, item, new_client())
    session.expire_all()
    item = session.get(InboxItem, item.id)
    assert (item.state, item.company_id) == ("accepted", made.company.id)
    assert item.answered_at is not None and item.decided_at is not None
    assert_report_times_kept(item)
    tasks = {task.state: task for task in answer_tasks(session, item)}
    assert tasks["done"].id == made.call.id
    assert (tasks["done"].company_id, tasks["done"].result) == (made.company.id,
                                                                "Договорились о встрече")
    # The next-task rule: the new live client has its planned task.
    assert followup.has_planned_task(session, made.company)
    assert made.company.owner_id == manager.id


def test_accepting_without_a_next_task_writes_nothing(session, make_user):
    manager = make_user()
    item = receive(session)
    with pytest.raises(ValidationError) as refused:
        intake.accept(session, manager, item, new_client(next_task=followup.NextTask()))
    assert refused.value.field.startswith("next_task")
    session.expire_all()
    assert count(session, Company) == 0
    assert session.get(InboxItem, item.id).state == "new"
    assert [task.state for task in answer_tasks(session, item)] == ["planned"]


def test_accepting_twice_is_refused(session, make_user):
    manager = make_user()
    item = receive(session)
    intake.accept(session, manager, item, new_client())
    with pytest.raises(DomainError):
        intake.accept(session, manager, item, new_client())
    assert count(session, Company) == 1


def test_linking_puts_the_message_in_the_feed_and_gives_the_owner_a_task(
        session, make_user, make_company, make_task):
    manager = make_user()
    company = make_company(manager, "ООО Лето")
    make_task(manager, company=company)
    item = receive(session)
    planned = intake.link(session, manager, item, company, next_task("Ответить по заявке"))
    session.expire_all()
    item = session.get(InboxItem, item.id)
    assert (item.state, item.company_id, item.answered_at is not None) == (
        "linked", company.id, True)
    assert_report_times_kept(item)
    done = [task for task in answer_tasks(session, item) if task.state == "done"]
    assert done[0].company_id == company.id and "Нужна бумага" in done[0].result
    assert (planned.owner_id, planned.company_id, planned.state) == (
        manager.id, company.id, "planned")


def test_a_manager_cannot_link_to_another_managers_client(session, make_user, make_company):
    manager, other = make_user(), make_user()
    company = make_company(other, "Чужая")
    item = receive(session, phone=None, email="new@lead.example")
    item.owner_id = manager.id
    session.commit()
    with pytest.raises(ValidationError) as refused:
        intake.find_client(session, manager, "company", company.id)
    assert refused.value.field == "client"


def test_declining_cancels_the_answer_task_with_the_reason(session, make_user):
    manager = make_user()
    item = receive(session)
    with pytest.raises(ValidationError):
        intake.decline(session, manager, item, "other")
    intake.decline(session, manager, item, "other", "Ищет работу")
    session.expire_all()
    item = session.get(InboxItem, item.id)
    assert (item.state, item.decline_reason, item.decline_text) == ("declined", "other",
                                                                    "Ищет работу")
    assert item.answered_at is None
    assert_report_times_kept(item)
    [task] = answer_tasks(session, item)
    assert (task.state, task.result) == ("cancelled", "Ищет работу")


def test_only_the_head_reassigns(session, make_user):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    head = make_user("Head", "head")
    item = receive(session)
    assert item.owner_id == anna.id
    with pytest.raises(ValidationError):
        intake.reassign(session, anna, item, boris.id)
    intake.reassign(session, head, item, boris.id)
    [task] = answer_tasks(session, item)
    assert (session.get(InboxItem, item.id).owner_id, task.owner_id) == (boris.id, boris.id)


def test_a_manager_cannot_decide_another_managers_lead(session, make_user):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    item = receive(session)
    assert item.owner_id == anna.id
    with pytest.raises(NotFound):
        intake.decline(session, boris, item, "spam")


def test_the_answer_task_of_a_new_lead_is_not_completed_around_the_inbox(session, make_user):
    manager = make_user()
    item = receive(session)
    [task] = answer_tasks(session, item)
    with pytest.raises(DomainError):
        followup.finish_task(session, manager, task, followup.Outcome(result="Позвонил"))
    session.expire_all()
    assert session.get(Task, task.id).state == "planned"


def test_completing_a_calls_task_stamps_when_the_lead_was_answered(
        session, make_user, make_company):
    manager = make_user()
    company = make_company(manager, "ООО Лето", phone="+7 916 555-12-34")
    item, created = intake.receive_call(session, SYSTEM, intake.CallEvent(
        call_id="x-1", from_number="+79165551234", status="missed"))
    assert created and item.state == "linked" and item.answered_at is None
    assert_report_times_kept(item)
    [task] = answer_tasks(session, item)
    followup.finish_task(session, manager, task, followup.Outcome(
        result="Перезвонил", next_task=next_task()))
    session.expire_all()
    assert session.get(InboxItem, item.id).answered_at is not None
    assert_report_times_kept(session.get(InboxItem, item.id))
    assert followup.has_planned_task(session, session.get(Company, company.id))


# --- reading ----------------------------------------------------------------------------


def test_matches_say_only_whose_a_foreign_client_is(session, make_user, make_company,
                                                    make_contact):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    mine = make_contact(anna, "Ветрова", email="olga@leto.example")
    make_company(boris, "ООО Лето", phone="+7 916 555-12-34")
    item = receive(session)
    [found] = inbox_queries.matches_for(session, anna, [item]).values()
    by_kind = {match.kind: match for match in found}
    assert by_kind["contact"].client.id == mine.id
    assert by_kind["company"].client is None and by_kind["company"].owner == "Boris Test"


def test_the_counter_counts_own_new_leads_and_all_for_the_head(session, make_user):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    head = make_user("Head", "head")
    items = [receive(session, phone=f"+7 916 555-12-{n:02d}", email=None) for n in range(3)]
    intake.decline(session, anna, items[0], "spam")
    assert [inbox_queries.new_count(session, user) for user in (anna, boris, head)] == [1, 1, 2]


def test_a_contact_person_matches_as_their_company(session, make_user, make_company,
                                                   make_contact):
    anna = make_user()
    company = make_company(anna, "ООО Лето")
    make_contact(anna, "Ветрова", company=company, phone="+7 916 555-12-34")
    found = inbox_queries.matching_clients(session, [inbox_queries.Key(phone="+7 916 555-12-34")])
    assert [type(client) for client in next(iter(found.values()))] == [Company]
    assert count(session, Contact) == 1
