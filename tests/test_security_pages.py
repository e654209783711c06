"""What the pages send back: security headers with a script nonce, names that are always
shown as text, and errors that never show a traceback or SQL."""

import csv
import io
import re
from datetime import timedelta

import pytest
from flask import g
from openpyxl import load_workbook
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app import create_app
from app.data.datamodel import ScopedInterface
from app.extensions import db
from app.models import Company, Contact, Deal, Task
from app.models.mixins import local_now
from app.services.queries import agenda
from config import ProductionConfig
from tests.helpers import PASSWORD, csrf_token

PAYLOAD = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
DUE = "2030-01-15 10:00:00"
REPORTS = ("/reports/funnel/", "/reports/won-lost/", "/reports/tasks/",
           "/reports/no-next-task/", "/reports/new-clients/", "/reports/speed-to-lead/")


# --- headers and the script nonce --------------------------------------------------------


def _policy(response) -> dict[str, list[str]]:
    header = response.headers["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


@pytest.fixture
def book(login, make_company, make_contact, make_deal, make_task):
    """A manager logged in with a company, its contact person, a deal and a task."""
    manager = login("Manager", "anna")
    company = make_company(manager, "Вектор")
    contact = make_contact(manager, "Петров", company=company)
    deal = make_deal(manager, company=company)
    task = make_task(manager, company=company, deal=deal,
                     due_at=local_now() - timedelta(hours=1))
    return {"manager": manager, "company": company, "contact": contact, "deal": deal,
            "task": task}


def _html_pages(book) -> list[str]:
    return ["/", "/companyview/list/", f"/companyview/show/{book['company'].id}",
            "/companyview/add", f"/dealview/edit/{book['deal'].id}",
            f"/taskview/complete/{book['task'].id}", "/pipeline/", "/queue/",
            "/reports/funnel/", "/reports/tasks/"]


def test_html_pages_allow_only_their_own_origin(app, client, book):
    for url in _html_pages(book):
        g.pop("_login_user", None)
        response = client.get(url)
        assert response.status_code == 200, url
        policy = _policy(response)
        assert policy["default-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"] and policy["frame-ancestors"] == ["'none'"]
        for name, values in policy.items():
            for value in values:
                # No other host, no wildcard, no inline code without the nonce.
                assert value in ("'self'", "'none'", "data:") or value.startswith("'nonce-") \
                    or (name == "style-src-attr" and value == "'unsafe-inline'"), (url, name)
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["Referrer-Policy"] == "same-origin"
        assert "Strict-Transport-Security" not in response.headers  # production only
    g.pop("_login_user", None)
    login_page = app.test_client().get("/login/")
    assert login_page.status_code == 200
    assert _policy(login_page)["default-src"] == ["'self'"]
    assert login_page.headers["X-Frame-Options"] == "DENY"


def test_every_script_comes_from_the_site_or_carries_the_nonce(client, book):
    nonces = set()
    for url in _html_pages(book):
        g.pop("_login_user", None)
        response = client.get(url)
        (nonce,) = {value[len("'nonce-"):-1] for value in _policy(response)["script-src"]
                    if value.startswith("'nonce-")}
        nonces.add(nonce)
        page = response.get_data(as_text=True)
        scripts = re.findall(r"<script\b([^>]*)>(.*?)</script>", page, flags=re.S)
        assert scripts, url
        for attributes, body in scripts:
            src = re.search(r'\bsrc="([^"]*)"', attributes)
            if src:
                assert src.group(1).startswith("/") and not src.group(1).startswith("//"), (
                    url, src.group(1))
            else:
                assert body.strip(), (url, attributes)
                assert f'nonce="{nonce}"' in attributes, (url, attributes, body[:80])
        for attributes in re.findall(r"<style\b([^>]*)>", page):
            assert f'nonce="{nonce}"' in attributes, (url, attributes)
        # No inline event handlers either: the policy would block them.
        assert not re.search(r"<[^>]+\son(click|load|error|change|submit)=", page), url
    assert len(nonces) == len(_html_pages(book))  # a new nonce for every response


def test_json_and_files_are_not_sniffed(client, book):
    response = client.get("/lookup/company?q=Век")
    assert response.mimetype == "application/json"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


# --- names shown as text everywhere ------------------------------------------------------


@pytest.fixture
def hostile(client, login, session, make_contact, stage):
    """A company, contact person, deal and tasks all named like a script, made on screens."""
    manager = login("Manager", "anna")
    manager.first_name = PAYLOAD
    session.commit()
    answer = client.post("/companyview/add", data={
        "name": PAYLOAD, "status": "active", "next_type": "call", "next_subject": PAYLOAD,
        "next_due_at": DUE})
    assert answer.status_code == 302
    company = session.scalars(select(Company).filter_by(name=PAYLOAD)).one()
    contact = make_contact(manager, PAYLOAD, company=company, first_name=PAYLOAD)
    answer = client.post("/dealview/add", data={
        "title": "Сделка", "company": str(company.id), "contact": str(contact.id),
        "stage": str(stage("cold").id), "currency": "RUB", "amount": "100",
        "next_type": "call", "next_subject": PAYLOAD, "next_due_at": DUE})
    assert answer.status_code == 302
    deal = session.scalars(select(Deal).filter_by(title="Сделка")).one()
    # Renamed afterwards, so the timeline tells the change from and to the name.
    version = str(deal.version)
    g.pop("_login_user", None)
    answer = client.post(f"/dealview/edit/{deal.id}", data={
        "title": PAYLOAD, "company": str(company.id), "contact": str(contact.id),
        "stage": str(stage("proposal").id), "currency": "RUB", "amount": "100",
        "owner": str(manager.id), "version_seen": version})
    assert answer.status_code == 302
    # One task due already (My day), and a client with no task at all (the queue).
    task = session.scalars(select(Task).filter_by(deal_id=deal.id)).first()
    task.due_at = local_now() - timedelta(hours=1)
    lonely = Company(name=PAYLOAD + " 2", owner_id=manager.id, status="active")
    session.add(lonely)
    session.commit()
    return {"manager": manager, "company": company, "contact": contact, "deal": deal,
            "task": task}


def _showing_the_name(hostile) -> list[str]:
    return [
        "/", "/queue/", "/pipeline/", "/companyview/list/", "/contactview/list/",
        "/dealview/list/", "/taskview/list/",
        f"/companyview/show/{hostile['company'].id}",
        f"/contactview/show/{hostile['contact'].id}",
        f"/dealview/show/{hostile['deal'].id}",
        f"/taskview/show/{hostile['task'].id}",
        f"/companyview/edit/{hostile['company'].id}",
        f"/dealview/edit/{hostile['deal'].id}",
        f"/taskview/edit/{hostile['task'].id}",
        f"/taskview/complete/{hostile['task'].id}",
        "/reports/tasks/", "/reports/no-next-task/",
    ]


def test_names_are_escaped_on_every_screen(client, hostile):
    for url in _showing_the_name(hostile):
        g.pop("_login_user", None)
        response = client.get(url)
        page = response.get_data(as_text=True)
        assert response.status_code == 200, url
        assert PAYLOAD not in page, url
        assert ESCAPED in page, url


def test_no_report_lets_a_name_through(client, hostile):
    for url in REPORTS:
        g.pop("_login_user", None)
        response = client.get(url)
        assert response.status_code == 200, url
        assert PAYLOAD not in response.get_data(as_text=True), url
        assert "<script>alert" not in response.get_data(as_text=True), url


def test_the_timeline_tells_the_rename_as_text(client, hostile):
    page = client.get(f"/dealview/show/{hostile['deal'].id}").get_data(as_text=True)
    assert "Сделка" in page and ESCAPED in page
    assert PAYLOAD not in page


def test_lookup_answers_the_name_as_json_text(client, hostile):
    for kind, term in (("company", "script"), ("contact", "script"), ("deal", "script")):
        response = client.get(f"/lookup/{kind}", query_string={"q": term})
        assert response.status_code == 200 and response.mimetype == "application/json"
        texts = [match["text"] for match in response.get_json()["results"]]
        assert texts and all(PAYLOAD in text for text in texts), kind


@pytest.mark.parametrize(("view", "model"), [
    ("companyview", Company), ("contactview", Contact), ("dealview", Deal), ("taskview", Task)])
def test_exports_keep_the_name_as_text(client, hostile, view, model):
    response = client.get(f"/{view}/export/csv")
    assert response.status_code == 200
    body = response.get_data().decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(body), delimiter=";") for cell in row]
    assert PAYLOAD in cells or PAYLOAD + " 2" in cells
    assert ESCAPED not in body
    g.pop("_login_user", None)
    sheet = load_workbook(io.BytesIO(client.get(f"/{view}/export/xlsx").data)).active
    values = [value for row in sheet.iter_rows(values_only=True) for value in row]
    assert PAYLOAD in values or PAYLOAD + " 2" in values


