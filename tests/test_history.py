"""Every change is in the history, field by field, and readable on the record's page."""

from decimal import Decimal

from sqlalchemy import select

from app.models import Deal, HistoryEntry, Task
from app.models.mixins import local_now
from app.services.rules import reassignment

DUE = "2030-01-15 10:00:00"


def _entries(session, entity, entity_id):
    return session.scalars(
        select(HistoryEntry).where(HistoryEntry.entity == entity,
                                   HistoryEntry.entity_id == entity_id)
        .order_by(HistoryEntry.id)).all()


def _changes(entry) -> dict:
    return {change["field"]: (change["old"], change["new"]) for change in entry.changes}


def _deal_form(deal, **fields) -> dict:
    form = {
        "title": deal.title, "company": str(deal.company_id), "stage": str(deal.stage_id),
        "currency": deal.currency, "amount": str(deal.amount or ""),
        "owner": str(deal.owner_id),
    }
    form.update(fields)
    return form


def test_every_kind_of_field_keeps_its_old_and_new_value(client, login, session, make_user,
                                                         make_company, make_deal, make_task,
                                                         stage):
    head = login("Head")
    manager = make_user("Manager", "anna")
    first = make_company(head, "Первая")
    second = make_company(head, "Вторая")
    deal = make_deal(head, company=first, title="Станки", stage=stage("proposal"),
                     amount=Decimal("1000.00"))
    make_task(head, deal=deal, company=first)
    response = client.post(f"/dealview/edit/{deal.id}", data=_deal_form(
        deal, title="Станки ЧПУ", amount="1500000.50", expected_close_date="2030-02-01",
        stage=str(stage("negotiation").id), owner=str(manager.id), company=str(second.id),
        version_seen=str(deal.version)))
    assert response.status_code == 302, response.data.decode()[-3000:]

    entry = _entries(session, "deal", deal.id)[-1]
    assert entry.action == "changed" and entry.actor_id == head.id
    changes = _changes(entry)
    assert changes["title"] == ("Станки", "Станки ЧПУ")  # text
    assert changes["amount"] == ("1000.00", "1500000.50")  # money
    assert changes["expected_close_date"] == (None, "2030-02-01")  # date
    assert changes["stage_id"] == (stage("proposal").id, stage("negotiation").id)  # stage
    assert changes["owner_id"] == (head.id, manager.id)  # ownership
    assert changes["company_id"] == (first.id, second.id)  # relation

    client.get("/lang/en")
    page = client.get(f"/dealview/show/{deal.id}").data.decode()
    assert "Stage: Proposal → Negotiation &amp; signing" in page
    assert "Title: Станки → Станки ЧПУ" in page
    assert "Amount: ₽1,000.00 → ₽1,500,000.50" in page
    assert "Expected close date: — → 02/01/2030" in page
    assert "Company: Первая → Вторая" in page
    assert f"Owner: {head} → {manager}" in page
    client.get("/lang/ru")
    page = client.get(f"/dealview/show/{deal.id}").data.decode()
    assert "Сумма: 1\u00a0000,00\u00a0₽ → 1\u00a0500\u00a0000,50\u00a0₽" in page
    assert "01.02.2030" in page


def test_enum_and_boolean_values_are_shown_in_the_users_language(client, login, session,
                                                                 make_company, make_task):
    head = login("Head")
    company = make_company(head, "Вектор", status="active")
    make_task(head, company=company)
    response = client.post(f"/companyview/edit/{company.id}", data={
        "name": "Вектор", "status": "lost", "lost_reason": "Ушли к конкуренту",
        "owner": str(head.id), "version_seen": str(company.version)})
    assert response.status_code == 302
    assert _changes(_entries(session, "company", company.id)[-1])["status"] == ("active", "lost")
    client.get("/lang/en")
    page = client.get(f"/companyview/show/{company.id}").data.decode()
    assert "Status: Active → Lost" in page
    client.get("/lang/ru")
    page = client.get(f"/companyview/show/{company.id}").data.decode()
    assert "Статус: Активный → Потерян" in page


def test_the_change_and_its_history_are_one_transaction(session, make_user, make_company):
    manager = make_user()
    company = make_company(manager, "Вектор")
    company.name = "Вектор-2"
    session.flush()
    assert _entries(session, "company", company.id)[-1].action == "changed"
    session.rollback()
    assert [e.action for e in _entries(session, "company", company.id)] == ["created"]


def test_a_task_page_has_its_own_story(client, login, session, make_company, make_task):
    manager = login()
    company = make_company(manager, "Вектор")
    make_task(manager, company=company, subject="Другая")
    task = make_task(manager, company=company, subject="Позвонить")
    client.post(f"/taskview/edit/{task.id}", data={
        "type": "meeting", "subject": "Встретиться", "due_at": DUE,
        "company": str(company.id), "version_seen": str(task.version)})
    client.get("/lang/en")
    page = client.get(f"/taskview/show/{task.id}").data.decode()
    assert 'id="timeline"' in page
    assert "Subject: Позвонить → Встретиться" in page and "Type: Call → Meeting" in page
    assert "Другая" not in page.split('id="timeline"')[1]


