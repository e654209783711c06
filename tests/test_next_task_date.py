"""The stored next task date of clients and deals follows every way tasks change.

`next_task_at` is the earliest due time of the record's planned, not archived tasks. The
queue, its report and the "Next task" column of the lists read it, so a stale date would
hide a forgotten client or show a false alarm.
"""

import re
from datetime import datetime, timedelta

import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy import select, text

from app.demo import generate_demo
from app.extensions import db
from app.models import Company, Contact, Deal, Task
from app.models.mixins import local_now
from app.services.io import importer
from app.services.rules import archive, next_task, reassignment
from tests.helpers import api_login
from tests.helpers_data import insert_rows_at_0001

DAY = datetime(2030, 1, 15, 10, 0)


def _form(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _date(session, record):
    """Read the record's stored next task date as the database holds it now."""
    session.expire_all()
    return session.get(type(record), record.id).next_task_at


def _planned(session, **link) -> list[Task]:
    column = {"company": Task.company_id, "contact": Task.contact_id, "deal": Task.deal_id}
    ((name, record),) = link.items()
    session.expire_all()
    return session.scalars(select(Task).where(
        column[name] == record.id, Task.state == "planned", Task.archived.is_(False))).all()


# --- the forms -------------------------------------------------------------------------

def test_a_company_added_with_its_first_task_carries_its_date(client, login, session):
    login()
    response = client.post("/companyview/add", data={
        "name": "Новая", "status": "potential", "next_type": "call",
        "next_subject": "Первый звонок", "next_due_at": _form(DAY)})
    assert response.status_code == 302
    company = session.scalars(select(Company).filter_by(name="Новая")).one()
    assert _date(session, company) == DAY


def test_a_private_client_and_a_deal_added_with_their_first_task(client, login, session,
                                                                 make_company, stage):
    manager = login()
    client.post("/contactview/add", data={
        "last_name": "Кузнецова", "status": "potential", "next_type": "call",
        "next_subject": "Позвонить", "next_due_at": _form(DAY)})
    contact = session.scalars(select(Contact).filter_by(last_name="Кузнецова")).one()
    assert _date(session, contact) == DAY

    company = make_company(manager, "Клиент")
    later = DAY + timedelta(days=3)
    client.post("/dealview/add", data={
        "title": "Станки", "company": str(company.id), "stage": str(stage().id),
        "currency": "RUB", "next_type": "meeting", "next_subject": "Встреча",
        "next_due_at": _form(later)})
    deal = session.scalars(select(Deal).filter_by(title="Станки")).one()
    # The deal's first task is the client's too.
    assert (_date(session, deal), _date(session, company)) == (later, later)


def test_completing_with_a_next_task_moves_the_date_to_it(client, login, session,
                                                          make_company, make_deal, make_task):
    manager = login()
    company = make_company(manager)
    deal = make_deal(manager, company=company)
    task = make_task(manager, company=company, deal=deal, due_at=DAY)
    assert (_date(session, company), _date(session, deal)) == (DAY, DAY)
    month_later = DAY + timedelta(days=30)
    response = client.post(f"/taskview/complete/{task.id}", data={
        "outcome": "done", "result": "Поговорили", "next_type": "call",
        "next_subject": "Перезвонить", "next_due_at": _form(month_later)})
    assert response.status_code == 302
    assert (_date(session, company), _date(session, deal)) == (month_later, month_later)


def test_completing_without_a_next_task_leaves_the_other_planned_one(
        client, login, session, make_company, make_task):
    manager = login()
    company = make_company(manager)
    first = make_task(manager, company=company, due_at=DAY)
    make_task(manager, company=company, due_at=DAY + timedelta(days=7))
    response = client.post(f"/taskview/complete/{first.id}", data={
        "outcome": "done", "result": "Поговорили", "next_subject": ""})
    assert response.status_code == 302
    assert _date(session, company) == DAY + timedelta(days=7)


def test_cancelling_the_last_task_of_a_lost_client_clears_the_date(client, login, session,
                                                                   make_company, make_task):
    manager = login()
    company = make_company(manager, "Уходит")
    task = make_task(manager, company=company, due_at=DAY)
    response = client.post(f"/taskview/complete/{task.id}", data={
        "outcome": "cancelled", "result": "", "next_subject": "", "client_lost": "y",
        "lost_reason": "Ушли к конкурентам"})
    assert response.status_code == 302
    assert _date(session, company) is None
    assert session.get(Company, company.id).status == "lost"
    # A lost client is not forgotten: it stays out of the queue.
    assert "Уходит" not in client.get("/queue/").data.decode()


def test_rescheduling_a_task_moves_the_date(client, login, session, make_company, make_task):
    manager = login()
    company = make_company(manager)
    task = make_task(manager, company=company, subject="Позвонить", due_at=DAY)
    later = DAY + timedelta(days=2, hours=3)
    response = client.post(f"/taskview/edit/{task.id}", data={
        "type": "call", "subject": "Позвонить", "due_at": _form(later),
        "company": str(company.id)})
    assert response.status_code == 302
    assert _date(session, company) == later


def test_moving_a_task_to_another_company_dates_both(client, login, session, make_company,
                                                     make_task):
    manager = login()
    first = make_company(manager, "Первая")
    second = make_company(manager, "Вторая")
    moving = make_task(manager, company=first, subject="Переезжает", due_at=DAY)
    make_task(manager, company=first, due_at=DAY + timedelta(days=5))
    make_task(manager, company=second, due_at=DAY + timedelta(days=10))
    response = client.post(f"/taskview/edit/{moving.id}", data={
        "type": "call", "subject": "Переезжает", "due_at": _form(DAY),
        "company": str(second.id)})
    assert response.status_code == 302
    assert _date(session, first) == DAY + timedelta(days=5)
    assert _date(session, second) == DAY


def test_archiving_one_of_two_tasks_moves_the_date(client, login, session, make_company,
                                                   make_task):
    manager = login()
    company = make_company(manager)
    early = make_task(manager, company=company, due_at=DAY)
    make_task(manager, company=company, due_at=DAY + timedelta(days=1))
    client.post(f"/taskview/delete/{early.id}")
    assert session.get(Task, early.id).archived is True
    assert _date(session, company) == DAY + timedelta(days=1)


def test_archiving_a_client_with_its_tasks_and_restoring_it(client, login, session, make_user,
                                                            make_company, make_contact,
                                                            make_deal, make_task):
    manager = login("Manager", "anna")
    company = make_company(manager, "Вектор")
    contact = make_contact(manager, "Петров", company=company)
    deal = make_deal(manager, company=company, contact=contact)
    make_task(manager, company=company, due_at=DAY + timedelta(days=2))
    make_task(manager, company=company, contact=contact, deal=deal, due_at=DAY)
    client.post(f"/companyview/delete/{company.id}")
    assert session.get(Company, company.id).archived is True
    assert [_date(session, row) for row in (company, contact, deal)] == [None, None, None]

    login("Head")
    response = client.post(f"/archive/restore/company/{company.id}")
    assert response.status_code == 302
    assert session.get(Company, company.id).archived is False
    assert [_date(session, row) for row in (company, contact, deal)] == [DAY, DAY, DAY]


def test_archive_service_restores_the_date_of_a_private_client(session, make_user,
                                                               make_contact, make_task):
    manager = make_user("Manager")
    head = make_user("Head")
    person = make_contact(manager, "Сидорова")
    make_task(manager, contact=person, due_at=DAY)
    archive.archive(session, manager, session.get(Contact, person.id))
    session.commit()
    assert _date(session, person) is None
    archive.restore(session, head, session.get(Contact, person.id))
    assert _date(session, person) == DAY


def test_deleting_a_task_for_good_dates_its_records(session, make_user, make_company,
                                                    make_task):
    manager = make_user()
    company = make_company(manager)
    early = make_task(manager, company=company, due_at=DAY)
    make_task(manager, company=company, due_at=DAY + timedelta(days=4))
    session.delete(session.get(Task, early.id))
    session.commit()
    assert _date(session, company) == DAY + timedelta(days=4)


def test_reassignment_keeps_the_dates(session, make_user, make_company, make_contact,
                                      make_deal, make_task):
    leaver, keeper, head = make_user(), make_user(), make_user("Head")
    company = make_company(leaver, "Альфа")
    private = make_contact(leaver, "Сидорова")
    deal = make_deal(leaver, company=company)
    make_task(leaver, company=company, deal=deal, due_at=DAY)
    make_task(leaver, contact=private, due_at=DAY + timedelta(days=1))
    # Without the introduction calls (which come first: tests/test_handover.py).
    reassignment.reassign(session, head, leaver, keeper, introduce=False)
    assert session.get(Company, company.id).owner_id == keeper.id
    assert [_date(session, row) for row in (company, deal, private)] == [
        DAY, DAY, DAY + timedelta(days=1)]


def test_import_dates_a_client_by_its_first_task(app, session, make_user):
    anna = make_user("Manager", "anna")
    data = ("Название;Статус;Задача;Срок\n"
            "Альфа;Активный;Позвонить;15.01.2030 10:00\n"
            "Бета;Активный;;\n").encode()
    table = importer.read_table(data, "clients.csv")
    with app.test_request_context(), force_locale("ru"):
        mapping = importer.auto_mapping("company", table.headers, anna)
        # A Thursday: Beta, live without a task in the file, gets Friday's first call.
        result = importer.run(session, anna, "company", table, mapping,
                              now=datetime(2030, 1, 10, 9, 0))
    assert [row.action for row in result.rows] == ["create", "create"]
    alpha = session.scalars(select(Company).filter_by(name="Альфа")).one()
    beta = session.scalars(select(Company).filter_by(name="Бета")).one()
    assert (_date(session, alpha), _date(session, beta)) == (DAY, datetime(2030, 1, 11, 10, 0))


def test_demo_dates_every_client_and_deal(app, session):
    generate_demo(app.appbuilder, session, companies=4, managers=1,
                  now=datetime(2026, 3, 10, 11, 30))
    session.expire_all()
    dated = 0
    for model, link in ((Company, Task.company_id), (Contact, Task.contact_id),
                        (Deal, Task.deal_id)):
        earliest = dict(session.execute(
            select(link, Task.due_at).where(Task.state == "planned",
                                            Task.archived.is_(False))
            .order_by(Task.due_at.desc())).all())
        for record in session.scalars(select(model)):
            assert record.next_task_at == earliest.get(record.id), record
            dated += record.next_task_at is not None
    assert dated > 0


def test_api_creating_and_completing_tasks_keeps_the_date(client, make_user, session):
    user = make_user("Manager")
    headers = api_login(client, user)
    created = client.post("/api/v1/company/", headers=headers, json={
        "name": "Через API", "status": "active",
        "next_task": {"type": "call", "subject": "Первый", "due_at": "2030-01-20T10:00:00"}})
    assert created.status_code == 201, created.json
    company = session.get(Company, created.json["id"])
    assert _date(session, company) == datetime(2030, 1, 20, 10)

    earlier = client.post("/api/v1/task/", headers=headers, json={
        "subject": "Раньше", "type": "meeting", "due_at": "2030-01-15T10:00:00",
        "company_id": company.id})
    assert earlier.status_code == 201, earlier.json
    assert _date(session, company) == DAY

    moved = client.put(f"/api/v1/task/{earlier.json['id']}", headers=headers,
                       json={"due_at": "2030-01-25T10:00:00"})
    assert moved.status_code == 200, moved.json
    assert _date(session, company) == datetime(2030, 1, 20, 10)

    first = session.scalars(select(Task).filter_by(subject="Первый")).one()
    done = client.post(f"/api/v1/task/{first.id}/complete", headers=headers, json={
        "result": "Поговорили",
        "next_task": {"type": "call", "subject": "Потом", "due_at": "2030-02-01T10:00:00"}})
    assert done.status_code == 200, done.json
    assert _date(session, company) == datetime(2030, 1, 25, 10)


# --- what reads it ---------------------------------------------------------------------

def test_the_queue_and_its_report_follow_the_date(client, login, session, make_company,
                                                  make_task):
    manager = login()
    company = make_company(manager, "Забытая")
    make_task(manager, company=company, state="done", result="Было")
    assert "Забытая" in client.get("/queue/").data.decode()
    report = client.get("/reports/no-next-task/").data.decode()
    assert re.search(r'class="text-right crm-companies">1<', report)

    make_task(manager, company=company, due_at=DAY)
    assert "Забытая" not in client.get("/queue/").data.decode()
    report = client.get("/reports/no-next-task/").data.decode()
    assert "crm-companies\">1<" not in report
    assert 'data-user="total">' in report and 'crm-companies">0<' in report


def _names_in_order(page: str, names: list[str]) -> list[str]:
    return sorted(names, key=page.index)


@pytest.mark.parametrize(("view", "make"), [("CompanyView", "company"),
                                            ("ContactView", "contact"),
                                            ("DealView", "deal")])
def test_the_lists_sort_by_the_next_task(client, login, make_company, make_contact, make_deal,
                                         make_task, view, make):
    manager = login()
    names = ["Щукин", "Авдеев", "Миронов"]
    offsets = [2, 9, 5]  # days ahead: Щукин first, then Миронов, Авдеев last
    for name, days in zip(names, offsets, strict=True):
        if make == "company":
            record = make_company(manager, name)
            make_task(manager, company=record, due_at=DAY + timedelta(days=days))
        elif make == "contact":
            record = make_contact(manager, name)
            make_task(manager, contact=record, due_at=DAY + timedelta(days=days))
        else:
            record = make_deal(manager, title=name, company=make_company(manager, "К" + name))
            make_task(manager, company=record.company, deal=record,
                      due_at=DAY + timedelta(days=days))
    url = f"/{view.lower()}/list/?_oc_{view}=next_task_at&_od_{view}="
    ascending = client.get(url + "asc").data.decode()
    assert _names_in_order(ascending, names) == ["Щукин", "Миронов", "Авдеев"]
    descending = client.get(url + "desc").data.decode()
    assert _names_in_order(descending, names) == ["Авдеев", "Миронов", "Щукин"]


def test_an_overdue_next_task_is_marked(client, login, make_company, make_task):
    manager = login()
    due = local_now().replace(second=0, microsecond=0) - timedelta(days=2)
    make_task(manager, company=make_company(manager, "Опоздавшая"), due_at=due)
    make_task(manager, company=make_company(manager, "Вовремя"), due_at=DAY)
    page = client.get("/companyview/list/").data.decode()
    marked = re.findall(r'<span class="text-danger crm-overdue"[^>]*>([^<]+)</span>', page)
    assert marked == [due.strftime("%d.%m.%Y %H:%M")]
    assert "15.01.2030 10:00" in page


# --- the migration ---------------------------------------------------------------------

def test_upgrading_a_database_with_tasks_fills_the_dates(fresh_app):
    with fresh_app.app_context():
        upgrade(revision="0002")
        insert_rows_at_0001()
        stamps = "'2026-11-01 10:00:00', '2026-11-01 10:00:00', 1, 1"
        columns = "created_at, changed_at, created_by_id, owner_id, version"
        # Company 1: planned 01.12 (from the rows above), an earlier archived one and an
        # earlier cancelled one that do not count, a later planned one.
        db.session.execute(text(
            f"INSERT INTO task (id, type, subject, due_at, company_id, contact_id, deal_id, "
            f"state, archived, {columns}) VALUES "
            f"(3, 'call', 'В архиве', '2026-11-20 10:00:00', 1, NULL, NULL, 'planned', true, "
            f"{stamps}, 1), "
            f"(4, 'call', 'Отменена', '2026-11-21 10:00:00', 1, NULL, NULL, 'cancelled', "
            f"false, {stamps}, 1), "
            f"(5, 'call', 'Позже', '2026-12-05 10:00:00', 1, NULL, 1, 'planned', false, "
            f"{stamps}, 1), "
            f"(6, 'email', 'Частной', '2026-12-03 09:30:00', NULL, 2, NULL, 'planned', false, "
            f"{stamps}, 1)"))
        db.session.commit()
        db.session.remove()

        upgrade(revision="0003")
        rows = {
            table: dict(db.session.execute(text(f"SELECT id, next_task_at FROM {table}")).all())
            for table in ("company", "contact", "deal")
        }
        db.session.remove()

    def when(value):
        return value if value is None or isinstance(value, datetime) else \
            datetime.fromisoformat(str(value))

    dates = {table: {key: when(value) for key, value in found.items()}
             for table, found in rows.items()}
    assert dates["company"] == {1: datetime(2026, 12, 1, 10), 2: None}
    assert dates["contact"] == {1: None, 2: datetime(2026, 12, 3, 9, 30)}
    assert dates["deal"] == {1: datetime(2026, 12, 1, 10), 2: None}


def test_refresh_all_repairs_dates_written_past_the_session(session, make_user, make_company,
                                                            make_task):
    manager = make_user()
    company = make_company(manager)
    task = make_task(manager, company=company, due_at=DAY)
    later = DAY + timedelta(days=1)
    session.execute(Task.__table__.update().where(Task.__table__.c.id == task.id)
                    .values(due_at=later))
    assert _date(session, company) == DAY  # a bulk UPDATE bypasses the flush hook
    next_task.refresh_all(session)
    session.commit()
    assert _date(session, company) == later