# --- errors ------------------------------------------------------------------------------


@pytest.fixture
def production_client(monkeypatch, database_url, make_user):
    """A logged-in browser on the CRM configured for production (HTTPS)."""
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret-for-tests")
    monkeypatch.setenv("DATABASE_URL", database_url)
    config = ProductionConfig()
    config.LOG_FORMAT = "text"
    application = create_app(config)
    user = make_user("Manager", "anna")
    client = application.test_client()
    https = {"base_url": "https://crm.example",
             "headers": {"Referer": "https://crm.example/login/"}}
    token = csrf_token(client.get("/login/", **https).get_data(as_text=True))
    answer = client.post("/login/", data={"username": user.username, "password": PASSWORD,
                                          "csrf_token": token}, **https)
    assert answer.status_code == 302 and "/login" not in answer.location
    yield client, https
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_crash_in_production_shows_the_translated_page_without_details(
        production_client, monkeypatch):
    client, https = production_client

    def crash(*_args, **_kwargs):
        raise RuntimeError("SELECT password FROM ab_user -- internal detail")

    monkeypatch.setattr(agenda, "my_tasks", crash)
    response = client.get("/", **https)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Что-то пошло не так" in page
    assert "Traceback" not in page and "internal detail" not in page
    assert "RuntimeError" not in page and "SELECT" not in page


def test_an_unknown_page_in_production_is_the_translated_404(production_client):
    client, https = production_client
    response = client.get("/no-such-page", **https)
    assert response.status_code == 404
    assert "Такой страницы нет" in response.get_data(as_text=True)


def test_a_database_error_on_save_is_told_without_the_sql(client, login, session, monkeypatch):
    login("Manager")

    def refuse(self, item, raise_exception=False):
        raise IntegrityError(
            "INSERT INTO company (name, inn) VALUES (%(name)s, %(inn)s)",
            {"name": "ООО Дубль", "inn": "7700000000"},
            Exception('duplicate key value violates unique constraint "uq_company_inn"'))

    monkeypatch.setattr(ScopedInterface, "add", refuse)
    response = client.post("/companyview/add", data={
        "name": "ООО Дубль", "status": "active", "next_type": "call",
        "next_subject": "Звонок", "next_due_at": DUE})
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Не удалось сохранить запись" in page
    for leak in ("INSERT INTO", "uq_company_inn", "duplicate key", "7700000000'", "%(name)s"):
        assert leak not in page, leak
    session.expire_all()
    assert session.scalars(select(Company).filter_by(name="ООО Дубль")).first() is None
