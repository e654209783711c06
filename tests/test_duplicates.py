"""No client twice: the same INN, phone or e-mail is refused until "save anyway"; similar
names are suggested; a manager learns only whose client a foreign match is."""

import pytest

from app.models import Company, Contact
from app.services.rules import duplicates, saving
from app.services.rules.duplicates import DuplicateFound
from tests.helpers import NEXT_TASK, api_login, count

INN = "7707083893"


def _new_company(**fields) -> Company:
    return Company(name=fields.pop("name", "ООО Вектор"), status="potential", **fields)


def _save(session, actor, record, allow=False):
    saving.save_record(session, actor, record, is_new=record.id is None, next_task=None,
                       require_cover=False, allow_duplicate=allow)
    session.add(record)
    session.commit()


# --- the rule -----------------------------------------------------------------------------


@pytest.mark.parametrize(("stored", "typed", "reason"), [
    ({"inn": INN}, {"inn": INN}, "inn"),
    ({"phone": "+7 495 123-45-67"}, {"phone": "8 (495) 1234567"}, "phone"),
    ({"email": "Info@Vektor.example"}, {"email": "info@vektor.EXAMPLE"}, "email"),
])
def test_a_company_with_anothers_inn_phone_or_email_is_refused(session, make_user, make_company,
                                                                  stored, typed, reason):
    owner = make_user("Manager")
    make_company(owner, name="ООО Ромашка", **stored)
    with pytest.raises(DuplicateFound) as refused:
        _save(session, owner, _new_company(**typed))
    session.rollback()
    [match] = refused.value.matches
    assert match.reasons == [reason] and match.visible and match.record.name == "ООО Ромашка"
    assert count(session, Company) == 1


def test_save_anyway_keeps_both(session, make_user, make_company):
    owner = make_user("Manager")
    make_company(owner, inn=INN)
    _save(session, owner, _new_company(inn=INN), allow=True)
    assert count(session, Company) == 2


def test_archived_records_and_the_record_itself_do_not_count(session, make_user, make_company):
    owner = make_user("Manager")
    make_company(owner, name="Старая", inn=INN, archived=True)
    _save(session, owner, _new_company(inn=INN))
    company = session.query(Company).filter_by(archived=False).one()
    company.notes = "без изменений ИНН"
    _save(session, owner, company)
    assert count(session, Company) == 2


def test_an_edit_is_checked_for_what_it_changes(session, make_user, make_company):
    owner = make_user("Manager")
    make_company(owner, name="Первая", phone="+7 495 111-11-11")
    second = make_company(owner, name="Вторая", phone="+7 495 222-22-22")
    second.phone = "+7 (495) 111-11-11"
    with pytest.raises(DuplicateFound):
        _save(session, owner, second)
    session.rollback()


def test_a_contact_phone_matches_the_other_contacts_mobile(session, make_user, make_contact):
    owner = make_user("Manager")
    make_contact(owner, "Петров", mobile_phone="+7 916 000-00-01")
    person = Contact(last_name="Сидоров", phone="8 916 000 00 01", status="potential")
    with pytest.raises(DuplicateFound) as refused:
        _save(session, owner, person)
    session.rollback()
    assert refused.value.matches[0].reasons == ["phone"]


@pytest.mark.parametrize(("stored", "typed"), [
    ("ООО Ромашка", "Ромашка"),
    ("Ромашка", "ООО «Ромашка»"),
    ("ИП Иванов", "Иванов"),
    ("ООО Ромашка", "ЗАО Ромашкa"),
])
def test_similar_names_are_suggested_without_refusing(session, make_user, make_company,
                                                       stored, typed):
    owner = make_user("Manager")
    make_company(owner, name=stored)
    make_company(owner, name="Ландыш")
    _save(session, owner, _new_company(name=typed))
    [match] = duplicates.warnings(session)
    assert match.reasons == ["name"] and match.record.name == stored
    assert count(session, Company) == 3


def test_different_names_are_not_suggested(session, make_user, make_company):
    owner = make_user("Manager")
    make_company(owner, name="ООО Ромашка Плюс Сервис Групп")
    _save(session, owner, _new_company(name="Ромашка"))
    assert duplicates.warnings(session) == []


def test_the_legal_form_alone_finds_nothing(session, make_user, make_company):
    owner = make_user("Manager")
    make_company(owner, name="ООО Ромашка")
    assert duplicates.core_words("ООО «Ромашка»") == ["ромашка"]
    _save(session, owner, _new_company(name="ООО"))
    assert duplicates.warnings(session) == []


def test_a_name_lookup_reads_the_index_not_the_table(app, session, make_user, make_company,
                                                     statements):
    owner = make_user("Manager")
    for number in range(30):
        make_company(owner, name=f"Компания {number}")
    make_company(owner, name="ООО Ромашка")
    record = _new_company(name="Ромашка")
    with statements() as seen:
        found = duplicates.similar_names(session, record, is_new=True)
    assert [other.name for other, _score in found.values()] == ["ООО Ромашка"]
    assert len(seen) == 1


def test_a_manager_sees_only_the_owner_of_a_foreign_match(session, make_user, make_company):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    make_company(anna, name="ООО Тайна", inn=INN)
    with pytest.raises(DuplicateFound) as refused:
        _save(session, boris, _new_company(inn=INN))
    session.rollback()
    [match] = refused.value.matches
    assert not match.visible
    assert match.as_json() == {"type": "company", "owner": "Test Anna", "reasons": ["inn"]}
    assert "Тайна" not in str(refused.value.message)


# --- forms ----------------------------------------------------------------------------------


