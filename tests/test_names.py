"""One order of names per language, for users and contacts, on every screen that shows one:
Russian "Фамилия Имя", English "First Last" (menu bar, selects, lists, messages)."""

import pytest

from tests.helpers import wait_for_move
from tests.helpers_catalogues import visible_text

ORDER = {"ru": ("Емельянов Афанасий", "Афанасий Емельянов"),
         "en": ("Афанасий Емельянов", "Емельянов Афанасий")}


@pytest.fixture
def afanasy(app, make_user):
    """A manager with a first and a last name."""
    user = make_user("Manager", "afanasy")
    user.first_name, user.last_name = "Афанасий", "Емельянов"
    app.appbuilder.sm.update_user(user)
    return user


def _use_language(client, language: str) -> None:
    assert client.get(f"/lang/{language}").status_code in (200, 302)


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_menu_bar_names_the_user_in_the_languages_order(client, login, afanasy, language):
    login(user=afanasy)
    _use_language(client, language)
    text = visible_text(client.get("/").get_data(as_text=True))[0]
    expected, other = ORDER[language]
    assert expected in text
    assert other not in text


@pytest.mark.parametrize("language", ["ru", "en"])
def test_owner_select_and_owner_column_use_the_same_order(
    client, login, afanasy, make_company, language
):
    login("Head")
    _use_language(client, language)
    make_company(afanasy, name="Northwind")
    expected, other = ORDER[language]
    for url in ("/companyview/add", "/companyview/list/"):
        page = client.get(url).get_data(as_text=True)
        assert expected in page, url
        assert other not in page, url


@pytest.mark.parametrize("language", ["ru", "en"])
def test_the_hand_over_message_names_the_new_manager_in_the_same_order(
    client, login, make_user, afanasy, make_company, language
):
    login("Head")
    _use_language(client, language)
    leaver = make_user("Manager", "leaver")
    make_company(leaver, name="Northwind")
    moved = client.post("/reassign/", data={
        "from_user": leaver.id, "to_user": afanasy.id, "confirm": "1",
    })
    text = visible_text(wait_for_move(client, moved))[0]
    expected, other = ORDER[language]
    assert expected in text
    assert other not in text


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ru", "Петрова Анна Сергеевна"), ("en", "Анна Сергеевна Петрова")],
)
def test_a_contact_is_named_in_the_languages_order(
    client, login, make_contact, language, expected
):
    manager = login("Manager")
    _use_language(client, language)
    contact = make_contact(manager, "Петрова", first_name="Анна", middle_name="Сергеевна")
    page = client.get(f"/contactview/show/{contact.id}").get_data(as_text=True)
    assert expected in visible_text(page)[0]
