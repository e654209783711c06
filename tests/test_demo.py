"""Demo data: a believable team and book of clients that keeps the key rule, written in bulk."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from app import demo
from app.demo import DEMO_PASSWORD, DemoRefused, generate_demo
from app.models import Company, Contact, Deal, HistoryEntry, Stage, Task, User
from app.services.rules import followup, validation

NOW = datetime(2026, 3, 10, 11, 30)
TABLES = (Company, Contact, Deal, Task)


def _demo(app, session, companies: int = 30, managers: int = 3, **options) -> dict[str, int]:
    return generate_demo(app.appbuilder, session, companies=companies, managers=managers,
                         now=NOW, **options)


def _count(session, model, *conditions) -> int:
    return session.scalar(select(func.count()).select_from(model).where(*conditions))


def _clear_business_rows(session) -> None:
    for model in (HistoryEntry, Task, Deal, Contact, Company):
        session.execute(model.__table__.delete())
    session.commit()


@pytest.fixture
def demo_book(app, session):
    """A small demo: 30 companies, 3 managers, generated at NOW."""
    return _demo(app, session)


def test_team_has_a_head_and_managers_who_can_log_in(app, session, demo_book):
    sm = app.appbuilder.sm
    roles = {user.username: [role.name for role in user.roles]
             for user in session.scalars(select(User))}
    assert roles == {"head": ["Head"], "manager1": ["Manager"], "manager2": ["Manager"],
                     "manager3": ["Manager"]}
    assert demo_book["users"] == 4
    for username in roles:
        assert sm.auth_user_db(username, DEMO_PASSWORD) is not None
    head = sm.find_user(username="head")
    assert head.first_name and head.last_name and head.email == "head@example.com"


def test_summary_counts_what_was_written(session, demo_book):
    private = _count(session, Contact, Contact.company_id.is_(None))
    assert demo_book["companies"] == _count(session, Company) == 30
    assert demo_book["private_clients"] == private == 6
    assert demo_book["contacts"] == _count(session, Contact) - private >= 30
    assert demo_book["deals"] == _count(session, Deal) > 0
    assert demo_book["tasks"] == _count(session, Task) > 0
    assert demo_book["history_entries"] == _count(session, HistoryEntry) > 0
    assert _count(session, Deal, Deal.company_id.is_(None)) > 0


@pytest.mark.parametrize("companies", [3, 30])
def test_deals_are_in_every_stage(app, session, companies):
    _demo(app, session, companies=companies)
    used = set(session.scalars(select(Stage.code).join(Deal, Deal.stage_id == Stage.id)))
    assert used >= set(demo.STAGE_CODES)


def test_every_live_client_and_open_deal_has_a_planned_task(session, demo_book):
    for model in (Company, Contact, Deal):
        assert _count(session, model, followup.queue_filter(model)) == 0
    live = _count(session, Company, Company.status.in_(("potential", "active")))
    assert 0 < live < 30
    assert _count(session, Company, Company.status == "lost",
                  Company.lost_reason.is_not(None)) > 0


def test_closed_deals_are_stamped_and_open_ones_are_not(session, demo_book):
    closed = select(Stage.id).where(Stage.kind != "open")
    lost = select(Stage.id).where(Stage.kind == "lost")
    assert _count(session, Deal, Deal.stage_id.in_(closed), Deal.closed_at.is_(None)) == 0
    assert _count(session, Deal, Deal.stage_id.not_in(closed), Deal.closed_at.is_not(None)) == 0
    assert _count(session, Deal, Deal.stage_id.in_(lost), Deal.lost_reason.is_(None)) == 0
    assert _count(session, Deal, Deal.closed_at > NOW) == 0
    assert _count(session, Deal, Deal.currency != "RUB") == 0
    assert _count(session, Deal, Deal.amount <= 0) == 0
    assert _count(session, Deal, Deal.expected_close_date.is_(None)) == 0


def test_tasks_have_results_in_the_past_and_plans_ahead(session, demo_book):
    assert _count(session, Task, Task.state == "done") > 0
    assert _count(session, Task, Task.state == "done", Task.result.is_(None)) == 0
    assert _count(session, Task, Task.state == "done", Task.done_at > NOW) == 0
    assert _count(session, Task, Task.state == "planned", Task.done_at.is_not(None)) == 0
    assert _count(session, Task, Task.type.not_in(("call", "meeting", "email", "other"))) == 0
    tomorrow = datetime.combine(NOW.date() + timedelta(days=1), datetime.min.time())
    for manager in session.scalars(select(User).where(User.username.like("manager%"))):
        planned = (Task.state == "planned", Task.owner_id == manager.id)
        assert _count(session, Task, *planned, Task.due_at < NOW) >= 1
        assert _count(session, Task, *planned, Task.due_at >= NOW, Task.due_at < tomorrow) >= 2
    planned = Task.state == "planned"
    future = _count(session, Task, planned, Task.due_at >= tomorrow)
    assert future > _count(session, Task, planned, Task.due_at < tomorrow)


def test_records_carry_owner_audit_and_version(session, demo_book):
    managers = select(User.id).where(User.username.like("manager%"))
    for model in TABLES:
        total = _count(session, model)
        complete = _count(
            session, model, model.owner_id.in_(managers),
            model.created_by_id == model.owner_id, model.changed_by_id == model.owner_id,
            model.created_at <= model.changed_at, model.changed_at <= NOW,
            model.archived.is_(False), model.version == 1,
        )
        assert complete == total > 0, model.__tablename__
    owners = session.scalars(select(Company.owner_id).distinct()).all()
    assert len(owners) == 3


def test_a_clients_records_share_its_owner(session, demo_book):
    client = aliased(Contact)
    foreign = [
        select(Contact.id).join(Company, Contact.company_id == Company.id)
        .where(Contact.owner_id != Company.owner_id),
        select(Deal.id).join(Company, Deal.company_id == Company.id)
        .where(Deal.owner_id != Company.owner_id),
        select(Deal.id).join(client, Deal.contact_id == client.id)
        .where(Deal.owner_id != client.owner_id),
        select(Task.id).join(Company, Task.company_id == Company.id)
        .where(Task.owner_id != Company.owner_id),
        select(Task.id).join(client, Task.contact_id == client.id)
        .where(Task.owner_id != client.owner_id),
        select(Task.id).join(Deal, Task.deal_id == Deal.id).where(Task.owner_id != Deal.owner_id),
    ]
    for query in foreign:
        assert session.execute(query).first() is None


def test_deal_contacts_belong_to_the_deal_company(session, demo_book):
    mismatched = (
        select(Deal.id).join(Contact, Deal.contact_id == Contact.id)
        .where(Deal.company_id.is_not(None), Contact.company_id != Deal.company_id)
    )
    assert session.execute(mismatched).first() is None


def test_values_pass_the_crm_validation(session, demo_book):
    for company in session.scalars(select(Company)):
        assert validation.clean_inn(company.inn) == company.inn
        assert validation.clean_phone(company.phone) == company.phone
        assert validation.clean_email(company.email) == company.email
        assert company.status in ("potential", "active", "lost")
        assert (company.status == "lost") == (company.lost_reason is not None)
    for contact in session.scalars(select(Contact)):
        assert validation.clean_phone(contact.phone) == contact.phone
        assert validation.clean_phone(contact.mobile_phone) == contact.mobile_phone
        assert validation.clean_email(contact.email) == contact.email
        assert contact.birthday_key == validation.birthday_key(contact.birthday)
        assert contact.birthday is None or contact.birthday < NOW.date()
        assert (contact.status is None) == (contact.company_id is not None)


def test_some_birthdays_fall_in_the_coming_week(session, demo_book):
    week = [NOW.date() + timedelta(days=n) for n in range(7)]
    keys = [validation.birthday_key(day) for day in week]
    assert _count(session, Contact, Contact.birthday_key.in_(keys)) >= 3


def test_every_record_has_its_history(session, demo_book):
    for model in TABLES:
        entity = model.__tablename__
        created = _count(session, HistoryEntry, HistoryEntry.entity == entity,
                         HistoryEntry.action == "created")
        assert created == _count(session, model)
    done = _count(session, Task, Task.state == "done")
    completions = _count(session, HistoryEntry, HistoryEntry.entity == "task",
                         HistoryEntry.action == "changed")
    assert completions >= done


def test_a_second_run_is_refused(app, session, demo_book):
    with pytest.raises(DemoRefused, match="empty database"):
        _demo(app, session)
    assert _count(session, Company) == 30
    assert _count(session, User) == 4


def test_one_record_is_enough_to_refuse(app, session, make_user, make_contact):
    make_contact(make_user(), "Петров")
    with pytest.raises(DemoRefused):
        _demo(app, session)
    assert _count(session, Company) == 0


def test_sizes_below_one_are_refused(app, session):
    with pytest.raises(DemoRefused):
        _demo(app, session, companies=0)
    with pytest.raises(DemoRefused):
        _demo(app, session, managers=0)


def test_existing_users_are_reused(app, session, make_user):
    head = make_user("Head", "head")
    summary = _demo(app, session, companies=5, managers=2)
    assert summary["users"] == 3
    assert _count(session, User) == 3
    assert session.get(User, head.id).username == "head"


def test_a_failure_leaves_nothing_behind(app, session, monkeypatch):
    def broken(_session):
        raise RuntimeError("disk full")

    monkeypatch.setattr(demo, "advance_sequences", broken)
    with pytest.raises(RuntimeError):
        _demo(app, session)
    for model in (*TABLES, HistoryEntry, User):
        assert _count(session, model) == 0


def test_the_same_seed_gives_the_same_book(app, session):
    def book():
        return session.execute(
            select(Company.name, Company.inn, Company.owner_id, Company.status)
            .order_by(Company.id)
        ).all()

    _demo(app, session, companies=12, seed=7)
    first = book()
    _clear_business_rows(session)
    _demo(app, session, companies=12, seed=7)
    assert book() == first


def test_records_can_be_added_normally_after_the_demo(
    app, session, make_user, make_company, make_contact, make_deal, make_task
):
    _demo(app, session, companies=10)
    highest = {model: session.scalar(select(func.max(model.id))) for model in TABLES}
    manager = make_user("Manager", "late")
    company = make_company(manager, "После демо")
    contact = make_contact(manager, "Новиков", company=company)
    deal = make_deal(manager, company=company, contact=contact)
    task = make_task(manager, company=company, deal=deal)
    for model, record in ((Company, company), (Contact, contact), (Deal, deal), (Task, task)):
        assert record.id > highest[model]
    assert _count(session, HistoryEntry, HistoryEntry.entity == "company",
                  HistoryEntry.entity_id == company.id) >= 1


def test_cli_fills_the_database_once(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["crm", "demo", "--companies", "10"])
    assert result.exit_code == 0, result.output
    assert "companies: 10" in result.output
    again = runner.invoke(args=["crm", "demo", "--companies", "10"])
    assert again.exit_code != 0
    assert "empty database" in again.output


def test_make_inn_passes_the_check_digits():
    import random

    rng = random.Random(1)
    for _ in range(200):
        for person in (False, True):
            inn = demo.make_inn(rng, "77", person)
            assert validation.clean_inn(inn) == inn
            assert len(inn) == (12 if person else 10)


def test_a_birthday_on_the_29th_of_february_exists():
    import random

    birthday = demo.make_birthday(random.Random(3), date(2028, 2, 29), soon=True)
    assert (birthday.month, birthday.day) in {(2, 29), (3, 1), (3, 2), (3, 3), (3, 4),
                                              (3, 5), (3, 6)}


def test_task_history_and_contact_persons_can_be_deepened(app, session):
    shallow = _demo(app, session, companies=20, task_history=0, contact_weights=(1,))
    assert shallow["contacts"] == 20  # exactly one contact person a company
    done_on_deals = _count(session, Task, Task.deal_id.is_not(None), Task.state != "planned")
    closed = _count(session, Deal, Deal.closed_at.is_not(None))
    assert done_on_deals == closed  # no history: only the closing task of a closed deal
    _clear_business_rows(session)

    deep = _demo(app, session, companies=20, task_history=8, contact_weights=(0, 0, 1))
    assert deep["contacts"] == 60  # exactly three
    assert deep["tasks"] > 2 * shallow["tasks"]
    assert deep["history_entries"] > 2 * shallow["history_entries"]
    for model in (Company, Contact, Deal):
        assert _count(session, model, followup.queue_filter(model)) == 0
