"""Every entry point writes a record through the one door of app/services/rules/saving.py.

The door is made to refuse; each entry point must then report that very refusal and
write nothing. An entry point that kept its own copy of the rules would save anyway.
"""


import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from app.models import Company, Deal, Task
from app.services.errors import DomainError, ValidationError
from app.services.io import importer
from app.services.rules import saving
from tests.helpers import api_login

REFUSAL = "The one door refuses this save."
DUE = "2030-01-15 10:00:00"


@pytest.fixture
def door_refuses(monkeypatch):
    """Make the one write door refuse every save and archive, counting the calls."""
    calls = []

    def refuse(session, actor, record, **kwargs):
        calls.append(type(record).__name__)
        raise ValidationError(REFUSAL, "name")

    monkeypatch.setattr(saving, "save_record", refuse)
    monkeypatch.setattr(saving, "archive_record",
                        lambda session, actor, record: refuse(session, actor, record))
    return calls


def _companies(session) -> int:
    return session.scalar(select(func.count()).select_from(Company))


def test_the_form_reports_the_refusal(client, login, session, door_refuses):
    login()
    response = client.post("/companyview/add", data={
        "name": "Через форму", "status": "potential", "next_type": "call",
        "next_subject": "Первый звонок", "next_due_at": DUE})
    assert response.status_code == 200 and REFUSAL in response.get_data(as_text=True)
    assert door_refuses == ["Company"] and _companies(session) == 0


def test_the_edit_form_reports_the_refusal(client, login, session, make_company, door_refuses):
    user = login()
    company = make_company(user, "Старое имя")
    response = client.post(f"/companyview/edit/{company.id}",
                           data={"name": "Новое имя", "version_seen": company.version})
    assert response.status_code == 200 and REFUSAL in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Company, company.id).name == "Старое имя"
    assert door_refuses == ["Company"]


def test_the_api_reports_the_refusal(client, make_user, session, door_refuses):
    headers = api_login(client, make_user("Manager", "anna"))
    response = client.post("/api/v1/company/", headers=headers, json={
        "name": "Через API", "status": "potential",
        "next_task": {"type": "call", "subject": "Звонок", "due_at": "2030-01-15T10:00:00"}})
    assert response.status_code == 422
    assert response.json["message"] == {"name": [REFUSAL]}
    assert door_refuses == ["Company"] and _companies(session) == 0


def test_archiving_from_the_screen_and_the_api_reports_the_refusal(
        client, login, make_user, make_company, make_task, session, door_refuses):
    anna = make_user("Manager", "anna")
    company = make_company(anna, "Альфа")
    task = make_task(anna, company=company)
    headers = api_login(client, anna)
    response = client.delete(f"/api/v1/task/{task.id}", headers=headers)
    assert response.status_code == 422 and response.json["message"] == {"name": [REFUSAL]}
    login(user=anna)
    page = client.post(f"/companyview/delete/{company.id}", follow_redirects=True)
    assert REFUSAL in page.get_data(as_text=True)
    session.expire_all()
    assert not session.get(Company, company.id).archived
    assert not session.get(Task, task.id).archived
    assert door_refuses == ["Task", "Company"]


def test_the_board_reports_the_refusal(client, login, session, make_company, make_deal,
                                       make_task, stage, door_refuses):
    user = login()
    company = make_company(user, "Альфа")
    deal = make_deal(user, company=company)
    make_task(user, deal=deal, company=company)
    response = client.post(f"/pipeline/move/{deal.id}", follow_redirects=True,
                           data={"stage_id": stage("needs").id, "version": deal.version})
    assert REFUSAL in response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Deal, deal.id).stage.code == "cold"
    assert door_refuses == ["Deal"]


def test_the_import_reports_the_refusal(app, session, make_user, door_refuses):
    anna = make_user("Manager", "anna")
    table = importer.read_table(b"name;status\nOne;potential\n",
                                "clients.csv")
    mapping = importer.auto_mapping("company", table.headers, anna)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DomainError, match=f"Nothing was imported: {REFUSAL}"):
            importer.run(session, anna, "company", table, mapping)
    assert door_refuses == ["Company"] and _companies(session) == 0
