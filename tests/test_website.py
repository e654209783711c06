"""A company's website: an http(s) address, a bare domain made https://, anything else refused."""

import pytest

from app.models import Company
from app.services.errors import ValidationError
from tests.helpers import api_login, count, field_errors, field_value, shown

REFUSAL = "Website: enter an address such as example.com or https://example.com."


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("romashka.ru", "https://romashka.ru"),
        ("  www.Romashka.RU/contacts  ", "https://www.romashka.ru/contacts"),
        ("HTTP://Romashka.ru:8080/Price?x=1", "http://romashka.ru:8080/Price?x=1"),
        ("https://кафе.рф", "https://кафе.рф"),
        ("", None),
    ],
)
def test_a_website_is_kept_as_an_http_address(app, typed, stored):
    from app.services.rules.validation import clean_website

    with app.test_request_context("/"):
        assert clean_website(typed) == stored


@pytest.mark.parametrize(
    "typed",
    [
        "not a url", "notaurl", "localhost", "ftp://romashka.ru", "javascript:alert(1)",
        "mailto:office@romashka.ru", "http://user:secret@romashka.ru", "romashka.ru:99999",
        "http://", "-romashka.ru", "romashka.r1", "romashka\x00.ru", "romashka\ud800.ru",
        "https://" + "a" * 250 + ".ru",
    ],
)
def test_anything_but_a_web_address_is_refused_at_the_website_field(app, typed):
    from app.services.rules.validation import clean_website

    with app.test_request_context("/"), pytest.raises(ValidationError) as refused:
        clean_website(typed)
    assert refused.value.field == "website"


def test_the_company_form_refuses_not_a_url_next_to_the_field(app, client, login, session):
    login("Manager")
    response = client.post("/companyview/add", data={
        "name": "ООО Ромашка", "status": "potential", "website": "not a url",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "website") == [shown(app, REFUSAL)]
    assert field_value(page, "website") == "not a url"
    assert count(session, Company) == 0


def test_the_company_form_saves_a_bare_domain_as_https(client, login, session):
    login("Manager")
    response = client.post("/companyview/add", data={
        "name": "ООО Ромашка", "status": "potential", "website": "romashka.ru",
    })
    assert response.status_code == 302
    session.expire_all()
    assert session.query(Company).one().website == "https://romashka.ru"


def test_the_api_answers_422_naming_the_website(client, make_user, session):
    headers = api_login(client, make_user("Manager"))
    response = client.post("/api/v1/company/?_l_=en", headers=headers, json={
        "name": "ООО Ромашка", "status": "potential", "website": "not a url",
        "next_task": {"type": "call", "subject": "Позвонить", "due_at": "2030-12-01T10:00:00"},
    })
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.get_json()["message"] == {"website": [REFUSAL]}
    assert count(session, Company) == 0
