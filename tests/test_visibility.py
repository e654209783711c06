"""Every route that takes a record id keeps a manager out of other managers' records.

The walk goes over the app's URL map, so a view added later falls under it without a
new test.
"""

import re

import pytest

from app.models import Company, Contact, Deal, Stage, Task

RECORD_ARGUMENT = re.compile(r"<(?:[a-z]+:)?(pk|id)>")


@pytest.fixture
def two_books(make_user, make_company, make_contact, make_deal, make_task):
    """Managers A and B, each with a company, contact, deal and task."""
    books = {}
    for username in ("anna", "boris"):
        owner = make_user("Manager", username)
        company = make_company(owner, f"Компания {username}")
        contact = make_contact(owner, f"Контакт {username}", company=company)
        deal = make_deal(owner, company=company, title=f"Сделка {username}")
        task = make_task(owner, company=company, deal=deal, subject=f"Звонок {username}")
        books[username] = {"user": owner, Company: company, Contact: contact, Deal: deal,
                           Task: task}
    return books


def _record_routes(app):
    """Yield (rule, view) for every rule with a record id whose view has a model."""
    views = {type(view).__name__: view for view in app.appbuilder.baseviews}
    for rule in app.url_map.iter_rules():
        if not RECORD_ARGUMENT.search(rule.rule):
            continue
        view = views.get(rule.endpoint.split(".")[0])
        yield rule, view


def _urls(rule, view, record_id, unknown_action: bool = True):
    """Build the URLs of a rule for a record id (one per action for action rules)."""
    arguments = {arg: record_id for arg in rule.arguments if arg in ("pk", "id")}
    if "name" in rule.arguments:
        names = list(getattr(view, "actions", {}) or [])
        if unknown_action:
            names.append("no-such-action")
        for name in names:
            yield rule.rule.replace("<string:name>", name).replace(
                "<pk>", str(record_id))
        return
    url = rule.rule
    for arg, value in arguments.items():
        url = re.sub(rf"<(?:[a-z]+:)?{arg}>", str(value), url)
    yield url


