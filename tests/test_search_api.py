"""GET /api/v1/search and the results page /search/: the contract, every role, bad input."""

import pytest

from tests.helpers import api_login

PHONE = "+7 495 123-45-67"
INN = "7707083893"


@pytest.fixture
def book(make_user, make_company, make_contact, make_task):
    """Anna's company with its phone and INN, and a private client of Boris's."""
    anna = make_user("Manager", "anna")
    boris = make_user("Manager", "boris")
    roga = make_company(anna, "Рога и копыта", phone=PHONE, inn=INN)
    task = make_task(anna, company=roga)
    private = make_contact(boris, "Ёлкина", first_name="Анна", phone="+7 812 765-43-21")
    return {"anna": anna, "boris": boris, "roga": roga, "task": task, "private": private}


def test_the_answer_follows_the_contract(client, book):
    response = client.get("/api/v1/search", query_string={"q": "8 (495) 123-45-67"},
                          headers=api_login(client, book["anna"]))
    assert response.status_code == 200
    roga = book["roga"]
    assert response.json == {"result": [{
        "type": "company", "kind": "company", "id": roga.id, "title": f"Рога и копыта · {INN}",
        "owner": "Test Anna", "next_task_at": book["task"].due_at.isoformat(),
        "url": f"/companyview/show/{roga.id}",
    }], "taken": []}


def test_the_menu_bars_box_asks_with_the_pages_session(client, login, book):
    login(user=book["boris"])
    response = client.get("/api/v1/search?q=елкина")
    assert response.status_code == 200
    assert [(row["type"], row["kind"], row["id"]) for row in response.json["result"]] == [
        ("contact", "client", book["private"].id)]


@pytest.mark.parametrize("language, owner, message", [
    ("ru", "Test Anna", "Этот клиент у менеджера Test Anna"),
    ("en", "Anna Test", "This client is handled by Anna Test"),
])
def test_another_managers_number_says_whose_it_is_and_nothing_more(client, book, language,
                                                                    owner, message):
    response = client.get(f"/api/v1/search?q=84951234567&_l_={language}",
                          headers=api_login(client, book["boris"]))
    assert response.status_code == 200
    assert response.json["result"] == []
    assert response.json["taken"] == [{"type": "company", "owner": owner, "message": message}]
    assert "Рога" not in response.get_data(as_text=True)


@pytest.mark.parametrize("role", ["Head", "Admin"])
def test_head_and_admin_find_everyone(client, make_user, book, role):
    headers = api_login(client, make_user(role))
    for query, record in (("1234567", "roga"), ("елкин", "private")):
        response = client.get("/api/v1/search", query_string={"q": query}, headers=headers)
        assert [row["id"] for row in response.json["result"]] == [book[record].id]
        assert response.json["taken"] == []


def test_without_login_nothing_is_answered(client, book):
    assert client.get("/api/v1/search?q=рога").status_code == 401


@pytest.mark.parametrize("query, field", [
    ({"q": ""}, "q"), ({}, "q"), ({"q": "я" * 201}, "q"), ({"q": "a\x00b"}, "q"),
    ({"q": "рога", "limit": "0"}, "limit"), ({"q": "рога", "limit": "abc"}, "limit"),
])
def test_bad_input_is_refused_naming_the_field(client, book, query, field):
    response = client.get("/api/v1/search", query_string={**query, "_l_": "en"},
                          headers=api_login(client, book["anna"]))
    assert response.status_code == 422, response.json
    assert list(response.json["message"]) == [field]
    assert response.json["message"][field][0]


def test_bad_input_is_refused_in_russian_by_default(client, book):
    response = client.get("/api/v1/search?q=", headers=api_login(client, book["anna"]))
    assert response.json["message"]["q"] == ["Поиск: введите имя, телефон, e-mail или ИНН."]


def test_the_search_is_in_the_api_document(client, book):
    spec = client.get("/api/v1/_openapi", headers=api_login(client, book["anna"])).json
    paths = [path for path in spec["paths"] if path.rstrip("/").endswith("/search")]
    assert paths, sorted(spec["paths"])
    assert "q" in [parameter["name"]
                   for parameter in spec["paths"][paths[0]]["get"]["parameters"]]


# --- the results page -----------------------------------------------------------------------

def test_the_results_page_shows_own_matches_by_kind(client, login, book):
    login(user=book["anna"])
    page = client.get("/search/?q=495+123+45+67").get_data(as_text=True)
    assert f'href="/companyview/show/{book["roga"].id}"' in page
    assert 'id="search-company"' in page and "Ёлкина" not in page


def test_the_results_page_says_whose_client_it_is_and_shows_nothing_of_it(client, login,
                                                                          book):
    login(user=book["boris"])
    page = client.get("/search/?q=%2B74951234567").get_data(as_text=True)
    assert "Этот клиент у менеджера Test Anna" in page
    assert "Рога" not in page and f"/companyview/show/{book['roga'].id}" not in page


def test_the_results_page_refuses_a_long_query_in_words(client, login, book):
    login(user=book["anna"])
    response = client.get("/search/", query_string={"q": "я" * 201})
    assert response.status_code == 200
    assert "Поиск: не больше 200 символов." in response.get_data(as_text=True)


def test_every_page_has_the_search_box(client, login, book):
    login(user=book["anna"])
    for url in ("/", "/companyview/list/", f"/companyview/show/{book['roga'].id}"):
        page = client.get(url).get_data(as_text=True)
        assert 'id="crm-search-input"' in page, url
        assert "/static/crm/search.js" in page, url
