"""The catalogues: complete, filled in, compilable, and no English left on Russian screens.

The extraction here mirrors `make catalog` (babel.cfg and the same keywords), so a msgid
added to the code without running `make catalog` and translating it fails the first test.
"""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from app.models.mixins import local_now
from tests.helpers_catalogues import (
    LANGUAGES,
    ROOT,
    compile_catalogues,
    po_path,
    read_catalog,
    visible_text,
)

# `make catalog` passes -k _l -k lazy_gettext -k _ -k gettext -k ngettext:1,2 on top of
# pybabel's default keywords (pgettext and friends included). lazy_pgettext is listed too:
# a msgid with a context used through it fails here until the Makefile extracts it as well.
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "lazy_pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")


def _name(message_id) -> str:
    return repr(message_id if isinstance(message_id, str) else message_id[0])


def _forms(value) -> tuple[str, ...]:
    if isinstance(value, (list, tuple)):
        return tuple(value)
    return (value,)


@pytest.fixture(scope="module", autouse=True)
def _fresh_catalogues(app):
    """Make sure the app reads up-to-date .mo files, even without `make translations` first."""
    if compile_catalogues():
        # Flask-Babel caches the catalogues it has loaded: forget them.
        app.extensions["babel"].instance.domain_instance.cache.clear()


@pytest.fixture(scope="module")
def catalogs():
    return {language: read_catalog(language) for language in LANGUAGES}


