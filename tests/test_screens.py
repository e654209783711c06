"""Every screen answers for every role, shows each role what it may see, and stays as fast
with many rows as with few (no query per row)."""

import re
from datetime import timedelta

import pytest

from app.extensions import db
from app.models import Company, Contact, Deal, Task
from app.models.mixins import local_now
from tests.helpers import count_statements

ROLES = ("Admin", "Head", "Manager")
RECORD_VIEWS = ("companyview", "contactview", "dealview", "taskview")


@pytest.fixture
def own_book(make_company, make_contact, make_deal, make_task):
    """A company with a contact person, a deal and a task, all owned by `owner`."""

    def build(owner, suffix: str = ""):
        company = make_company(owner, f"ООО Ромашка{suffix}")
        contact = make_contact(owner, f"Петрова{suffix}", company=company, first_name="Анна")
        deal = make_deal(owner, company=company, contact=contact,
                         title=f"Поставка бумаги{suffix}")
        task = make_task(owner, company=company, contact=contact, deal=deal,
                         subject=f"Позвонить о договоре{suffix}")
        return {"companyview": company.id, "contactview": contact.id, "dealview": deal.id,
                "taskview": task.id}

    return build


# --- every screen, every role -------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_every_record_screen_opens_for_every_role(client, login, own_book, role):
    user = login(role)
    ids = own_book(user)
    for view in RECORD_VIEWS:
        for url in (f"/{view}/list/", f"/{view}/add", f"/{view}/show/{ids[view]}",
                    f"/{view}/edit/{ids[view]}"):
            response = client.get(url)
            assert response.status_code == 200, url


@pytest.mark.parametrize("role", ROLES)
def test_the_home_page_opens_for_every_role(client, login, role):
    login(role)
    assert client.get("/").status_code == 200


def test_the_stage_screens_are_for_the_admin(client, login):
    login("Admin")
    assert client.get("/stageview/list/").status_code == 200
    assert client.get("/stageview/add").status_code == 200


@pytest.mark.parametrize("role", ["Head", "Manager"])
def test_the_stage_screens_are_closed_to_sales_roles(client, login, role, stage):
    """FAB answers a logged-in user without the permission with 403, not a redirect."""
    login(role)
    cold = stage("cold")
    for url in ("/stageview/list/", "/stageview/add", f"/stageview/edit/{cold.id}"):
        assert client.get(url).status_code == 403, url
    response = client.post(f"/stageview/edit/{cold.id}", data={
        "name": "Холодный", "position": "1", "kind": "open", "probability": "1"})
    assert response.status_code == 403


