"""Dates typed and shown the user's way: ДД.ММ.ГГГГ in Russian, MM/DD/YYYY in English, ISO
accepted in both, in every date field (birthday, expected close date, list filters)."""

from datetime import date

import pytest

from app.models import Contact, Deal
from tests.helpers import count, field_errors, field_value


@pytest.fixture
def in_language(app):
    """Run the rest of the test in a request speaking this language."""
    from flask_babel import force_locale

    entered = []

    def enter(language: str) -> None:
        context, forced = app.test_request_context(), force_locale(language)
        context.push()
        forced.__enter__()
        entered.append((context, forced))

    yield enter
    for context, forced in reversed(entered):
        forced.__exit__(None, None, None)
        context.pop()


def _use_language(client, language: str) -> None:
    assert client.get(f"/lang/{language}").status_code in (200, 302)


@pytest.mark.parametrize(
    ("language", "typed", "expected"),
    [
        ("ru", "09.12.1975", date(1975, 12, 9)),
        ("ru", "9.12.1975", date(1975, 12, 9)),
        ("ru", "09/12/1975", date(1975, 12, 9)),
        ("ru", "1975-12-09", date(1975, 12, 9)),
        ("en", "12/09/1975", date(1975, 12, 9)),
        ("en", "09.12.1975", date(1975, 12, 9)),
        ("en", " 1975-12-09 ", date(1975, 12, 9)),
        ("en", "", None),
    ],
)
def test_a_date_is_read_the_users_way_or_as_iso(in_language, language, typed, expected):
    from app.formatting import parse_date_text

    in_language(language)
    assert parse_date_text(typed) == expected


@pytest.mark.parametrize(
    "typed", ["15-04-28", "31.02.2020", "1975", "09.12.75", "99/99/9999", "09.12.1975\x00",
              "٠٩.١٢.١٩٧٥", "0000-01-01", "10000-01-01"],
)
def test_anything_else_is_not_a_date(in_language, typed):
    from app.formatting import parse_date_text

    in_language("ru")
    with pytest.raises(ValueError):
        parse_date_text(typed)


@pytest.mark.parametrize(
    ("language", "typed", "shown"),
    [("ru", "09.12.1975", "09.12.1975"), ("en", "12/09/1975", "12/09/1975"),
     ("en", "1975-12-09", "12/09/1975")],
)
def test_a_birthday_typed_the_users_way_is_saved_and_shown_back_so(
    client, login, session, language, typed, shown
):
    login("Manager")
    _use_language(client, language)
    response = client.post("/contactview/add", data={
        "last_name": "Петрова", "first_name": "Анна", "birthday": typed,
    })
    assert response.status_code == 302, field_errors(response.get_data(as_text=True), "birthday")
    session.expire_all()
    contact = session.query(Contact).one()
    assert contact.birthday == date(1975, 12, 9)
    page = client.get(f"/contactview/edit/{contact.id}").get_data(as_text=True)
    assert field_value(page, "birthday") == shown


@pytest.mark.parametrize(
    ("language", "message"),
    [("ru", "Дата рождения: введите дату в виде ДД.ММ.ГГГГ."),
     ("en", "Birthday: enter a date as MM/DD/YYYY.")],
)
def test_a_wrong_birthday_is_refused_naming_the_field_and_kept_as_typed(
    client, login, session, language, message
):
    login("Manager")
    _use_language(client, language)
    response = client.post("/contactview/add", data={
        "last_name": "Петрова", "first_name": "Анна", "birthday": "15-04-28",
    })
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert field_errors(page, "birthday") == [message]
    assert field_value(page, "birthday") == "15-04-28"
    assert count(session, Contact) == 0


@pytest.mark.parametrize(
    ("language", "picker", "placeholder"),
    [("ru", "dd.mm.yyyy", "ДД.ММ.ГГГГ"), ("en", "mm/dd/yyyy", "MM/DD/YYYY")],
)
def test_date_fields_ask_for_the_users_format_and_a_birthday_opens_on_years(
    client, login, language, picker, placeholder
):
    login("Manager")
    _use_language(client, language)
    contact_form = client.get("/contactview/add").get_data(as_text=True)
    deal_form = client.get("/dealview/add").get_data(as_text=True)
    for page, field in ((contact_form, "birthday"), (deal_form, "expected_close_date")):
        tag = page[page.index(f'name="{field}"') - 400:page.index(f'name="{field}"') + 400]
        assert f'data-date-format="{picker}"' in tag, field
        assert f'data-date-language="{language}"' in tag, field
        assert f'placeholder="{placeholder}"' in tag, field
        assert "appbuilder_date" not in tag, field  # FAB's ISO-only set-up stays off
    birthday = contact_form[contact_form.index('name="birthday"') - 400:]
    assert 'data-date-start-view="years"' in birthday[:800]
    assert 'data-date-start-view' not in deal_form