@pytest.fixture(scope="module")
def extracted():
    """Every (msgid, context) the code uses, with where it is used, as `make catalog` sees it."""
    with (ROOT / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    app_dir = ROOT / "app"

    def in_app(path: str) -> bool:
        # Only app/ holds extractable sources; skip the rest of the tree (the virtualenv...).
        directory = Path(path)
        return not directory.name.startswith((".", "_")) and (
            directory == app_dir or app_dir in directory.parents
        )

    found: dict[tuple[str, str | None], list[str]] = {}
    for filename, lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=in_app
    ):
        message_id = message if isinstance(message, str) else message[0]
        if message_id:
            found.setdefault((message_id, context), []).append(f"{filename}:{lineno}")
    assert found, "the extractor found no msgid at all: check babel.cfg"
    return found


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_msgid_is_in_the_catalogue(language, catalogs, extracted):
    catalog = catalogs[language]
    missing = sorted(
        f"{message_id!r}" + (f" (context {context!r})" if context else "") + f" at {where[0]}"
        for (message_id, context), where in extracted.items()
        if catalog.get(message_id, context=context) is None
    )
    assert not missing, (
        f"{len(missing)} msgid(s) missing from the {language} catalogue; run `make catalog` "
        "and translate them:\n" + "\n".join(missing)
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_no_empty_or_fuzzy_translation(language, catalogs):
    catalog = catalogs[language]
    empty = [_name(m.id) for m in catalog if m.id and not all(_forms(m.string))]
    fuzzy = [_name(m.id) for m in catalog if m.id and m.fuzzy]
    assert not catalog.fuzzy, f"the {language} catalogue header is marked fuzzy"
    assert not empty, f"empty translations in {language}:\n" + "\n".join(empty)
    assert not fuzzy, f"fuzzy translations in {language}:\n" + "\n".join(fuzzy)


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_header_names_its_language(language):
    with po_path(language).open("rb") as handle:
        catalog = read_po(handle)  # the locale comes from the header's Language
    assert str(catalog.locale) == language


def test_russian_plural_forms_header():
    catalog = read_catalog("ru")
    assert catalog.num_plurals == 3
    assert catalog.plural_expr.replace(" ", "") == (
        "(n%10==1&&n%100!=11?0:n%10>=2&&n%10<=4&&(n%100<10||n%100>=20)?1:2)"
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_compiles(language, catalogs, tmp_path):
    catalog = catalogs[language]
    problems = [
        f"{_name(message.id)}: {'; '.join(str(error) for error in errors)}"
        for message, errors in catalog.check()
    ]
    assert not problems, f"{language} catalogue errors:\n" + "\n".join(problems)
    mo_path = tmp_path / "messages.mo"
    with mo_path.open("wb") as handle:
        write_mo(handle, catalog)
    with mo_path.open("rb") as handle:
        compiled = read_mo(handle)
    translated = [m for m in catalog if m.id and all(_forms(m.string)) and not m.fuzzy]
    lost = [_name(m.id) for m in translated if compiled.get(m.id, context=m.context) is None]
    assert not lost, f"left out of the compiled {language} catalogue: " + ", ".join(lost)


def test_russian_plural_forms_at_run_time(app):
    """The app's merged catalogues choose the Russian plural form (1, 2-4, 5-20, 21...)."""
    from flask_babel import force_locale, get_translations

    with app.test_request_context(), force_locale("ru"):
        plural = get_translations().plural
        assert [plural(n) for n in (1, 3, 5, 11, 21, 22, 25, 111)] == [0, 1, 2, 2, 0, 1, 2, 2]


def _placeholders(text: str) -> list[str]:
    return sorted(name or kind for name, kind in PLACEHOLDER.findall(text or "") if kind != "%")


@pytest.mark.parametrize("language", LANGUAGES)
def test_placeholders_match(language, catalogs):
    wrong = []
    for message in catalogs[language]:
        if not message.id or not all(_forms(message.string)):
            continue  # empty translations fail test_no_empty_or_fuzzy_translation
        expected = sorted(set().union(*(_placeholders(form) for form in _forms(message.id))))
        forms = [_placeholders(form) for form in _forms(message.string)]
        if message.pluralizable:
            # A plural form may leave the count out ("One record"), never add a name.
            ok = (
                all(set(form) <= set(expected) for form in forms)
                and sorted(set().union(*map(set, forms))) == expected
            )
        else:
            ok = forms[0] == _placeholders(message.id)
        if not ok:
            wrong.append(f"{_name(message.id)} -> {message.string!r}")
    assert not wrong, f"placeholders differ in {language}:\n" + "\n".join(wrong)


def untranslated_on_page(html: str, msgids) -> list[str]:
    """Return the msgids that show on the page as whole words (or as strings in scripts)."""
    text, scripts = visible_text(html)
    found = []
    for message_id in msgids:
        word = re.compile(r"(?<![\w-])" + re.escape(message_id) + r"(?![\w-])")
        quoted = re.compile(r"""['"]""" + re.escape(message_id) + r"""['"]""")
        if word.search(text) or quoted.search(scripts):
            found.append(message_id)
    return found


@pytest.fixture(scope="module")
def english_only_msgids(catalogs):
    """Our msgids whose Russian differs from the English: none may show on a Russian page."""
    msgids = set()
    for message in catalogs["ru"]:
        for message_id, string in zip(_forms(message.id), _forms(message.string), strict=False):
            if len(message_id) > 3 and string and string != message_id:
                msgids.add(message_id)
    return sorted(msgids, key=len, reverse=True)


def test_visible_text_helper():
    html = (
        '<p title="Edit record">Сделки <b>Deal</b></p><script>confirm("Delete")</script>'
        "<style>.Company {}</style><span>Companies-list Dealer</span>"
    )
    assert untranslated_on_page(html, ["Edit record", "Deal", "Delete", "Company"]) == [
        "Edit record",
        "Deal",
        "Delete",
    ]


@pytest.fixture
def sample_records(login, make_company, make_contact, make_deal, make_task):
    admin = login("Admin")
    company = make_company(admin)
    contact = make_contact(admin, company=company)
    deal = make_deal(admin, company=company, contact=contact)
    task = make_task(admin, company=company, deal=deal, due_at=local_now() - timedelta(hours=1))
    return {"CompanyView": company, "ContactView": contact, "DealView": deal, "TaskView": task}


# Further screens, walked when the app has them: (endpoint, view whose record it takes).
OTHER_PAGES = (
    ("TaskView.complete", "TaskView"),
    ("ReassignView.index", None),
    ("ReassignmentView.list", None),
    ("QueueView.index", None),
    ("CalendarView.index", None),
    ("PipelineView.index", None),
    ("FunnelReportView.index", None),
    ("WonLostReportView.index", None),
    ("TaskReportView.index", None),
    ("NoNextTaskReportView.index", None),
    ("NewClientsReportView.index", None),
    # The admin's screens.
    ("CrmUserDBModelView.list", None),
    ("CrmUserDBModelView.add", None),
    ("CrmUserDBModelView.show", "CrmUserDBModelView"),
    ("CrmUserDBModelView.edit", "CrmUserDBModelView"),
    ("CrmUserDBModelView.userinfo", None),
    ("AccessRightsView.index", None),
    ("CrmRoleView.list", None),
)
# FAB's own English (and FAB's Russian typo) that its catalogue leaves on Russian screens.
FAB_LEFTOVERS = (
    "Login Count", "Failed Login Count", "Login count", "Failed login count", "Email",
    "True", "False", "List Users", "User's Statistics", "Is Active?",
    "The user group on the application", "The user role on the application",
    "опредляющая", "Ваши данные",
)


def _main_pages(app, primary_keys: dict[str, int]) -> list[str]:
    """Home, the list, show, add and edit page of each view, then the other screens."""
    from flask import url_for

    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    with app.test_request_context():
        pages = [url_for("CrmIndexView.index")]
        for view, pk in primary_keys.items():
            pages += [
                url_for(f"{view}.list"),
                url_for(f"{view}.show", pk=pk),
                url_for(f"{view}.add"),
                url_for(f"{view}.edit", pk=pk),
            ]
        for endpoint, view in OTHER_PAGES:
            if endpoint in endpoints:
                arguments = {"pk": primary_keys[view]} if view else {}
                pages.append(url_for(endpoint, **arguments))
    return pages


def test_company_list_follows_the_language(app, client, login):
    login("Admin")
    page = client.get("/companyview/list/").get_data(as_text=True)
    assert "Компании" in page and "Ответственный" in page
    assert client.get("/lang/en").status_code == 302
    page = client.get("/companyview/list/").get_data(as_text=True)
    assert "Companies" in page and "Owner" in page
    assert "Компании" not in visible_text(page)[0]


# English that the screens still show and only a change in app code can remove.
@pytest.fixture(scope="module")
def _walk_results() -> dict:
    return {}


@pytest.fixture
def russian_leaks(request, app, client, stage, english_only_msgids, _walk_results):
    """Walk the main pages in Russian once; return {English msgid: [pages showing it]}."""
    if "leaks" in _walk_results:
        return _walk_results["leaks"]
    records = request.getfixturevalue("sample_records")
    primary_keys = {view: record.id for view, record in records.items()}
    leaks: dict[str, list[str]] = {}
    primary_keys["StageView"] = stage("lost").id
    primary_keys["CrmUserDBModelView"] = records["CompanyView"].owner_id
    for url in _main_pages(app, primary_keys):
        response = client.get(url)
        assert response.status_code == 200, f"{url} answered {response.status_code}"
        html = response.get_data(as_text=True)
        # "Ваши данные" is right on one's own profile only.
        leftovers = [text for text in FAB_LEFTOVERS if text != "Ваши данные" or "/show/" in url]
        for message_id in untranslated_on_page(html, [*english_only_msgids, *leftovers]):
            leaks.setdefault(message_id, []).append(url)
    _walk_results["leaks"] = leaks
    return leaks


def test_russian_pages_show_no_english_msgid(russian_leaks):
    leaks = russian_leaks
    assert not leaks, "English on Russian pages (text not passed through gettext?):\n" + (
        "\n".join(f"{message_id!r} on {', '.join(urls)}" for message_id, urls in leaks.items())
    )


def test_refused_save_explains_in_russian(client, login):
    login("Admin")
    response = client.post(
        "/companyview/add", data={"name": "ООО Ромашка", "inn": "12345", "status": "active"}
    )
    text = visible_text(response.get_data(as_text=True))[0]
    assert "ИНН должен состоять из 10 или 12 цифр." in text
    assert "INN must have" not in text