def _api_headers(client, user) -> dict:
    from tests.helpers import PASSWORD

    response = client.post("/api/v1/security/login", json={
        "username": user.username, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.data
    return {"Authorization": f"Bearer {response.json['access_token']}"}


def _request(client, method, url, headers):
    """Send a request as the logged-in user: JWT for the API, the session for screens."""
    return client.open(url, method=method, headers=headers if url.startswith("/api/") else {})


def _model(view):
    datamodel = getattr(view, "datamodel", None)
    return getattr(datamodel, "obj", None)


def test_every_record_route_hides_foreign_records(app, client, login, two_books, session):
    login(user=two_books["anna"]["user"])
    headers = _api_headers(client, two_books["anna"]["user"])
    checked = 0
    for rule, view in _record_routes(app):
        model = _model(view)
        if model not in (Company, Contact, Deal, Task):
            continue
        foreign = two_books["boris"][model]
        for url in _urls(rule, view, foreign.id):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = _request(client, method, url, headers)
                assert response.status_code == 404, f"{method} {url}: {response.status_code}"
                assert foreign.__class__.__name__ and b"boris" not in response.data
                checked += 1
        session.expire_all()
        assert not session.get(model, foreign.id).archived, f"{rule.rule} changed it"
    assert checked >= 16  # show, edit, delete and action of the four record kinds


def test_every_record_route_serves_own_records(app, client, login, two_books):
    login(user=two_books["anna"]["user"])
    headers = _api_headers(client, two_books["anna"]["user"])
    for rule, view in _record_routes(app):
        model = _model(view)
        if model not in (Company, Contact, Deal, Task) or "delete" in rule.rule:
            continue
        own = two_books["anna"][model]
        if "GET" not in rule.methods:
            continue
        for url in _urls(rule, view, own.id, unknown_action=False):
            response = _request(client, "GET", url, headers)
            assert response.status_code in (200, 302), f"GET {url}: {response.status_code}"
            if "/action/" not in url:
                assert response.status_code == 200


def test_other_record_routes_refuse_managers(app, client, login, two_books):
    login(user=two_books["anna"]["user"])
    headers = _api_headers(client, two_books["anna"]["user"])
    for rule, view in _record_routes(app):
        model = _model(view)
        if model in (Company, Contact, Deal, Task) or "GET" not in rule.methods:
            continue
        if model is Stage and rule.rule.startswith("/api/"):
            continue  # the pipeline is reference data every role reads
        for url in _urls(rule, view, two_books["boris"]["user"].id):
            response = _request(client, "GET", url, headers)
            assert response.status_code in (302, 401, 403, 404, 405), f"GET {url}"
            if response.status_code == 302:
                assert "/login" in response.location or response.location.endswith("/")


def test_anonymous_users_are_sent_to_login(app, client, two_books):
    for rule, view in _record_routes(app):
        if "GET" not in rule.methods:
            continue
        for url in _urls(rule, view, two_books["anna"][Company].id):
            response = client.get(url)
            if url.startswith("/api/"):
                assert response.status_code == 401, f"GET {url}"
                continue
            assert response.status_code in (302, 401), f"GET {url}"
            if response.status_code == 302:
                # FAB refuses its own GET actions before anything else, sending to "/",
                # which sends anonymous users to the login page in turn.
                assert "/login" in response.location or response.location == "/", url


def test_head_sees_both_managers_records(client, login, two_books):
    login("Head")
    listing = client.get("/companyview/list/")
    assert "Компания anna".encode() in listing.data
    assert "Компания boris".encode() in listing.data
    for username in ("anna", "boris"):
        assert client.get(f"/dealview/show/{two_books[username][Deal].id}").status_code == 200


def test_manager_lists_and_dropdowns_hold_own_records_only(client, login, two_books):
    login(user=two_books["anna"]["user"])
    for url in ("/companyview/list/", "/contactview/list/", "/dealview/list/",
                "/taskview/list/", "/contactview/add", "/dealview/add", "/taskview/add",
                "/companyview/list/?_flt_0_name=Компания"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert b"boris" not in page.data, url
    # The forms' company select searches as the user types, among own companies only.
    found = client.get("/lookup/company?q=Компания").get_json()["results"]
    assert [match["text"] for match in found] == ["Компания anna"]


def test_manager_cannot_link_to_foreign_company(client, login, two_books, session):
    login(user=two_books["anna"]["user"])
    response = client.post("/contactview/add", data={
        "last_name": "Чужой", "company": str(two_books["boris"][Company].id)})
    assert response.status_code == 200
    assert session.query(Contact).filter_by(last_name="Чужой").count() == 0


def test_manager_cannot_run_action_on_foreign_rows(client, login, two_books):
    login(user=two_books["anna"]["user"])
    response = client.post("/companyview/action_post", data={
        "action": "transfer", "rowid": [str(two_books["boris"][Company].id)]})
    assert response.status_code == 404


def test_record_added_from_a_company_page_belongs_to_the_company_owner(
    client, login, two_books, session
):
    boris_company = two_books["boris"][Company]
    login("Head")
    form = client.get(f"/contactview/add?_flt_0_company={boris_company.id}")
    assert form.status_code == 200
    assert f'selected value="{two_books["boris"]["user"].id}"'.encode() in form.data
    response = client.post(f"/contactview/add?_flt_0_company={boris_company.id}",
                           data={"last_name": "Новиков",
                                 "owner": str(two_books["boris"]["user"].id)})
    assert response.status_code == 302
    added = session.query(Contact).filter_by(last_name="Новиков").one()
    assert added.company_id == boris_company.id
    assert added.owner_id == two_books["boris"]["user"].id


def test_service_defaults_owner_to_the_parent_record(session, two_books, make_user):
    from datetime import timedelta

    from app.models.mixins import local_now
    from app.services.rules.records import before_save

    head = make_user("Head")
    task = Task(subject="Перезвонить", type="call", state="planned",
                due_at=local_now() + timedelta(days=30), deal=two_books["anna"][Deal])
    before_save(session, head, task, is_new=True)
    assert task.owner_id == two_books["anna"]["user"].id


def test_inactive_user_cannot_log_in(client, make_user):
    from tests.helpers import PASSWORD

    user = make_user("Manager", "left", active=False)
    client.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert client.get("/companyview/list/").status_code == 302