def test_a_reassignment_is_grouped_on_the_timeline(client, login, session, make_user,
                                                  make_company, make_task):
    head = login("Head")
    leaver = make_user("Manager", "leaver")
    taker = make_user("Manager", "taker")
    company = make_company(leaver, "Вектор")
    make_task(leaver, company=company)
    record = reassignment.reassign(session, head, leaver, taker)
    entries = session.scalars(select(HistoryEntry).where(
        HistoryEntry.reassignment_id == record.id)).all()
    assert {e.entity for e in entries} == {"company", "task"}
    client.get("/lang/en")
    page = client.get(f"/companyview/show/{company.id}").data.decode()
    assert f"moved to another manager (reassignment #{record.id})" in page
    assert f"Owner: {leaver} → {taker}" in page


def test_a_save_without_changes_is_not_on_the_timeline(client, login, session, make_company,
                                                       make_task):
    manager = login()
    company = make_company(manager, "Вектор")
    make_task(manager, company=company)
    for _ in range(2):
        session.expire_all()
        company = session.get(type(company), company.id)
        client.post(f"/companyview/edit/{company.id}", data={
            "name": "Вектор", "status": "active", "version_seen": str(company.version)})
    client.get("/lang/en")
    page = client.get(f"/companyview/show/{company.id}").data.decode()
    story = page.split('id="timeline"')[1]
    assert "— changed" not in story


def test_a_record_edited_archived_and_restored_tells_the_whole_story(
        client, login, session, make_company, make_deal, make_task, stage):
    head = login("Head")
    company = make_company(head, "Вектор")
    deal = make_deal(head, company=company, title="Станки", stage=stage("proposal"))
    make_task(head, company=company, deal=deal)
    client.post(f"/dealview/edit/{deal.id}", data=_deal_form(
        deal, stage=str(stage("negotiation").id), version_seen=str(deal.version)))
    assert client.post(f"/companyview/delete/{company.id}").status_code == 302
    assert session.get(Deal, deal.id).archived
    response = client.post(f"/archive/restore/company/{company.id}")
    assert response.status_code == 302
    client.get("/lang/en")
    page = client.get(f"/dealview/show/{deal.id}").data.decode()
    story = page.split('id="timeline"')[1]
    assert story.index("restored") < story.index("archived") < story.index(
        "Stage: Proposal → Negotiation &amp; signing") < story.index("created")
    task = session.scalars(select(Task).where(Task.deal_id == deal.id)).one()
    task_page = client.get(f"/taskview/show/{task.id}").data.decode()
    assert "archived" in task_page and "restored" in task_page


def test_a_transferred_company_shows_its_new_owner_only_what_they_may_open(
        client, login, session, make_user, make_company, make_deal, make_task, stage):
    """The history goes with the client; nothing on the card belongs to a record A can't open."""
    from datetime import timedelta

    from app.models import Company, Contact
    from app.services.queries.timeline import timeline
    from app.services.rules import followup
    from app.services.rules.visibility import can_see

    head = make_user("Head")
    boris = make_user("Manager", "boris")
    anna = make_user("Manager", "anna")
    client_company = make_company(boris, "Трансфер")
    other = make_company(boris, "Игрек")
    won = make_deal(boris, company=client_company, title="Большой контракт",
                    stage=stage("won"))
    done = make_task(boris, company=client_company, subject="Первый звонок")
    followup.finish_task(session, boris, done, followup.Outcome(
        result="Обсудили цены", next_task=followup.NextTask(
            subject="Перезвонить", due_at=local_now() + timedelta(days=2))))
    # One task left this client for Boris's other one; another came from there.
    left = make_task(boris, company=client_company, subject="Секретная задача")
    left.company = other
    came = make_task(boris, company=other, subject="Пришла со стороны")
    came.company = client_company
    session.commit()
    reassignment.reassign(session, head, None, anna, company=client_company)

    login(user=anna)
    page = client.get(f"/companyview/show/{client_company.id}").get_data(as_text=True)
    assert "Большой контракт" in page and "Обсудили цены" in page
    assert client.get(f"/dealview/show/{won.id}").status_code == 200
    assert client.get(f"/taskview/show/{done.id}").status_code == 200
    assert "Секретная задача" not in page
    assert client.get(f"/taskview/show/{left.id}").status_code == 404
    assert "Игрек" not in page  # the company the moved task came from is Boris's
    models = {"company": Company, "contact": Contact, "deal": Deal, "task": Task}
    session.expire_all()
    events = timeline(session, session.get(Company, client_company.id), {}, viewer=anna)
    assert events
    for event in events:
        assert can_see(session.get(models[event.kind], event.entity_id), anna), event

    login(user=head)
    page = client.get(f"/companyview/show/{client_company.id}").get_data(as_text=True)
    assert "Секретная задача" in page and "Игрек" in page
