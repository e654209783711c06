"""Parts kept rendered (the menu, a list's search form) follow a change of access at once."""

from app.views.render_cache import KeptParts

DUPLICATES_LINK = 'href="/duplicates/"'


def test_a_kept_part_is_made_again_once_its_time_is_over():
    made = []
    fresh, kept = KeptParts(seconds=0), KeptParts(seconds=60)
    for parts in (fresh, fresh, kept, kept):
        parts.get("menu", lambda parts=parts: made.append(parts) or "<li>")
    assert made == [fresh, fresh, kept]


def test_a_full_map_starts_afresh_instead_of_growing():
    parts = KeptParts(most=2)
    for key in ("a", "b", "c"):
        parts.get(key, lambda key=key: key)
    assert len(parts._parts) == 1


def test_the_menu_shows_a_permission_granted_to_a_role_on_the_next_page(app, login, make_user,
                                                                         client):
    sm = app.appbuilder.sm
    # A role the admin made (the built-in ones are set in the configuration).
    role = sm.add_role("Assistant")
    login(user=make_user("Assistant"))
    assert DUPLICATES_LINK not in client.get("/my-day/").text
    # The report's entry sits in the Team menu: both are granted.
    team = sm.find_permission_view_menu("menu_access", "Team")
    sm.add_permission_role(role, team)
    menu_access = sm.find_permission_view_menu("menu_access", "Duplicates")
    sm.add_permission_role(role, menu_access)
    assert DUPLICATES_LINK in client.get("/my-day/").text
    sm.del_permission_role(role, menu_access)
    assert DUPLICATES_LINK not in client.get("/my-day/").text


def test_each_language_gets_its_own_menu(login, client):
    login("Head")
    client.get("/lang/en")
    assert "Duplicates</a>" in _squeezed(client.get("/my-day/").text)
    client.get("/lang/ru")
    russian = _squeezed(client.get("/my-day/").text)
    assert "Дубли</a>" in russian and "Duplicates</a>" not in russian


def _squeezed(page: str) -> str:
    return " ".join(page.split())


def test_a_new_manager_is_offered_by_the_owner_filter_at_once(login, make_user, client):
    login("Head")
    assert "Zinaida" not in client.get("/companyview/list/").text
    make_user("Manager", "zinaida")
    assert "Zinaida" in client.get("/companyview/list/").text