@pytest.mark.parametrize(
    "url",
    ["/companyview/list/", "/contactview/add", "/dealview/list/", "/taskview/list/",
     "/stageview/list/", "/companyview/show/1"],
)
def test_anonymous_visitors_are_sent_to_the_login_page(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")


# --- what a company page shows --------------------------------------------------------------


def test_the_company_page_lists_its_contacts_deals_and_tasks(
    client, login, make_company, make_contact, make_deal, make_task
):
    manager = login("Manager")
    company = make_company(manager, "ООО Ромашка")
    other = make_company(manager, "ООО Василёк")
    contact = make_contact(manager, "Петрова", company=company, first_name="Анна")
    deal = make_deal(manager, company=company, contact=contact, title="Поставка бумаги")
    make_task(manager, company=company, deal=deal, subject="Отправить коммерческое предложение")
    make_contact(manager, "Сидоров", company=other)
    make_deal(manager, company=other, title="Ремонт офиса")
    make_task(manager, company=other, subject="Поздравить с праздником")

    page = client.get(f"/companyview/show/{company.id}").get_data(as_text=True)
    assert "ООО Ромашка" in page
    assert "Петрова" in page
    assert "Поставка бумаги" in page
    assert "Отправить коммерческое предложение" in page
    # Only this company's records: the other company's are not listed.
    assert "Сидоров" not in page
    assert "Ремонт офиса" not in page
    assert "Поздравить с праздником" not in page


# --- who sees what ------------------------------------------------------------------------


def test_a_manager_sees_only_his_companies(client, login, make_user, make_company):
    anna = make_user("Manager", "anna")
    foreign = make_company(anna, "ООО Чужая").id
    boris = login("Manager", "boris")
    mine = make_company(boris, "ООО Своя").id

    page = client.get("/companyview/list/").get_data(as_text=True)
    assert "ООО Своя" in page
    assert "ООО Чужая" not in page
    assert client.get(f"/companyview/show/{mine}").status_code == 200
    for url in (f"/companyview/show/{foreign}", f"/companyview/edit/{foreign}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "ООО Чужая" not in response.get_data(as_text=True)
    response = client.post(f"/companyview/edit/{foreign}",
                           data={"name": "ООО Захвачена", "status": "active"})
    assert response.status_code == 404


def test_the_head_sees_every_managers_companies(client, login, make_user, make_company):
    anna = make_company(make_user("Manager", "anna"), "ООО Аннина").id
    boris = make_company(make_user("Manager", "boris"), "ООО Борисова").id
    login("Head")
    page = client.get("/companyview/list/").get_data(as_text=True)
    assert "ООО Аннина" in page and "ООО Борисова" in page
    for company_id in (anna, boris):
        assert client.get(f"/companyview/show/{company_id}").status_code == 200
        assert client.get(f"/companyview/edit/{company_id}").status_code == 200


# --- who chooses the owner ----------------------------------------------------------------


def test_the_owner_field_is_offered_to_the_head_only(client, login, make_user):
    colleague = make_user("Manager", "anna")
    make_user("Manager", "gone", active=False)
    login("Manager")
    page = client.get("/companyview/add").get_data(as_text=True)
    assert 'name="owner"' not in page
    assert "Test Anna" not in page
    head = login("Head")
    page = client.get("/companyview/add").get_data(as_text=True)
    owner_select = re.search(r'<select[^>]*name="owner".*?</select>', page, re.S).group(0)
    assert f'<option value="{colleague.id}">Test Anna</option>' in owner_select
    assert f'<option selected value="{head.id}">' in owner_select  # the author by default
    assert "Test Gone" not in owner_select  # inactive users cannot own records


def test_a_manager_cannot_choose_another_owner_by_posting_one(
    client, login, make_user, session
):
    colleague = make_user("Manager", "anna")
    manager = login("Manager", "boris")
    response = client.post("/companyview/add", data={
        "name": "ООО Ромашка", "status": "potential", "owner": str(colleague.id),
    })
    assert response.status_code == 302
    session.expire_all()
    assert session.query(Company).one().owner_id == manager.id


def test_the_head_assigns_a_new_company_to_a_manager(client, login, make_user, session):
    manager = make_user("Manager", "anna")
    login("Head")
    response = client.post("/companyview/add", data={
        "name": "ООО Ромашка", "status": "potential", "owner": str(manager.id),
    })
    assert response.status_code == 302
    session.expire_all()
    assert session.query(Company).one().owner_id == manager.id


# --- no query per row ---------------------------------------------------------------------


def _fill(session, owners, start: int, count: int, stage) -> None:
    """Add `count` companies, each with its own contact, deal and task, owners in turn."""
    due = local_now() + timedelta(days=1)
    for number in range(start, start + count):
        owner = owners[number % len(owners)]
        company = Company(name=f"Компания {number:03}", owner_id=owner.id, status="active")
        contact = Contact(last_name=f"Контакт {number:03}", company=company,
                          owner_id=owner.id)
        deal = Deal(title=f"Сделка {number:03}", company=company, contact=contact,
                    stage=stage, owner_id=owner.id)
        task = Task(subject=f"Звонок {number:03}", company=company, contact=contact,
                    deal=deal, due_at=due + timedelta(minutes=number), type="call",
                    state="planned", owner_id=owner.id)
        session.add_all([company, contact, deal, task])
    session.commit()


def _statements(client, session, url: str) -> int:
    """Count the SQL statements one page load runs, with nothing cached from before."""
    client.get(url)  # first load fills FAB's caches of its own
    session.remove()
    with count_statements(db.engine) as seen:
        response = client.get(url)
    assert response.status_code == 200
    return len(seen)


@pytest.mark.parametrize("role", ["Head", "Manager"])
def test_lists_run_as_many_queries_for_30_rows_as_for_5(
    client, login, make_user, session, stage, role
):
    user = login(role)
    owners = [user] if role == "Manager" else [make_user("Manager") for _ in range(5)]
    owner_ids = [owner.id for owner in owners]
    cold = stage("cold")
    _fill(session, owners, 0, 5, cold)
    urls = [f"/{view}/list/" for view in RECORD_VIEWS]
    few = {url: _statements(client, session, url) for url in urls}

    owners = [session.get(type(user), owner_id) for owner_id in owner_ids]
    _fill(session, owners, 5, 25, stage("cold"))
    many = {url: _statements(client, session, url) for url in urls}
    assert many == few
    page = client.get("/taskview/list/").get_data(as_text=True)
    assert page.count("Звонок 0") == 25  # a full page of rows was really shown


def test_not_found_page_is_in_the_apps_layout_and_language(client, login):
    login("Manager")
    response = client.get("/companyview/show/999999")
    assert response.status_code == 404
    page = response.get_data(as_text=True)
    assert 'id="error-page"' in page and "Не найдено" in page
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.is_json
