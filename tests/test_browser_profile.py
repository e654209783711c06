"""The profile page (/users/userinfo/) of a manager and of the head, as they see it.

Russian and English, at a laptop's 1366 px and a phone's 390 px: no sideways scrolling,
no script error (the watch fixture), the CRM's words. Screenshots go to the test's tmp
dir and, when CRM_SCREENSHOTS names a folder, there too (for a person to look at).
"""


import pytest

from tests.browser import expect, log_in, save_screenshot

WIDTHS = {"laptop": (1366, 768), "phone": (390, 844)}
WORDS = {
    "ru": {"title": "Мой профиль", "password": "Сменить пароль", "edit": "Изменить данные",
           "labels": ("Логин", "Роль", "Имя", "Фамилия", "Эл. почта")},
    "en": {"title": "My profile", "password": "Change password", "edit": "Edit my data",
           "labels": ("Login name", "Role", "First name", "Last name", "E-mail")},
}
ROLE_LABELS = {"ru": {"Manager": "Менеджер", "Head": "Руководитель отдела продаж"},
               "en": {"Manager": "Manager", "Head": "Head of sales"}}


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("language", WORDS)
@pytest.mark.parametrize("role", ["Manager", "Head"])
def test_the_profile_page_looks_like_the_crm(new_page, make_user, session, tmp_path,
                                             role, language, width):
    user = make_user(role, "olga")
    user.first_name, user.last_name = "Ольга", "Морозова"
    session.commit()
    page = new_page(locale="ru-RU" if language == "ru" else "en-US")
    page.set_viewport_size(dict(zip(("width", "height"), WIDTHS[width], strict=True)))
    log_in(page, user)
    page.goto(f"/users/userinfo/?_l_={language}")
    words = WORDS[language]
    expect(page.locator("h1, h2, h3, .panel-title").filter(has_text=words["title"]).first
           ).to_be_visible()
    content = page.locator(".panel-primary").first
    for label in words["labels"]:
        expect(content).to_contain_text(label)
    expect(content).to_contain_text(ROLE_LABELS[language][role])
    expect(content).to_contain_text("olga@example.com")
    expect(page.get_by_role("link", name=words["password"]).or_(
        page.get_by_role("button", name=words["password"])).first).to_be_visible()
    expect(page.get_by_role("link", name=words["edit"]).or_(
        page.get_by_role("button", name=words["edit"])).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= WIDTHS[width][0]
    save_screenshot(page, tmp_path, f"profile-{role.lower()}-{language}-{width}", min_bytes=5_000)