def _company_form(**changes) -> dict:
    data = {"name": "ООО Вектор", "inn": INN, "status": "potential",
            "next_type": "call", "next_subject": "Позвонить", "next_due_at": NEXT_TASK[
                "due_at"][:16]}
    data.update(changes)
    return data


def test_the_form_shows_the_match_and_saves_anyway(client, login, session, make_company,
                                                   make_user):
    manager = login("Manager")
    existing = make_company(manager, name="ООО Ромашка", inn=INN)
    page = client.post("/companyview/add", data=_company_form())
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="duplicates"' in text
    assert f'data-duplicate-id="{existing.id}"' in text and "ООО Ромашка" in text
    assert count(session, Company) == 1
    saved = client.post("/companyview/add", data=_company_form(allow_duplicate="1"))
    assert saved.status_code == 302
    assert count(session, Company) == 2


def test_the_edit_form_refuses_a_taken_email(client, login, session, make_company):
    manager = login("Manager")
    make_company(manager, name="Первая", email="one@example.com")
    second = make_company(manager, name="Вторая", email="two@example.com")
    form = _company_form(name="Вторая", inn="", email="ONE@example.com",
                         version_seen=str(second.version))
    page = client.post(f"/companyview/edit/{second.id}", data=form)
    assert 'id="duplicates"' in page.get_data(as_text=True)
    session.expire_all()
    assert session.get(Company, second.id).email == "two@example.com"


def test_the_form_names_only_the_owner_of_another_managers_client(client, login, make_user,
                                                                  make_company):
    anna = make_user("Manager", "anna")
    hidden = make_company(anna, name="ООО Тайна", inn=INN)
    login("Manager")
    text = client.post("/companyview/add", data=_company_form()).get_data(as_text=True)
    assert 'id="duplicates"' in text and "Test Anna" in text
    assert "ООО Тайна" not in text and f'data-duplicate-id="{hidden.id}"' not in text


def test_a_similar_name_is_said_after_the_save(client, login, make_company):
    manager = login("Manager")
    make_company(manager, name="ООО Ромашка")
    saved = client.post("/companyview/add", data=_company_form(name="Ромашка", inn=""),
                        follow_redirects=True)
    assert "ООО Ромашка" in saved.get_data(as_text=True)


# --- API ------------------------------------------------------------------------------------


def test_the_api_answers_409_with_the_matches(client, make_user, make_company, session):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    mine = make_company(boris, name="ООО Своя", phone="+7 495 765-43-21")
    make_company(anna, name="ООО Чужая", inn=INN)
    headers = api_login(client, boris)
    body = {"name": "ООО Новая", "inn": INN, "phone": "84957654321", "status": "potential",
            "next_task": NEXT_TASK}
    answer = client.post("/api/v1/company/", json=body, headers=headers)
    assert answer.status_code == 409
    assert answer.json["message"]
    assert sorted(answer.json["duplicates"], key=lambda item: item["owner"]) == [
        {"type": "company", "owner": "Test Anna", "reasons": ["inn"]},
        {"type": "company", "owner": "Test Boris", "reasons": ["phone"], "id": mine.id,
         "title": "ООО Своя"},
    ]
    assert count(session, Company) == 2
    again = client.post("/api/v1/company/", json={**body, "allow_duplicate": True},
                        headers=headers)
    assert again.status_code == 201
    assert count(session, Company) == 3


def test_the_api_refuses_an_update_to_a_taken_email(client, make_user, make_contact):
    manager = make_user("Manager")
    make_contact(manager, "Петров", email="p@example.com")
    other = make_contact(manager, "Сидоров", email="s@example.com")
    headers = api_login(client, manager)
    answer = client.put(f"/api/v1/contact/{other.id}", json={"email": "P@example.com"},
                        headers=headers)
    assert answer.status_code == 409
    assert answer.json["duplicates"][0]["reasons"] == ["email"]
    forced = client.put(f"/api/v1/contact/{other.id}",
                        json={"email": "P@example.com", "allow_duplicate": True,
                              "next_task": NEXT_TASK},
                        headers=headers)
    assert forced.status_code == 200, forced.json


def test_names_differing_in_a_number_are_two_clients(session, make_user, make_company):
    owner = make_user("Manager")
    make_company(owner, name="Филиал 1")
    _save(session, owner, _new_company(name="Филиал 2"))
    assert duplicates.warnings(session) == []


def test_the_first_call_screen_shows_the_match_and_saves_anyway(client, login, session,
                                                                make_company):
    from tests.helpers import FIRST_CALL_URL, first_call_form

    manager = login("Manager")
    make_company(manager, name="ООО Вектор", inn="7707083893")
    page = client.post(FIRST_CALL_URL, data=first_call_form())
    assert page.status_code == 200 and 'id="duplicates"' in page.get_data(as_text=True)
    assert 'form="first-call"' in page.get_data(as_text=True)
    saved = client.post(FIRST_CALL_URL, data=first_call_form(allow_duplicate="1"))
    assert saved.status_code == 302
    assert count(session, Company) == 2


def test_the_first_call_api_answers_409(client, make_user, make_company, session):
    from tests.helpers import NEXT_TASK as TASK

    manager = make_user("Manager")
    make_company(manager, name="ООО Вектор", email="info@vektor.example")
    body = {"client": {"kind": "company", "name": "Вектор", "email": "INFO@vektor.example"},
            "call": {"result": "Звонили"}, "next_task": TASK}
    headers = api_login(client, manager)
    answer = client.post("/api/v1/first-call/", json=body, headers=headers)
    assert answer.status_code == 409
    assert answer.json["duplicates"][0]["reasons"] == ["email", "name"]
    forced = client.post("/api/v1/first-call/", json={**body, "allow_duplicate": True},
                         headers=headers)
    assert forced.status_code == 201, forced.json
