"""No silent overwrite: the second of two people saving the same record is refused."""

import re
from decimal import Decimal

import pytest
from flask import g
from sqlalchemy import insert, text

from app.extensions import db
from app.models import Deal, HistoryEntry, Task
from app.models.mixins import local_now
from app.services.rules import records
from tests.helpers import PASSWORD, api_login

DUE = "2030-01-15 10:00:00"


class Browser:
    """A test client whose requests do not inherit the logged-in user of another one.

    The tests run inside one app context, whose `g` caches the user of the last request;
    in production every request has its own.
    """

    def __init__(self, client) -> None:
        self.client = client

    def get(self, *args, **kwargs):
        g.pop("_login_user", None)
        return self.client.get(*args, **kwargs)

    def post(self, *args, **kwargs):
        g.pop("_login_user", None)
        return self.client.post(*args, **kwargs)


@pytest.fixture
def second_client(app):
    """Another browser: log it in with `second_client(user)`."""

    def build(user):
        other = Browser(app.test_client())
        response = other.post("/login/", data={"username": user.username,
                                               "password": PASSWORD})
        assert response.status_code == 302
        return other

    return build


@pytest.fixture
def deal(make_user, make_company, make_deal, make_task, stage):
    manager = make_user("Manager", "anna")
    company = make_company(manager, "Вектор")
    record = make_deal(manager, company=company, title="Станки", stage=stage("proposal"),
                       amount=Decimal("1000.00"))
    make_task(manager, company=company, deal=record)
    return record


def _version_in(page: str) -> str:
    match = re.search(r'name="version_seen"[^>]*value="(\d+)"', page) or re.search(
        r'value="(\d+)"[^>]*name="version_seen"', page)
    assert match, "the edit form carries no version"
    return match.group(1)


def _form(deal, version: str, **fields) -> dict:
    form = {"title": deal.title, "company": str(deal.company_id), "stage": str(deal.stage_id),
            "currency": "RUB", "amount": "1000.00", "owner": str(deal.owner_id),
            "version_seen": version}
    form.update(fields)
    return form


def test_the_second_save_is_refused_with_what_changed(client, login, second_client, session,
                                                      deal, stage, make_user):
    anna = login(user=deal.owner)
    client = Browser(client)
    boris = second_client(make_user("Head", "boris"))
    url = f"/dealview/edit/{deal.id}"
    seen_by_anna = _version_in(client.get(url).data.decode())
    seen_by_boris = _version_in(boris.get(url).data.decode())
    assert seen_by_anna == seen_by_boris == str(deal.version)

    first = boris.post(url, data=_form(deal, seen_by_boris,
                                       stage=str(stage("negotiation").id)))
    assert first.status_code == 302

    second = client.post(f"{url}?_l_=en", data=_form(deal, seen_by_anna, amount="2500.00",
                                                     title="Станки ЧПУ"))
    page = second.data.decode()
    assert second.status_code == 200
    assert "changed this record while you were editing it" in page
    assert "Stage: Negotiation &amp; signing" in page and "Boris" in page
    assert 'value="2500.00"' in page and "Станки ЧПУ" in page  # what Anna typed is kept
    session.expire_all()
    stored = session.get(Deal, deal.id)
    assert _version_in(page) == str(stored.version) == str(int(seen_by_anna) + 1)
    assert stored.stage_id == stage("negotiation").id  # the first save is kept
    assert stored.amount == Decimal("1000.00") and stored.title == "Станки"

    # Having seen the message, Anna saves again: now based on the stored version.
    again = client.post(url, data=_form(stored, _version_in(page), amount="2500.00",
                                        owner=str(anna.id)))
    assert again.status_code == 302
    session.expire_all()
    stored = session.get(Deal, deal.id)
    assert stored.amount == Decimal("2500.00")
    assert stored.stage_id == stage("negotiation").id


def test_a_change_between_the_check_and_the_write_is_refused_the_same_way(
        client, login, session, deal, monkeypatch):
    login(user=deal.owner)
    url = f"/dealview/edit/{deal.id}"
    seen = _version_in(client.get(url).data.decode())
    original = records.before_save

    def someone_saves_meanwhile(session_, actor, record, is_new):
        original(session_, actor, record, is_new)
        with db.engine.begin() as other:
            other.execute(text("UPDATE deal SET title = 'Станки-2', version = version + 1 "
                               "WHERE id = :id"), {"id": deal.id})
            other.execute(insert(HistoryEntry.__table__), [{
                "at": local_now(), "actor_id": deal.owner_id, "entity": "deal",
                "entity_id": deal.id, "action": "changed", "deal_id": deal.id,
                "company_id": deal.company_id,
                "changes": [{"field": "title", "old": "Станки", "new": "Станки-2"}]}])

    monkeypatch.setattr(records, "before_save", someone_saves_meanwhile)
    response = client.post(f"{url}?_l_=en", data=_form(deal, seen, amount="3000.00"))
    page = response.data.decode()
    assert response.status_code == 200
    assert "changed this record while you were editing it: Title: Станки-2" in page
    session.expire_all()
    stored = session.get(Deal, deal.id)
    assert stored.title == "Станки-2" and stored.amount == Decimal("1000.00")


def test_the_api_answers_409_with_what_changed(client, session, deal, stage, make_user):
    anna = api_login(client, deal.owner)
    url = f"/api/v1/deal/{deal.id}"
    version = client.get(url, headers=anna).json["result"]["version"]
    boris = api_login(client, make_user("Head", "boris"))
    first = client.put(url, headers=boris, json={"stage_id": stage("negotiation").id,
                                                 "version": version})
    assert first.status_code == 200, first.json
    second = client.put(f"{url}?_l_=en", headers=anna,
                        json={"amount": "99.00", "version": version})
    assert second.status_code == 409
    (message,) = second.json["message"]["version"]
    assert "Stage: Negotiation & signing" in message
    third = client.put(url, headers={**anna, "If-Match": f'"{version}"'},
                       json={"amount": "99.00"})
    assert third.status_code == 409
    session.expire_all()
    assert session.get(Deal, deal.id).amount == Decimal("1000.00")
    current = client.get(url, headers=anna).json["result"]["version"]
    assert client.put(url, headers={**anna, "If-Match": f'W/"{current}"'},
                      json={"amount": "99.00"}).status_code == 200


def test_the_complete_dialog_refuses_a_task_changed_meanwhile(client, login, session, deal):
    login(user=deal.owner)
    task = session.query(Task).filter_by(deal_id=deal.id).one()
    url = f"/taskview/complete/{task.id}"
    page = client.get(url).data.decode()
    seen = _version_in(page)
    task.subject = "Позвонить и обсудить КП"
    session.commit()
    response = client.post(f"{url}?_l_=en", data={
        "outcome": "done", "result": "Обсудили", "next_type": "call",
        "next_subject": "Ещё звонок", "next_due_at": DUE, "version_seen": seen})
    assert response.status_code == 200
    assert "Subject: Позвонить и обсудить КП" in response.data.decode()
    session.expire_all()
    assert session.get(Task, task.id).state == "planned"