def test_an_expected_close_date_typed_in_russian_is_saved(
    client, login, session, stage, make_company
):
    manager = login("Manager")
    company_id = make_company(manager).id
    response = client.post("/dealview/add", data={
        "title": "Поставка", "company": str(company_id), "stage": str(stage("cold").id),
        "currency": "rub", "expected_close_date": "31.01.2027",
    })
    assert response.status_code == 302, field_errors(
        response.get_data(as_text=True), "expected_close_date")
    session.expire_all()
    assert session.query(Deal).one().expected_close_date == date(2027, 1, 31)


@pytest.mark.parametrize(("language", "typed"), [("ru", "09.12.1975"), ("en", "12/09/1975")])
def test_the_lists_date_filter_reads_the_users_way(
    client, login, make_contact, language, typed
):
    manager = login("Manager")
    _use_language(client, language)
    make_contact(manager, "Петрова", birthday=date(1975, 12, 9))
    make_contact(manager, "Сидорова", birthday=date(1975, 9, 12))
    page = client.get(f"/contactview/list/?_flt_0_birthday={typed}").get_data(as_text=True)
    assert "Петрова" in page
    assert "Сидорова" not in page


@pytest.mark.parametrize(
    ("language", "query", "found"),
    [
        ("ru", "_flt_0_due_at=09.12.2030", {"Утром", "Вечером"}),
        ("en", "_flt_0_due_at=12/09/2030", {"Утром", "Вечером"}),
        ("ru", "_flt_1_due_at=09.12.2030", {"Завтра"}),
        ("ru", "_flt_2_due_at=09.12.2030", {"Вчера"}),
        ("ru", "_flt_3_due_at=09.12.2030", {"Вчера", "Завтра"}),
    ],
)
def test_the_task_lists_due_filter_takes_a_day_typed_the_users_way(
    client, login, make_company, make_task, language, query, found
):
    from datetime import datetime

    manager = login("Manager")
    _use_language(client, language)
    company = make_company(manager)
    for subject, due in (("Вчера", datetime(2030, 12, 8, 23, 59)),
                         ("Утром", datetime(2030, 12, 9, 0, 0)),
                         ("Вечером", datetime(2030, 12, 9, 18, 30)),
                         ("Завтра", datetime(2030, 12, 10, 9, 0))):
        make_task(manager, company=company, subject=subject, due_at=due)
    page = client.get(f"/taskview/list/?{query}").get_data(as_text=True)
    subjects = {"Вчера", "Утром", "Вечером", "Завтра"}
    assert {subject for subject in subjects if f">{subject}<" in page} == found


def test_the_task_lists_due_filter_field_is_a_date_field_without_fabs_picker(client, login):
    login("Manager")
    page = client.get("/taskview/list/").get_data(as_text=True)
    # FAB's filters script receives each field's HTML as JSON.
    assert r'"due_at": "\u003cdiv class=\"input-group crm-date\"' in page
    assert "appbuilder_datetime" not in page  # its set-up calls a script FAB never loads


@pytest.mark.parametrize(
    ("language", "query", "shown"),
    [
        ("ru", "from=01.2026&to=03.2026", ("01.2026", "03.2026")),
        ("en", "from=01/2026&to=03/2026", ("01/2026", "03/2026")),
        ("en", "from=2026-01&to=2026-03", ("01/2026", "03/2026")),
    ],
)
def test_report_months_are_typed_and_shown_the_users_way(client, login, language, query, shown):
    import re

    login("Head")
    _use_language(client, language)
    page = client.get(f"/reports/won-lost/?{query}").get_data(as_text=True)
    values = {name: re.search(rf'name="{name}"[^>]*value="([^"]*)"', page, re.S).group(1)
              for name in ("from", "to")}
    assert (values["from"], values["to"]) == shown  # unread months fall back to the last 12


@pytest.mark.parametrize("language", ["ru", "en"])
def test_a_date_exported_in_the_users_language_is_imported_back_unchanged(
    in_language, language
):
    from app import formatting
    from app.services.io.importer import parse_date

    in_language(language)
    for day in (date(1975, 12, 9), date(1980, 1, 31), date(2026, 11, 26)):
        assert parse_date(formatting.date_text(day)) == day
