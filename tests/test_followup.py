"""The key rule: no live client or open deal without a next planned task."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from app.models import Company, Contact, Deal, Task
from app.services.rules import followup
from app.services.rules.followup import NextTask, NextTaskRequired, Outcome

DUE = "2030-01-15 10:00:00"


def _planned(session, **link):
    column = {"company": Task.company_id, "contact": Task.contact_id, "deal": Task.deal_id}
    (name, record), = link.items()
    return session.scalars(select(Task).where(
        column[name] == record.id, Task.state == "planned")).all()


# --- services -------------------------------------------------------------------------

def test_completing_the_last_task_needs_the_next_one(session, make_user, make_company,
                                                     make_task):
    manager = make_user()
    company = make_company(manager, "Вектор")
    task = make_task(manager, company=company)
    with pytest.raises(NextTaskRequired) as refused:
        followup.finish_task(session, manager, task, Outcome(result="Не дозвонился"))
    assert "Вектор" in str(refused.value)
    assert session.get(Task, task.id).state == "planned"


def test_completing_with_result_and_next_task(session, make_user, make_company, make_task):
    manager = make_user()
    company = make_company(manager, "Вектор")
    task = make_task(manager, company=company)
    due = datetime(2030, 1, 15, 10)
    nxt = followup.finish_task(session, manager, task, Outcome(
        result="Обсудили цену", next_task=NextTask(subject="Отправить КП", due_at=due))).next_task
    done = session.get(Task, task.id)
    assert done.state == "done" and done.result == "Обсудили цену" and done.done_at
    assert nxt.company_id == company.id and nxt.due_at == due and nxt.owner_id == manager.id
    assert [t.subject for t in _planned(session, company=company)] == ["Отправить КП"]


def test_result_is_required_to_mark_done(session, make_user, make_company, make_task):
    manager = make_user()
    task = make_task(manager, company=make_company(manager))
    with pytest.raises(followup.ValidationError) as refused:
        followup.finish_task(session, manager, task, Outcome(
            result="  ", next_task=NextTask(subject="Снова", due_at=datetime(2030, 1, 1))))
    assert refused.value.field == "result"


def test_next_task_may_be_left_out_when_another_covers(session, make_user, make_company,
                                                       make_task):
    manager = make_user()
    company = make_company(manager)
    first = make_task(manager, company=company)
    make_task(manager, company=company, subject="Встреча")
    assert followup.finish_task(session, manager, first, Outcome(result="Ок")).next_task is None
    assert session.get(Task, first.id).state == "done"


def test_marking_the_client_lost_instead_of_planning(session, make_user, make_company,
                                                     make_task):
    manager = make_user()
    company = make_company(manager)
    task = make_task(manager, company=company)
    with pytest.raises(followup.ValidationError):
        followup.finish_task(session, manager, task, Outcome(result="Отказ",
                                                             client_status="lost"))
    followup.finish_task(session, manager, task, Outcome(
        result="Отказ", client_status="lost", lost_reason="Ушли к конкуренту"))
    company = session.get(Company, company.id)
    assert company.status == "lost" and company.lost_reason == "Ушли к конкуренту"


def test_closing_the_deal_but_client_still_needs_a_task(session, make_user, make_company,
                                                        make_deal, make_task, stage):
    manager = make_user()
    company = make_company(manager, "Вектор")
    deal = make_deal(manager, company=company)
    task = make_task(manager, company=company, deal=deal)
    with pytest.raises(NextTaskRequired) as refused:
        followup.finish_task(session, manager, task, Outcome(
            result="Подписали", deal_stage_id=stage("won").id))
    assert "Вектор" in str(refused.value)
    make_task(manager, company=company, subject="Поздравить")
    followup.finish_task(session, manager, task, Outcome(
        result="Подписали", deal_stage_id=stage("won").id))
    deal = session.get(Deal, deal.id)
    assert deal.stage.code == "won" and deal.closed_at is not None



def test_follow_up_writes_pass_the_same_checks_as_the_screens(
        session, monkeypatch, make_user, make_company, make_deal, make_task, stage):
    """The first task, the next task and the moved deal are refused as a form save is."""
    from app.services.rules import records

    refusal = "The save checks refuse this record."
    checked = []

    def refuse(session_, actor, record, is_new):
        checked.append((type(record).__name__, is_new))
        raise followup.ValidationError(refusal, "subject")

    manager = make_user()
    company = make_company(manager, "Вектор")
    deal = make_deal(manager, company=company)
    task = make_task(manager, company=company, deal=deal)
    covering = make_task(manager, company=company, subject="Поздравить")
    monkeypatch.setattr(records, "before_save", refuse)
    due = datetime(2030, 1, 15, 10)

    with pytest.raises(followup.ValidationError, match=refusal):
        followup.finish_task(session, manager, task, Outcome(
            result="Обсудили", next_task=NextTask(subject="Отправить КП", due_at=due)))
    with pytest.raises(followup.ValidationError, match=refusal):
        followup.finish_task(session, manager, task, Outcome(
            result="Подписали", deal_stage_id=stage("won").id))
    new_client = Company(name="Новая", status="potential", owner_id=manager.id)
    with pytest.raises(followup.ValidationError, match=refusal):
        followup.attach_first_task(session, manager, new_client,
                                   NextTask(subject="Позвонить", due_at=due))
    session.rollback()

    assert checked == [("Task", True), ("Deal", False), ("Task", True)]
    assert session.get(Task, task.id).state == "planned"
    assert session.get(Deal, deal.id).stage.code != "won"
    assert {t.id for t in _planned(session, company=company)} == {task.id, covering.id}


def test_cancelling_the_last_task_needs_the_next_one(session, make_user, make_contact,
                                                     make_task):
    manager = make_user()
    private = make_contact(manager, "Сидорова")
    task = make_task(manager, contact=private)
    with pytest.raises(NextTaskRequired):
        followup.finish_task(session, manager, task, Outcome(cancel=True))
    followup.finish_task(session, manager, task, Outcome(
        cancel=True, next_task=NextTask(subject="Позвонить позже",
                                        due_at=datetime(2030, 2, 1, 10))))
    assert session.get(Task, task.id).state == "cancelled"
    assert len(_planned(session, contact=private)) == 1


def test_archiving_the_last_task_is_refused(session, make_user, make_deal, make_company,
                                            make_task):
    manager = make_user()
    deal = make_deal(manager, company=make_company(manager), title="Поставка станков")
    task = make_task(manager, deal=deal)
    with pytest.raises(NextTaskRequired) as refused:
        followup.check_can_archive_task(session, session.get(Task, task.id))
    assert "Поставка станков" in str(refused.value)


def test_lost_clients_and_contact_persons_need_no_task(session, make_user, make_company,
                                                       make_contact, make_task):
    manager = make_user()
    lost = make_company(manager, "Бывший", status="lost", lost_reason="Закрылись")
    person = make_contact(manager, "Петров", company=make_company(manager))
    task = make_task(manager, company=lost, contact=person)
    followup.finish_task(session, manager, task, Outcome(result="Попрощались"))
    assert session.get(Task, task.id).state == "done"


def test_another_managers_task_cannot_be_completed(session, make_user, make_company,
                                                   make_task):
    owner, other = make_user(), make_user()
    task = make_task(owner, company=make_company(owner))
    with pytest.raises(followup.DomainError):
        followup.finish_task(session, other, task, Outcome(result="Чужая"))


# --- screens --------------------------------------------------------------------------

def test_new_company_comes_with_its_first_task(client, login, session):
    manager = login()
    response = client.post("/companyview/add", data={
        "name": "Новая компания", "status": "potential", "next_type": "call",
        "next_subject": "Первый звонок", "next_due_at": DUE})
    assert response.status_code == 302
    company = session.scalars(select(Company).filter_by(name="Новая компания")).one()
    tasks = _planned(session, company=company)
    assert [(t.subject, t.owner_id) for t in tasks] == [("Первый звонок", manager.id)]


def test_new_live_company_without_first_task_is_refused(client, login, session):
    login()
    response = client.post("/companyview/add", data={
        "name": "Без задачи", "status": "active", "next_subject": ""})
    assert response.status_code == 200
    assert session.scalars(select(Company).filter_by(name="Без задачи")).first() is None


def test_add_form_prefills_a_call_tomorrow_at_ten(client, login):
    login()
    page = client.get("/dealview/add").data.decode()
    assert "T10:00" in page and 'value="call"' in page


def test_new_open_deal_gets_its_task_linked_to_deal_and_client(client, login, session,
                                                              make_company, stage):
    manager = login()
    company = make_company(manager, "Клиент")
    response = client.post("/dealview/add", data={
        "title": "Большая сделка", "company": str(company.id), "stage": str(stage().id),
        "currency": "RUB", "next_type": "meeting", "next_subject": "Встреча",
        "next_due_at": DUE})
    assert response.status_code == 302
    deal = session.scalars(select(Deal).filter_by(title="Большая сделка")).one()
    (task,) = _planned(session, deal=deal)
    assert task.company_id == company.id and task.type == "meeting"


def test_reactivating_a_lost_client_needs_a_task(client, login, session, make_company):
    manager = login()
    company = make_company(manager, "Вернулся", status="lost", lost_reason="Дорого")
    response = client.post(f"/companyview/edit/{company.id}", data={
        "name": "Вернулся", "status": "active", "next_subject": ""})
    assert response.status_code == 200
    session.expire_all()
    assert session.get(Company, company.id).status == "lost"
    response = client.post(f"/companyview/edit/{company.id}", data={
        "name": "Вернулся", "status": "active", "next_subject": "Позвонить",
        "next_due_at": DUE, "next_type": "call"})
    assert response.status_code == 302
    assert len(_planned(session, company=company)) == 1


def test_complete_dialog_plans_the_next_call(client, login, session, make_company,
                                             make_task):
    manager = login()
    company = make_company(manager)
    task = make_task(manager, company=company)
    page = client.get(f"/taskview/complete/{task.id}")
    assert page.status_code == 200 and b"next_subject" in page.data
    refused = client.post(f"/taskview/complete/{task.id}", data={
        "outcome": "done", "result": "Поговорили", "next_subject": ""})
    assert refused.status_code == 200
    done = client.post(f"/taskview/complete/{task.id}", data={
        "outcome": "done", "result": "Поговорили", "next_type": "call",
        "next_subject": "Перезвонить через месяц", "next_due_at": DUE})
    assert done.status_code == 302
    assert [t.subject for t in _planned(session, company=company)] == [
        "Перезвонить через месяц"]


def test_complete_dialog_of_foreign_task_is_404(client, login, make_user, make_company,
                                               make_task):
    other = make_user()
    task = make_task(other, company=make_company(other))
    login()
    assert client.get(f"/taskview/complete/{task.id}").status_code == 404


def test_archiving_last_task_from_the_list_is_refused(client, login, session, make_company,
                                                      make_task):
    manager = login()
    task = make_task(manager, company=make_company(manager))
    client.post(f"/taskview/delete/{task.id}")
    session.expire_all()
    assert session.get(Task, task.id).archived is False


def test_private_client_added_with_first_task(client, login, session):
    login()
    response = client.post("/contactview/add", data={
        "last_name": "Кузнецова", "status": "potential", "next_subject": "Позвонить",
        "next_due_at": DUE, "next_type": "call"})
    assert response.status_code == 302
    contact = session.scalars(select(Contact).filter_by(last_name="Кузнецова")).one()
    assert len(_planned(session, contact=contact)) == 1


def test_future_task_shows_up_on_my_day_when_its_day_comes(client, login, make_company,
                                                           make_task, monkeypatch):
    manager = login()
    company = make_company(manager)
    from app.models.mixins import local_now

    due = local_now().replace(microsecond=0) + timedelta(days=30)
    make_task(manager, company=company, subject="Звонок через месяц", due_at=due)
    assert "Звонок через месяц".encode() not in client.get("/").data
    import app.views.index as index

    # The morning of that day (an hour before could still be the day before).
    monkeypatch.setattr(index, "local_now", lambda: due.replace(hour=0, minute=0, second=0))
    assert "Звонок через месяц".encode() in client.get("/").data


def test_queue_lists_live_records_without_a_planned_task(client, login, make_user,
                                                         make_company, make_deal, make_task):
    manager = login()
    covered = make_company(manager, "Под контролем")
    make_task(manager, company=covered)
    make_company(manager, "Забытая")
    make_company(manager, "Потерянная", status="lost", lost_reason="Закрылись")
    make_deal(manager, company=covered, title="Забытая сделка")
    other = make_user()
    make_company(other, "Чужая забытая")
    page = client.get("/queue/").data.decode()
    assert "Забытая" in page and "Забытая сделка" in page
    assert "Под контролем</a>" not in page and "Потерянная" not in page
    assert "Чужая забытая" not in page
    assert 'id="counter-queue">2<' in client.get("/").data.decode()


def test_head_sees_everyones_queue_with_owner(client, login, make_user, make_company):
    other = make_user("Manager", "olga")
    make_company(other, "Забытая Ольгой")
    login("Head")
    page = client.get("/queue/").data.decode()
    assert "Забытая Ольгой" in page and "Olga" in page


def test_my_day_counters_and_birthdays(client, login, make_company, make_contact, make_task):

    from app.models.mixins import local_now

    manager = login()
    company = make_company(manager)
    now = local_now()
    make_task(manager, company=company, subject="Просрочено", due_at=now - timedelta(days=2))
    make_task(manager, company=company, subject="Сегодня вечером",
              due_at=now.replace(hour=23, minute=59))
    today = now.date()
    make_contact(manager, "Именинник", company=company,
                 birthday=today.replace(year=1980) + timedelta(days=0),
                 birthday_key=today.month * 100 + today.day)
    page = client.get("/").data.decode()
    assert 'id="counter-overdue">1<' in page
    assert "Просрочено" in page and "Именинник" in page
    assert "/taskview/complete/" in page
    birthdays = page.split('id="my-birthdays"', 1)[1].split("</ul>", 1)[0]
    assert "Именинник" in birthdays and company.name in birthdays


def test_timeline_tells_the_story_of_a_deal(client, login, session, make_company, stage):
    manager = login()
    company = make_company(manager, "Клиент")
    client.post("/dealview/add", data={
        "title": "Станки", "company": str(company.id), "stage": str(stage("proposal").id),
        "currency": "RUB", "next_type": "call", "next_subject": "Обсудить КП",
        "next_due_at": DUE})
    deal = session.scalars(select(Deal).filter_by(title="Станки")).one()
    client.post(f"/dealview/edit/{deal.id}", data={
        "title": "Станки", "company": str(company.id), "stage": str(stage("negotiation").id),
        "currency": "RUB", "amount": "1500000"})
    (task,) = _planned(session, deal=deal)
    client.post(f"/taskview/complete/{task.id}", data={
        "outcome": "done", "result": "Клиент согласен", "next_type": "meeting",
        "next_subject": "Подписать договор", "next_due_at": DUE})
    client.get("/lang/en")
    page = client.get(f"/dealview/show/{deal.id}").data.decode()
    assert "Stage: Proposal → Negotiation &amp; signing" in page
    assert "Клиент согласен" in page and "Подписать договор" in page
    company_page = client.get(f"/companyview/show/{company.id}").data.decode()
    assert "Станки" in company_page and 'id="timeline"' in company_page


def test_moving_the_last_task_to_another_client_is_refused(client, login, session,
                                                           make_company, make_task):
    manager = login()
    first = make_company(manager, "Первая")
    second = make_company(manager, "Вторая")
    make_task(manager, company=second, subject="Её задача")
    task = make_task(manager, company=first, subject="Единственная")
    response = client.post(f"/taskview/edit/{task.id}", data={
        "type": "call", "subject": "Единственная", "due_at": DUE,
        "company": str(second.id)})
    assert response.status_code == 200
    assert "Первая" in response.data.decode()
    session.expire_all()
    assert session.get(Task, task.id).company_id == first.id


def test_stage_with_deals_cannot_be_deleted(client, login, session, make_company, make_deal,
                                            stage):
    from app.models import Stage

    manager_company = make_company(login("Manager"))
    make_deal(manager_company.owner, company=manager_company, stage=stage("proposal"))
    login("Admin")
    client.get("/lang/en")
    page = client.post(f"/stageview/delete/{stage('proposal').id}", follow_redirects=True)
    assert b"move them to another stage first" in page.data
    assert session.get(Stage, stage("proposal").id) is not None
