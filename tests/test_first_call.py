"""A new client from a call, through the service: all of it written at once, or nothing."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.models import Company, Contact, Deal, Task
from app.models.mixins import local_now
from app.services.errors import ValidationError
from app.services.rules import followup
from app.services.rules.first_call import (
    ClientPart,
    DealPart,
    FirstCall,
    PersonPart,
    register_first_call,
)


def _call(**changes) -> FirstCall:
    due = (local_now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
    call = FirstCall(
        kind="company",
        client=ClientPart(name="ООО Вектор", phone="8 (495) 123-45-67",
                          email="info@vektor.example", inn="7707083893"),
        contact=PersonPart(last_name="Смирнова", first_name="Анна", middle_name="Петровна",
                           position="Закупки", phone="+7 916 123-45-67",
                           email="anna@vektor.example", birthday=date(1985, 5, 17)),
        deal=DealPart(title="Поставка бумаги", amount="150 000,50"),
        call_result="Просит предложение на 10 палет",
        next_task=followup.NextTask(type="email", subject="Отправить предложение", due_at=due),
    )
    for name, value in changes.items():
        setattr(call, name, value)
    return call


def _counts(session) -> dict:
    return {model.__name__: session.scalar(select(func.count()).select_from(model))
            for model in (Company, Contact, Deal, Task)}


NOTHING = {"Company": 0, "Contact": 0, "Deal": 0, "Task": 0}


def test_company_with_contact_deal_call_and_next_task(session, make_user, stage):
    manager = make_user("Manager")
    made = register_first_call(session, manager, _call())
    company = session.get(Company, made.company.id)
    assert (company.name, company.inn, company.status, company.owner_id) == (
        "ООО Вектор", "7707083893", "potential", manager.id)
    assert company.phone == "+7 495 123-45-67"
    person = session.get(Contact, made.contact.id)
    assert (person.company_id, person.full_name, person.owner_id) == (
        company.id, "Смирнова Анна Петровна", manager.id)
    deal = session.get(Deal, made.deal.id)
    assert (deal.company_id, deal.contact_id, deal.amount) == (
        company.id, person.id, Decimal("150000.50"))
    assert deal.stage.kind == "open" and deal.stage == stage("cold")
    call = session.get(Task, made.call.id)
    assert (call.state, call.type, call.result, call.company_id, call.deal_id) == (
        "done", "call", "Просит предложение на 10 палет", company.id, deal.id)
    planned = session.get(Task, made.next_task.id)
    assert (planned.state, planned.type, planned.subject) == (
        "planned", "email", "Отправить предложение")
    assert (planned.company_id, planned.deal_id, planned.owner_id) == (
        company.id, deal.id, manager.id)
    # The key rule: the live client and the open deal each have their planned task.
    assert company.next_task_at == planned.due_at
    assert deal.next_task_at == planned.due_at
    assert _counts(session) == {"Company": 1, "Contact": 1, "Deal": 1, "Task": 2}


def test_private_person_is_the_client(session, make_user):
    manager = make_user("Manager")
    made = register_first_call(session, manager, _call(
        kind="person", client=ClientPart(name="ignored", inn="123"),
        deal=DealPart(title="Кухня на заказ", amount="90000")))
    assert made.company is None and made.client is made.contact
    person = session.get(Contact, made.contact.id)
    assert (person.company_id, person.status, person.owner_id) == (None, "potential",
                                                                    manager.id)
    deal = session.get(Deal, made.deal.id)
    assert (deal.company_id, deal.contact_id) == (None, person.id)
    planned = session.get(Task, made.next_task.id)
    assert (planned.contact_id, planned.deal_id, planned.company_id) == (
        person.id, deal.id, None)
    assert person.next_task_at == planned.due_at == deal.next_task_at
    assert _counts(session) == {"Company": 0, "Contact": 1, "Deal": 1, "Task": 2}


def test_company_without_contact_or_deal(session, make_user):
    manager = make_user("Manager")
    made = register_first_call(session, manager, _call(contact=PersonPart(), deal=DealPart()))
    assert made.contact is None and made.deal is None
    assert session.get(Company, made.company.id).next_task_at == made.next_task.due_at
    assert _counts(session) == {"Company": 1, "Contact": 0, "Deal": 0, "Task": 2}


@pytest.mark.parametrize(("changes", "field"), [
    ({"contact": PersonPart(last_name="Смирнова", email="not-an-email")}, "contact.email"),
    ({"contact": PersonPart(first_name="Анна")}, "contact.last_name"),
    ({"client": ClientPart(name="ООО Вектор", inn="7707083894")}, "client.inn"),
    ({"client": ClientPart(name="  ")}, "client.name"),
    ({"deal": DealPart(title="", amount="100")}, "deal.title"),
    ({"deal": DealPart(title="Сделка", amount="-5")}, "deal.amount"),
    ({"deal": DealPart(title="Сделка", amount="1e20")}, "deal.amount"),
    ({"call_result": "  "}, "call.result"),
    ({"next_task": followup.NextTask(subject="")}, "next_task.subject"),
    ({"next_task": followup.NextTask(subject="Позвонить")}, "next_task.due_at"),
    ({"kind": "robot"}, "kind"),
    ({"kind": "person", "contact": PersonPart(last_name="Иванов",
                                              birthday=date.today() + timedelta(days=2))},
     "contact.birthday"),
])
def test_bad_input_names_the_field_and_writes_nothing(session, make_user, changes, field):
    manager = make_user("Manager")
    with pytest.raises(ValidationError) as refused:
        register_first_call(session, manager, _call(**changes))
    assert refused.value.field == field
    assert str(refused.value.message)
    assert _counts(session) == NOTHING


def test_deal_starts_in_an_open_stage_only(session, make_user, stage):
    manager = make_user("Manager")
    with pytest.raises(ValidationError) as refused:
        register_first_call(session, manager, _call(
            deal=DealPart(title="Сделка", stage_id=stage("won").id)))
    assert refused.value.field == "deal.stage"
    assert _counts(session) == NOTHING
    made = register_first_call(session, manager, _call(
        deal=DealPart(title="Сделка", stage_id=stage("proposal").id)))
    assert session.get(Deal, made.deal.id).stage == stage("proposal")


def test_manager_cannot_set_another_owner(session, make_user):
    manager, other = make_user("Manager"), make_user("Manager")
    with pytest.raises(ValidationError) as refused:
        register_first_call(session, manager, _call(owner_id=other.id))
    assert refused.value.field == "owner"
    assert _counts(session) == NOTHING


def test_head_assigns_the_client_and_all_of_it_to_a_manager(session, make_user):
    head, manager = make_user("Head"), make_user("Manager")
    made = register_first_call(session, head, _call(owner_id=manager.id))
    owners = {session.get(type(record), record.id).owner_id for record in (
        made.company, made.contact, made.deal, made.call, made.next_task)}
    assert owners == {manager.id}
    assert session.get(Task, made.call.id).created_by_id == head.id


def test_inactive_owner_is_refused(session, make_user):
    head, gone = make_user("Head"), make_user("Manager", active=False)
    with pytest.raises(ValidationError) as refused:
        register_first_call(session, head, _call(owner_id=gone.id))
    assert refused.value.field == "owner"
    assert _counts(session) == NOTHING


def test_history_names_the_creator(session, make_user):
    from app.models import HistoryEntry

    manager = make_user("Manager")
    made = register_first_call(session, manager, _call())
    entries = session.scalars(select(HistoryEntry).where(
        HistoryEntry.company_id == made.company.id, HistoryEntry.action == "created")).all()
    assert {entry.entity for entry in entries} >= {"company", "contact", "deal", "task"}
    assert {entry.actor_id for entry in entries} == {manager.id}
