"""The inbox screens: the counter, a manager's own leads, the head's all, and deciding them."""

import re

import pytest
from flask import g
from sqlalchemy import select

from app.models import Company, InboxItem, Task
from app.services.rules import intake
from app.services.rules.visibility import SYSTEM
from tests.helpers import first_call_form


def receive(session, n=1, **changes) -> InboxItem:
    data = {"name": "Ольга Ветрова", "company": "ООО Лето", "phone": f"+7 916 555-12-{n:02d}",
            "email": None, "message": "Нужна бумага"}
    data.update(changes)
    return intake.receive(session, SYSTEM, intake.Lead(**data))


def counter(page: str) -> str:
    match = re.search(r'id="counter-inbox">([^<]*)<', page)
    assert match, "no inbox counter in the menu bar"
    return match.group(1)


def test_the_menu_counts_the_managers_new_leads(client, login, session):
    manager = login("Manager")
    receive(session, 1)
    receive(session, 2)
    page = client.get("/inbox/").get_data(as_text=True)
    assert counter(page) == "2"
    assert "Входящие" in page and page.count('class="crm-inbox-item"') == 2
    assert manager.id == session.scalars(select(InboxItem.owner_id)).first()


def test_a_manager_sees_only_own_leads_and_a_foreign_one_is_404(client, login, make_user,
                                                                session):
    anna = make_user("Manager", "anna")
    mine = receive(session, 1)
    boris = make_user("Manager", "boris")
    theirs = receive(session, 2)
    assert (mine.owner_id, theirs.owner_id) == (anna.id, boris.id)
    login(user=anna)
    page = client.get("/inbox/").get_data(as_text=True)
    assert "555-12-01" in page and "555-12-02" not in page
    assert client.get(f"/inbox/{theirs.id}").status_code == 404
    assert client.post(f"/inbox/{theirs.id}/decide", data={"action": "decline",
                                                          "reason": "spam"}).status_code == 404
    assert client.get(f"/first-call/?inbox={theirs.id}").status_code == 404
    assert client.get(f"/inbox/{mine.id}").status_code == 200


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_the_head_sees_every_lead_and_reassigns(client, login, make_user, session, role):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    item = receive(session, 1)
    login(role)
    page = client.get("/inbox/").get_data(as_text=True)
    assert "555-12-01" in page and counter(page) == "1"
    answer = client.post(f"/inbox/{item.id}/decide",
                         data={"action": "reassign", "owner_id": str(boris.id)})
    assert answer.status_code == 302
    session.expire_all()
    assert session.get(InboxItem, item.id).owner_id == boris.id != anna.id


def test_a_foreign_client_is_named_only_by_its_manager(client, login, make_user, make_company,
                                                       session):
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    make_company(boris, "Секретная ООО", email="olga@leto.example")
    item = receive(session, 1, email="olga@leto.example")
    item.owner_id = anna.id
    session.commit()
    login(user=anna)
    page = client.get(f"/inbox/{item.id}").get_data(as_text=True)
    assert "ведёт Boris Test" in page and "Секретная" not in page


def test_accepting_from_the_first_call_screen(client, login, session):
    manager = login("Manager")
    item = receive(session, 1, email="olga@leto.example")
    page = client.get(f"/first-call/?inbox={item.id}").get_data(as_text=True)
    assert 'value="ООО Лето"' in page and 'value="Ветрова"' in page
    answer = client.post(f"/first-call/?inbox={item.id}", data=first_call_form(
        client_name="ООО Лето", client_inn="", client_phone="+7 916 555-12-01"))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    session.expire_all()
    item = session.get(InboxItem, item.id)
    company = session.scalars(select(Company)).one()
    assert (item.state, item.company_id, company.owner_id) == ("accepted", company.id,
                                                               manager.id)
    states = sorted(t.state for t in session.scalars(select(Task).where(
        Task.company_id == company.id)))
    assert states == ["done", "planned"]
    # The tests share one app context, so the counters of an earlier request are kept.
    g.pop("crm_counters", None)
    assert counter(client.get("/inbox/").get_data(as_text=True)) == "0"


def test_completing_the_answer_task_from_my_day_opens_the_lead(client, login, session):
    login("Manager")
    item = receive(session, 1)
    task = session.scalars(select(Task).where(Task.inbox_item_id == item.id)).one()
    answer = client.get(f"/taskview/complete/{task.id}")
    assert answer.status_code == 302 and answer.headers["Location"].endswith(
        f"/inbox/{item.id}")


def test_declining_on_the_screen_needs_a_reason_for_other(client, login, session):
    login("Manager")
    item = receive(session, 1)
    refused = client.post(f"/inbox/{item.id}/decide", data={"action": "decline",
                                                           "reason": "other"})
    assert refused.status_code == 422
    assert "напишите, почему" in refused.get_data(as_text=True)
    done = client.post(f"/inbox/{item.id}/decide", data={"action": "decline",
                                                        "reason": "spam"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(InboxItem, item.id).state == "declined"


def test_linking_on_the_screen(client, login, session, make_company, make_task):
    manager = login("Manager")
    company = make_company(manager, "ООО Лето", phone="+7 916 555-12-01")
    make_task(manager, company=company)
    item = receive(session, 1)
    page = client.get(f"/inbox/{item.id}").get_data(as_text=True)
    assert "Привязать к клиенту ООО Лето" in page
    due = re.search(r'name="next_due_at"[^>]*value="([^"]+)"', page).group(1)
    answer = client.post(f"/inbox/{item.id}/decide", data={
        "action": "link", "client_type": "company", "client_id": str(company.id),
        "next_type": "call", "next_subject": "Ответить", "next_due_at": due})
    assert answer.status_code == 302
    assert answer.headers["Location"].endswith(f"/companyview/show/{company.id}")


def test_english_inbox(client, login, session):
    login("Manager")
    receive(session, 1)
    page = client.get("/inbox/?_l_=en").get_data(as_text=True)
    assert "Inbox" in page and "Website form" in page and "no known client" in page


def test_the_list_runs_as_many_statements_for_50_leads_as_for_5(client, login, session,
                                                                 statements):
    login("Head")
    for n in range(5):
        receive(session, n)
    client.get("/inbox/")
    with statements() as few:
        assert client.get("/inbox/").status_code == 200
    for n in range(5, 50):
        receive(session, n)
    client.get("/inbox/")
    with statements() as many:
        assert client.get("/inbox/").status_code == 200
    assert len(many) == len(few)


def test_the_admin_switches_who_takes_new_leads(client, login, make_user, session):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    login("Admin")
    answer = client.post("/users/action_post", data={"action": "crm_leads_off",
                                                     "rowid": [str(anna.id)]})
    assert answer.status_code == 302
    assert receive(session, 1).owner_id == boris.id
    assert receive(session, 2).owner_id == boris.id
    page = client.get("/users/list/").get_data(as_text=True)
    assert "Получает новые заявки" in page


def test_the_answer_task_shows_in_my_day_and_the_calendar_feed(client, login, session):
    from app.models.mixins import local_now
    from app.services.io.calendar_feed import feed_tasks

    manager = login("Manager")
    item = receive(session, 1)
    page = client.get("/").get_data(as_text=True)
    assert "Ответить на заявку: Ольга Ветрова" in page
    assert f'href="/inbox/{item.id}"' in page
    assert [task.inbox_item_id for task in feed_tasks(session, manager, local_now())] == [item.id]
