"""Every page in English shows no Russian of our own.

The walk switches to English (GET /lang/en), then opens every page of the app as Admin,
with sample records whose own names are Latin: any Cyrillic on a page is then text of
the app that did not go through the English catalogue (a Russian literal in code or a
template, a seeded label without a msgid). The one exception is the language menu, which
names Russian in Russian.
"""

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from flask import url_for

from app.models.mixins import local_now
from tests.helpers_catalogues import visible_text

CYRILLIC = re.compile(r"[А-Яа-яЁё][А-Яа-яЁё\w\-]*")
# FAB's language menu: the name of each language in that language.
ALLOWED = {"Русский"}
# GET routes that are no page to read: actions, downloads, files, switches, the API.
NOT_PAGES = re.compile(
    r"\.(action|delete|download|export|feed|back|logout)$|^(LocaleView|static|appbuilder)\b"
    r"|^favicon$"
)
CONTEXT = 60


def _sample(app, session, make_user, make_company, make_contact, make_deal, make_task, stage):
    """Records of every kind, with Latin names, for the pages that show one."""
    from flask_babel import force_locale

    from app.models import Reassignment
    from app.services.rules.reassignment import reassign

    sm = app.appbuilder.sm
    admin = sm.find_user(username="admin_en")
    leaving = make_user("Manager", "george")
    leaving.first_name, leaving.last_name = "George", "Harrison"
    taking = make_user("Manager", "paul")
    taking.first_name, taking.last_name = "Paul", "McCartney"
    session.commit()
    company = make_company(
        leaving,
        name="Northwind Traders",
        inn="7707083893",
        industry="Wholesale",
        address="1 Main Street, Springfield",
    )
    contact = make_contact(
        leaving,
        last_name="Smith",
        first_name="John",
        company=company,
        position="Buyer",
        email="john.smith@example.com",
    )
    private = make_contact(
        leaving,
        last_name="Brown",
        first_name="Mary",
        birthday=local_now().date() + timedelta(days=2),
    )
    deal = make_deal(
        leaving,
        company=company,
        contact=contact,
        title="Spring supply",
        amount=Decimal("1234567.89"),
        expected_close_date=local_now().date() + timedelta(days=30),
    )
    make_deal(leaving, contact=private, title="Private order", stage=stage("won"))
    task = make_task(
        leaving,
        company=company,
        deal=deal,
        subject="Call back about the offer",
        due_at=local_now() - timedelta(hours=1),
    )
    make_task(
        leaving,
        contact=private,
        subject="Send the price list",
        due_at=local_now() + timedelta(hours=1),
    )
    # The admin works in English: the introduction task it plans is written in English.
    with force_locale("en"):
        reassign(session, admin, leaving, taking)
    # A record of the team lead left without a next task, for the queue and its report.
    make_company(admin, name="Globex Corporation")
    return {
        "CompanyView": company.id,
        "ContactView": contact.id,
        "DealView": deal.id,
        "TaskView": task.id,
        "StageView": stage("lost").id,
        "ReassignmentView": session.query(Reassignment.id).scalar(),
        "CrmUserDBModelView": taking.id,
    }


def _first_id(session, model) -> int:
    return session.query(model.id).order_by(model.id).limit(1).scalar()


def _security_ids(app, session) -> dict[str, int]:
    sm = app.appbuilder.sm
    models = {
        "RoleModelView": sm.role_model,
        "PermissionModelView": sm.permission_model,
        "ViewMenuModelView": sm.viewmenu_model,
        "PermissionViewModelView": sm.permissionview_model,
    }
    ids = {view: _first_id(session, model) for view, model in models.items()}
    group_model = getattr(sm, "group_model", None)
    if group_model is not None:
        ids["UserGroupModelView"] = _first_id(session, group_model)
    return ids


def _refused(app, endpoint: str) -> bool:
    """Whether the view leaves the endpoint's permission out (FAB answers 403 even to Admin)."""
    views = {type(view).__name__: view for view in app.appbuilder.baseviews}
    view_name, _, method = endpoint.partition(".")
    view = views.get(view_name)
    if view is None or view.base_permissions is None:
        return False
    if not hasattr(getattr(view, method, None), "_permission_name"):
        return False  # not behind a permission (the home page, the login form)
    permission = "can_" + view.method_permission_name.get(method, method)
    return permission not in view.base_permissions


def every_page(app, primary_keys: dict[str, int]) -> list[tuple[str, int]]:
    """Return (URL, expected status) of every GET page of the app, records' pages included."""
    pages = []
    with app.test_request_context():
        for rule in sorted(app.url_map.iter_rules(), key=lambda rule: rule.rule):
            if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static")):
                continue
            if NOT_PAGES.search(rule.endpoint):
                continue
            view = rule.endpoint.split(".")[0]
            arguments = {}
            for name in rule.arguments:
                if name == "pk" and primary_keys.get(view) is not None:
                    arguments["pk"] = primary_keys[view]
                elif name == "version":
                    arguments["version"] = "v1"
            if set(arguments) != set(rule.arguments):
                continue  # a parameter we cannot fill: no record of that kind
            pages.append(
                (url_for(rule.endpoint, **arguments), 403 if _refused(app, rule.endpoint) else 200)
            )
    return pages


def cyrillic_on_page(html: str) -> list[str]:
    """Return each Cyrillic word of the readable text (scripts too), with its context."""
    text, scripts = visible_text(html)
    found = []
    for source in (text, scripts):
        for match in CYRILLIC.finditer(source):
            if match.group() in ALLOWED:
                continue
            start, end = max(match.start() - CONTEXT, 0), match.end() + CONTEXT
            found.append(f"{match.group()!r} in …{source[start:end]}…")
    return found


def test_cyrillic_helper():
    html = (
        '<li><a href="/lang/ru">- Русский</a></li><p title="Сохранить">Save</p>'
        "<script>alert('Удалить?')</script><p>Northwind</p>"
    )
    words = [leak.split(" in ")[0] for leak in cyrillic_on_page(html)]
    assert words == ["'Сохранить'", "'Удалить'"]


@pytest.fixture
def english_admin(client, make_user, login):
    admin = make_user("Admin", "admin_en")
    admin.first_name, admin.last_name = "Ada", "Lovelace"
    login(user=admin)
    assert client.get("/lang/en").status_code == 302
    return admin


def test_every_page_in_english_has_no_russian(
    app,
    client,
    session,
    english_admin,
    make_user,
    make_company,
    make_contact,
    make_deal,
    make_task,
    stage,
):
    primary_keys = _sample(
        app, session, make_user, make_company, make_contact, make_deal, make_task, stage
    )
    primary_keys.update(_security_ids(app, session))
    pages = every_page(app, primary_keys)
    assert len(pages) > 40, pages
    leaks: dict[str, list[str]] = {}
    for url, status in pages:
        response = client.get(url, follow_redirects=True)
        assert response.status_code == status, f"{url} answered {response.status_code}"
        if not response.mimetype.startswith("text/html"):
            continue
        found = cyrillic_on_page(response.get_data(as_text=True))
        if found:
            leaks[url] = found
    assert not leaks, "Russian on English pages:\n" + "\n".join(
        f"{url}: {'; '.join(words[:5])}" for url, words in leaks.items()
    )


def test_english_stays_after_login_again(app, client, english_admin, login):
    """The choice is the admin's: after logging out and in, the pages are English again."""
    login(user=english_admin)
    text = visible_text(client.get("/").get_data(as_text=True))[0]
    assert "My day" in text
    assert not [word for word in CYRILLIC.findall(text) if word not in ALLOWED]
