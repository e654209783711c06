"""The menu bar's search: anyone by name, phone in any spelling, e-mail or INN; a manager
finds only own records and is told, with nothing else, when a number belongs to another's
client."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from app.models import Company, Contact
from app.models.mixins import local_now
from app.services.errors import ValidationError
from app.services.queries import search
from tests.helpers import NEXT_TASK, api_login

INN = "7707083893"
PHONE = "+7 495 123-45-67"
SPELLINGS = ("84951234567", "+74951234567", "1234567", "495 123 45 67", "8 (495) 123-45-67",
             "+7 (495) 123 45 67", "4951234567")


def _titles(found: search.Found, kind: str) -> list[str]:
    return [str(hit.record) for hit in found.hits[kind]]


@pytest.fixture
def book(make_user, make_company, make_contact, make_deal, make_task):
    """Anna's clients (one company with the phone, INN and e-mail) and Boris's."""
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    roga = make_company(anna, "Рога и копыта", phone=PHONE, inn=INN, email="Info@Roga.ru")
    make_task(anna, company=roga, due_at=local_now() + timedelta(days=2))
    person = make_contact(anna, "Семёнов", company=roga, first_name="Пётр",
                          mobile_phone="+7 916 555-44-33", email="Petr.Semenov@Roga.ru")
    private = make_contact(boris, "Ёлкина", first_name="Анна", phone="+7 812 765-43-21",
                           email="elkina@mail.ru")
    deal = make_deal(anna, company=roga, title="Поставка станков")
    return {"anna": anna, "boris": boris, "roga": roga, "person": person,
            "private": private, "deal": deal}


# --- phones, e-mail, INN --------------------------------------------------------------------

@pytest.mark.parametrize("typed", SPELLINGS)
def test_a_phone_is_found_in_any_spelling(session, book, typed):
    found = search.search(session, book["anna"], typed)
    assert _titles(found, "company") == ["Рога и копыта"]
    assert found.taken == []


def test_a_mobile_phone_of_a_contact_person_is_found_by_its_last_digits(session, book):
    found = search.search(session, book["anna"], "5554433")
    assert [hit.id for hit in found.hits["person"]] == [book["person"].id]


def test_six_digits_are_not_a_phone_search(session, book):
    found = search.search(session, book["anna"], "234567")
    assert found.results == [] and found.taken == []


def test_an_inn_finds_its_company(session, book):
    found = search.search(session, book["anna"], INN)
    assert _titles(found, "company") == ["Рога и копыта"]


@pytest.mark.parametrize("typed", ["info@roga.ru", "INFO@ROGA.RU", " Info@Roga.ru "])
def test_an_email_is_found_whatever_its_case(session, book, typed):
    found = search.search(session, book["anna"], typed)
    assert _titles(found, "company") == ["Рога и копыта"]


def test_a_contacts_email_is_found(session, book):
    found = search.search(session, book["anna"], "petr.semenov@roga.ru")
    assert [hit.id for hit in found.hits["person"]] == [book["person"].id]


# --- names ----------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["семенов", "СЕМЁНОВ", "Семен", "петр семен", "Пётр"])
def test_a_name_is_found_by_any_word_whatever_case_and_yo(session, book, typed):
    found = search.search(session, book["anna"], typed)
    assert [hit.id for hit in found.hits["person"]] == [book["person"].id]


def test_names_are_grouped_by_kind(session, book):
    found = search.search(session, book["anna"], "рога")
    assert _titles(found, "company") == ["Рога и копыта"]
    assert found.hits["client"] == [] and found.hits["person"] == []
    assert search.search(session, book["anna"], "станков").hits["deal"][0].id == book["deal"].id
    assert search.search(session, book["boris"], "елкина").hits["client"][0].id == \
        book["private"].id


def test_the_name_starting_with_the_query_comes_first(session, make_user, make_company):
    anna = make_user("Manager", "anna")
    make_company(anna, "Торговый дом Вектор")
    make_company(anna, "Вектор")
    make_company(anna, "Векторный завод")
    found = search.search(session, anna, "вектор")
    assert _titles(found, "company")[0] == "Вектор"
    assert set(_titles(found, "company")) == {"Вектор", "Векторный завод", "Торговый дом Вектор"}


def test_each_kind_shows_at_most_the_limit(session, make_user, make_company):
    anna = make_user("Manager", "anna")
    for number in range(8):
        make_company(anna, f"Альфа {number}", status="lost", lost_reason="Закрылись")
    assert len(search.search(session, anna, "альфа").hits["company"]) == search.DROPDOWN_LIMIT
    assert len(search.search(session, anna, "альфа", search.PAGE_LIMIT).hits["company"]) == 8


def test_an_archived_record_is_found_by_nobody(session, make_user, make_company):
    anna = make_user("Manager", "anna")
    head = make_user("Head", "olga")
    make_company(anna, "Архивная", phone=PHONE, archived=True)
    for user in (anna, head):
        for typed in ("архивная", "1234567"):
            found = search.search(session, user, typed)
            assert found.results == [] and found.taken == []


# --- who sees what --------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["84951234567", INN, "info@roga.ru"])
def test_another_managers_client_is_reported_taken_with_its_owner_only(session, book, typed):
    found = search.search(session, book["boris"], typed)
    assert found.results == []
    assert [(taken.type, taken.owner.id) for taken in found.taken] == [
        ("company", book["anna"].id)]


def test_another_managers_client_is_not_found_by_name(session, book):
    found = search.search(session, book["boris"], "рога")
    assert found.results == [] and found.taken == []


def test_the_head_finds_everyone_and_nothing_is_taken(session, book, make_user):
    head = make_user("Head", "olga")
    found = search.search(session, head, "84951234567")
    assert _titles(found, "company") == ["Рога и копыта"] and found.taken == []
    assert search.search(session, head, "елкина").hits["client"][0].id == book["private"].id


# --- the write path keeps the keys ----------------------------------------------------------

def test_every_save_stores_the_phone_as_e164_and_the_email_lower_cased(client, make_user,
                                                                       session):
    anna = make_user("Manager", "anna")
    headers = api_login(client, anna)
    response = client.post("/api/v1/company/", headers=headers, json={
        "name": "ООО Ёж", "phone": "8 (495) 123-45-67", "email": "Office@Ezh.RU",
        "status": "active", "next_task": NEXT_TASK})
    assert response.status_code == 201, response.json
    company = session.get(Company, response.json["id"])
    assert company.phone == PHONE  # the typed number, written out for reading
    assert (company.phone_e164, company.phone_tail) == ("+74951234567", "76543215947")
    assert company.email_key == "office@ezh.ru"
    assert company.search_name == "ооо еж"

    response = client.put(f"/api/v1/company/{company.id}", headers=headers,
                          json={"phone": "+7 812 000-11-22", "version": company.version})
    assert response.status_code == 200, response.json
    session.expire_all()
    assert session.scalar(select(Company.phone_e164).where(Company.id == company.id)) == \
        "+78120001122"
    assert search.search(session, anna, "0001122").hits["company"][0].id == company.id
    assert search.search(session, anna, "1234567").results == []


def test_a_renamed_contact_is_found_by_the_new_name_only(client, session, book):
    person = book["person"]
    headers = api_login(client, book["anna"])
    response = client.put(f"/api/v1/contact/{person.id}", headers=headers,
                          json={"last_name": "Орлов", "version": person.version})
    assert response.status_code == 200, response.json
    session.expire_all()
    assert session.get(Contact, person.id).search_name == "орлов петр"
    assert search.search(session, book["anna"], "орлов").hits["person"][0].id == person.id
    assert search.search(session, book["anna"], "семенов").results == []


# --- bad input ------------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["", "   ", "x" * 201, "a\x01b"])
def test_a_query_that_cannot_be_searched_is_refused_naming_it(session, book, typed):
    with pytest.raises(ValidationError) as refused:
        search.search(session, book["anna"], typed)
    assert refused.value.field == "q"


def test_a_search_runs_a_few_statements_whatever_it_finds(app, session, make_user,
                                                          make_company, make_contact,
                                                          statements):
    anna = make_user("Manager", "anna")
    for number in range(6):
        company = make_company(anna, f"Гамма {number}", phone=f"+7 495 100-00-0{number}")
        make_contact(anna, f"Гаммов {number}", company=company)
    session.expire_all()
    with statements() as seen:
        found = search.search(session, anna, "гамм", search.PAGE_LIMIT)
    assert len(found.hits["company"]) == 6 and len(found.hits["person"]) == 6
    # Two per kind (the names starting with the query, then the other words), plus the
    # user and roles read again: never one per row.
    assert len(seen) <= 10
    with statements() as seen:
        search.search(session, anna, "495 100 00 0")
    assert len(seen) <= 4


# --- the text indexes exist where the tests run ---------------------------------------------

@pytest.mark.postgresql_only
def test_the_names_have_a_full_text_index_of_their_words_on_postgresql(session):
    from sqlalchemy import text

    names = ("ix_company_search_words", "ix_contact_search_words", "ix_deal_search_words")
    rows = session.execute(text(
        "SELECT tablename, indexdef FROM pg_indexes WHERE indexname = ANY(:names)"),
        {"names": list(names)})
    found = {table: definition for table, definition in rows}
    assert set(found) == {"company", "contact", "deal"}
    assert all("gin" in definition and "to_tsvector('simple'::regconfig, (search_name)"
               in definition for definition in found.values())


@pytest.mark.sqlite_only
def test_the_names_have_an_fts5_table_kept_by_triggers_on_sqlite(session, book):
    from sqlalchemy import text

    def matches(word: str) -> list[int]:
        return session.execute(text("SELECT rowid FROM contact_fts WHERE contact_fts MATCH :w"),
                               {"w": word}).scalars().all()

    assert matches("семенов") == [book["person"].id]
    session.execute(text("DELETE FROM contact WHERE id = :id"), {"id": book["person"].id})
    assert matches("семенов") == []
    session.rollback()
