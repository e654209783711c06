"""The language follows the user; dates, money, names and plurals follow the language."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from flask_babel import force_locale, gettext, ngettext
from werkzeug.datastructures import LanguageAccept

from app.models import UserProfile
from app.services.rules.locale import choose_locale, remember_locale, saved_locale
from tests.helpers import PASSWORD
from tests.helpers_catalogues import visible_text

LANGUAGES = ["ru", "en"]


def _page_language(client, url: str = "/companyview/list/", **headers) -> str:
    """Return "ru" or "en": which of the two the company list speaks."""
    text = visible_text(client.get(url, headers=headers).get_data(as_text=True))[0]
    if "Компании" in text:
        return "ru"
    assert "Companies" in text, text[:300]
    return "en"


def _login(client, user) -> None:
    client.post("/logout/")
    response = client.post("/login/", data={"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, "login failed"


def _profile_locale(session, user) -> str | None:
    session.expire_all()
    profile = session.get(UserProfile, user.id)
    return profile.locale if profile else None


# The order of the sources.


def test_choose_locale_takes_the_first_source_that_names_a_language():
    browser_en = LanguageAccept([("en-US", 1), ("ru", 0.5)])
    assert choose_locale(LANGUAGES, "ru") == ("ru", "default")
    assert choose_locale(LANGUAGES, "ru", argument="en") == ("en", "argument")
    assert choose_locale(LANGUAGES, "ru", argument="de", session_locale="en") == (
        "en",
        "session",
    )
    assert choose_locale(LANGUAGES, "ru", session_locale="ru", profile_locale="en") == (
        "ru",
        "session",
    )
    assert choose_locale(LANGUAGES, "ru", profile_locale=lambda: "en") == ("en", "profile")
    assert choose_locale(LANGUAGES, "ru", accept_languages=browser_en) == ("en", "browser")
    assert choose_locale(LANGUAGES, "ru", profile_locale="ru", accept_languages=browser_en) == (
        "ru",
        "profile",
    )
    german = LanguageAccept([("de", 1), ("fr", 0.8)])
    assert choose_locale(LANGUAGES, "ru", accept_languages=german) == ("ru", "default")


def test_profile_is_asked_only_when_the_session_says_nothing():
    def fail():
        raise AssertionError("the profile was read although the session named a language")

    assert choose_locale(LANGUAGES, "ru", session_locale="en", profile_locale=fail)[0] == "en"


def test_remember_and_read_back_the_choice(session, make_user):
    user = make_user()
    assert saved_locale(session, user, LANGUAGES) is None
    remember_locale(session, user, "en")
    assert saved_locale(session, user, LANGUAGES) == "en"
    remember_locale(session, user, "ru")
    assert _profile_locale(session, user) == "ru"
    assert session.query(UserProfile).filter_by(user_id=user.id).count() == 1
    # A language the app no longer offers counts as none.
    remember_locale(session, user, "de")
    assert saved_locale(session, user, LANGUAGES) is None


def test_selector_replaces_fabs(app):
    from app.views.locale import select_locale

    assert app.extensions["babel"].locale_selector is select_locale


# Through the screens.


def test_new_user_reads_russian_by_default(client, login):
    login("Manager")
    assert _page_language(client) == "ru"


@pytest.mark.parametrize(
    ("accept", "expected"),
    [("en-US,en;q=0.9", "en"), ("ru-RU,ru;q=0.9,en;q=0.8", "ru"), ("de-DE,fr;q=0.8", "ru")],
)
def test_new_user_gets_the_browsers_language_when_english(client, login, accept, expected):
    login("Manager")
    assert _page_language(client, **{"Accept-Language": accept}) == expected


@pytest.mark.parametrize(
    ("accept", "word"), [("en-GB,en;q=0.9", "Password"), ("de", "Пароль"), (None, "Пароль")]
)
def test_login_page_follows_the_browser(app, accept, word):
    headers = {"Accept-Language": accept} if accept else {}
    page = app.test_client().get("/login/", headers=headers)
    assert word in visible_text(page.get_data(as_text=True))[0]


def test_switch_is_remembered_across_sessions_and_logins(app, client, login, session):
    user = login("Manager")
    assert client.get("/lang/en").status_code == 302
    assert _page_language(client) == "en"
    assert _profile_locale(session, user) == "en"

    # Another browser (a fresh session) that prefers Russian: the profile wins at login.
    other = app.test_client()
    _login(other, user)
    assert _page_language(other, **{"Accept-Language": "ru"}) == "en"

    # Back to Russian, remembered too.
    assert other.get("/lang/ru").status_code == 302
    assert _profile_locale(session, user) == "ru"
    third = app.test_client()
    third.get("/login/", headers={"Accept-Language": "en"})  # the login page in English
    _login(third, user)
    assert _page_language(third, **{"Accept-Language": "en"}) == "ru"


def test_profile_fills_a_session_that_has_no_language(app, client, login, session):
    """A session without a language (e.g. restored by the remember-me cookie) reads the profile."""
    user = login("Manager")
    remember_locale(session, user, "en")
    with client.session_transaction() as browser_session:
        browser_session.pop("locale", None)
    assert _page_language(client) == "en"
    with client.session_transaction() as browser_session:
        assert browser_session["locale"] == "en"


def test_anonymous_switch_stores_no_profile(client, session):
    assert client.get("/lang/en").status_code == 302
    assert session.query(UserProfile).filter(UserProfile.locale.is_not(None)).count() == 0
    with client.session_transaction() as browser_session:
        assert browser_session["locale"] == "en"


def test_unknown_language_is_refused_and_not_stored(client, login, session):
    user = login("Manager")
    assert client.get("/lang/de").status_code == 404
    assert _profile_locale(session, user) is None
    assert _page_language(client) == "ru"


def test_api_argument_wins_for_one_request_only(client, login, session):
    user = login("Manager")
    assert _page_language(client, url="/companyview/list/?_l_=en") == "en"
    assert _page_language(client) == "ru"
    assert _profile_locale(session, user) is None


def test_other_users_keep_their_own_language(app, login, make_user, session):
    anna, boris = make_user("Manager", "anna"), make_user("Manager", "boris")
    remember_locale(session, anna, "en")
    first, second = app.test_client(), app.test_client()
    _login(first, anna)
    _login(second, boris)
    assert _page_language(first) == "en"
    assert _page_language(second) == "ru"


# Dates, numbers, money and names in the user's language.


@pytest.fixture
def in_language(app):
    """Run the body of a `with in_language("en"):` in a request that speaks the language."""

    def enter(language: str):
        context = app.test_request_context()
        context.push()
        forced = force_locale(language)
        forced.__enter__()
        contexts.append((context, forced))

    contexts: list = []
    yield enter
    for context, forced in reversed(contexts):
        forced.__exit__(None, None, None)
        context.pop()


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        (
            "ru",
            (
                "26.11.2026",
                "26.11.2026 09:05",
                "1\u00a0234\u00a0567,89\u00a0₽",
                "1\u00a0234\u00a0567,89",
                "26 ноября",
            ),
        ),
        (
            "en",
            ("11/26/2026", "11/26/2026, 9:05 AM", "₽1,234,567.89", "1,234,567.89", "November 26"),
        ),
    ],
)
def test_dates_and_money_in_the_users_language(in_language, language, expected):
    from app import formatting
    from app.views.formatters import COMMON

    in_language(language)
    amount = Decimal("1234567.89")
    assert (
        formatting.date_text(date(2026, 11, 26)),
        formatting.datetime_text(datetime(2026, 11, 26, 9, 5)),
        formatting.money_text(amount),
        COMMON["amount"](amount),
        formatting.day_month_text(date(2026, 11, 26)),
    ) == expected
    assert COMMON["expected_close_date"](date(2026, 11, 26)) == expected[0]


@pytest.mark.parametrize("language", ["ru", "en"])
def test_shares_and_minutes_read_as_babel_writes_them(in_language, language):
    from babel.numbers import format_decimal, format_percent

    from app import formatting

    in_language(language)
    shares = [Decimal(tenths) / 10 for tenths in range(0, 1001)] + [
        Decimal("0.0"), Decimal("100.0"), Decimal("12.50"), Decimal("1234.5"), Decimal("-3.2"),
        Decimal("66.666"), 0, 7, 1500]
    for share in shares:
        assert formatting.percent_text(share) == format_percent(
            share / 100, locale=language, decimal_quantization=False), share
    assert formatting.percent_text(None) == "—"
    for tenths in range(0, 600):
        minutes = tenths / 10 + 0.04
        shown = format_decimal(round(minutes, 1), "#,##0.#", locale=language)
        assert formatting.minutes_text(minutes) == gettext("%(minutes)s min", minutes=shown)
    assert formatting.minutes_text(7.5) == ("7,5 мин" if language == "ru" else "7.5 min")


@pytest.mark.parametrize("language", ["ru", "en"])
def test_days_of_the_month_read_as_babel_writes_them(in_language, language):
    from datetime import timedelta

    from flask_babel import format_date

    from app import formatting

    in_language(language)
    pattern = "d MMMM" if language == "ru" else "MMMM d"
    day = date(2028, 1, 1)
    while day.year == 2028:
        assert formatting.day_month_text(day) == format_date(day, pattern), day
        day += timedelta(days=1)
    assert formatting.day_month_text(date(2026, 11, 26)) == (
        "26 ноября" if language == "ru" else "November 26")
    assert formatting.day_month_text(None) == ""


@pytest.mark.parametrize(
    ("language", "expected"),
    [("ru", "Емельянов Афанасий"), ("en", "Афанасий Емельянов")],
)
def test_person_name_order(in_language, language, expected):
    from types import SimpleNamespace

    from app import formatting
    from app.views.formatters import COMMON

    in_language(language)
    user = SimpleNamespace(first_name="Афанасий", last_name="Емельянов", username="afanasy")
    assert formatting.person_name(user) == expected
    assert COMMON["owner"](user) == expected
    assert formatting.person_name(None) == ""
    nameless = SimpleNamespace(first_name="", last_name="", username="robot")
    assert formatting.person_name(nameless) == "robot"


def test_owner_in_lists_and_show_pages_reads_last_name_first_in_russian(
    app, client, make_user, login, make_company
):
    admin = login("Admin")
    owner = make_user("Manager", "afanasy")
    owner.first_name, owner.last_name = "Афанасий", "Емельянов"
    app.appbuilder.sm.update_user(owner)
    company = make_company(owner, name="Northwind")
    for url in ("/companyview/list/", f"/companyview/show/{company.id}"):
        text = visible_text(client.get(url).get_data(as_text=True))[0]
        assert "Емельянов Афанасий" in text, url
        assert "Афанасий Емельянов" not in text, url
    client.get("/lang/en")
    text = visible_text(client.get("/companyview/list/").get_data(as_text=True))[0]
    assert "Афанасий Емельянов" in text
    assert admin.id != owner.id


def test_crm_person_template_filter(app, in_language):
    from types import SimpleNamespace

    in_language("ru")
    template = app.jinja_env.from_string("{{ user|crm_person }}")
    user = SimpleNamespace(first_name="Анна", last_name="Петрова", username="anna")
    assert template.render(user=user) == "Петрова Анна"


# Plural forms.


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        (1, "1 просроченная задача:"),
        (2, "2 просроченные задачи:"),
        (5, "5 просроченных задач:"),
        (21, "21 просроченная задача:"),
    ],
)
def test_russian_plural_of_a_real_message(in_language, count, expected):
    in_language("ru")
    message = ngettext("%(num)d overdue task:", "%(num)d overdue tasks:", count)
    assert message == expected


@pytest.mark.parametrize(
    ("count", "expected"),
    [(1, "1 record"), (2, "2 records"), (5, "5 records"), (21, "21 records")],
)
def test_english_plural_of_a_real_message(in_language, count, expected):
    in_language("en")
    message = ngettext(
        "%(name)s still owns %(num)d record. Move it with Team > Reassign clients "
        "and deactivate the user instead of deleting.",
        "%(name)s still owns %(num)d records. Move them with Team > Reassign "
        "clients and deactivate the user instead of deleting.",
        count,
        name="Anna",
    )
    assert f"owns {expected}." in message


# The command line speaks the default language.


def test_cli_messages_in_the_default_language(app):
    result = app.test_cli_runner().invoke(args=["crm", "init"])
    assert result.exit_code == 0, result.output
    assert "Роли, права и стадии воронки готовы." in result.output


def test_cli_ensure_admin_keeps_the_login_and_password_quoted(app, make_user):
    make_user("Manager")
    result = app.test_cli_runner().invoke(args=["crm", "ensure-admin"])
    assert result.exit_code == 0, result.output
    assert "Пользователи уже есть: войдите со своим логином и паролем" in result.output
