"""Every screen route with hostile arguments, as every role: never a 500, nothing written.

The URL map is walked: each GET route gets every query argument the screens read (FAB's
list filters, paging and sorting of each view, and the CRM's own) set at once to a hostile
value, and each route with a record id in its path gets ids no record can have; each POST
route gets every form field the screens post set to the same values. The values are the
classes found by probing: NUL bytes, broken characters, huge and negative numbers, dates
out of range, blanks and words where numbers belong. The API has its own fuzz test
(tests/test_api_fuzz.py); logging in and out, deleting and list actions are writes by
design, tested on their own.
"""

from urllib.parse import quote

import pytest
from sqlalchemy import func, select

from app.models import Company, Contact, Deal, HistoryEntry, Stage, Task

# Pre-encoded: the bytes of a lone surrogate, which no client can send as text.
BROKEN_CHARACTER = "%ED%A0%80"
VALUES = ("\x00", BROKEN_CHARACTER, "1e400", "-1", "99999999999999999999", "0000-01-01",
          "9999-12-31 23:59:59", " ", "abc")
PATH_VALUES = ("%00", BROKEN_CHARACTER, "99999999999999999999", "-1", "abc")
# What the CRM's own screens read besides FAB's list arguments.
QUERY_ARGUMENTS = ("q", "next", "page", "kind", "company", "contact", "deal", "manager", "from",
                   "to", "months", "weeks", "stage", "stage_id", "from_user", "to_user", "_l_",
                   "token")
FORM_FIELDS = (
    "name", "legal_name", "inn", "industry", "website", "phone", "mobile_phone", "email",
    "second_email", "address", "status", "lost_reason", "source", "owner", "notes",
    "last_name", "first_name", "middle_name", "position", "company", "contact", "deal",
    "birthday", "spouse_name", "preferences", "title", "stage", "amount", "currency",
    "expected_close_date", "type", "subject", "due_at", "state", "result", "next_type",
    "next_subject", "next_due_at", "version", "version_seen", "outcome", "deal_stage",
    "client_lost", "stage_id", "manager", "from_user", "to_user", "confirm", "batch",
    "file", "kind", "code", "kind_of_stage", "position", "probability", "label",
)
# Writes by design (tested elsewhere), or FAB's log in / out and its user screens.
SKIPPED_ENDPOINTS = (".delete", ".action", ".action_post", ".download", "CrmAuthDBView.",
                     "UtilView.back", "CalendarView.regenerate", "static")
WRITTEN = (Company, Contact, Deal, Task, HistoryEntry, Stage)


def _encode(value: str) -> str:
    return value if value == BROKEN_CHARACTER else quote(value, safe="")


def _view_arguments(app) -> dict[str, list[str]]:
    """Return the list arguments of each FAB view: filters, paging, sorting."""
    names = {}
    for view in app.appbuilder.baseviews:
        filters = getattr(view, "_filters", None)
        if filters is None:
            continue
        name = type(view).__name__
        arguments = [f"page_{name}", f"psize_{name}", f"_oc_{name}", f"_od_{name}"]
        for column, column_filters in filters.get_search_filters().items():
            arguments += [f"_flt_{index}_{column}" for index in range(len(column_filters))]
        names[view.endpoint] = arguments
    return names


def _routes(app, ids: dict) -> list[tuple[str, str, str]]:
    """Return (method, path with valid ids, endpoint) of every route to fuzz."""
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith(("/api/", "/static", "/appbuilder/")) or any(
                part in rule.endpoint for part in SKIPPED_ENDPOINTS):
            continue
        values = {}
        for argument in rule.arguments:
            values[argument] = {"pk": str(ids.get(rule.endpoint.split(".")[0], 1)),
                                "kind": "company", "fmt": "csv", "locale": "ru",
                                "version": "v1", "token": "x", "group_by": "1"}.get(argument, "x")
        path = rule.rule
        for argument, value in values.items():
            path = path.replace(f"<{argument}>", value)
            for converter in ("int", "string"):
                path = path.replace(f"<{converter}:{argument}>", value)
        for method in ("GET", "POST"):
            if method in rule.methods:
                routes.append((method, path, rule.endpoint))
    return sorted(routes)


def _hostile_paths(path: str, ids: dict) -> list[str]:
    """Return the path with each of its ids replaced by ids no record can have."""
    paths = []
    for record_id in {str(value) for value in ids.values()}:
        segment = f"/{record_id}"
        if path.endswith(segment) or f"{segment}/" in path:
            paths += [path.replace(segment, f"/{value}", 1) for value in PATH_VALUES]
    return paths


def _written(session) -> tuple:
    """Return what a write would change: rows and versions of the business tables."""
    session.expire_all()
    counts = tuple(session.scalar(select(func.count()).select_from(model)) for model in WRITTEN)
    versions = tuple(session.scalar(select(func.sum(model.version)))
                     for model in (Company, Contact, Deal, Task))
    return counts + versions


@pytest.fixture
def book(make_user, make_company, make_contact, make_deal, make_task):
    """A manager's company, private client, deal and tasks; ids by view."""
    manager = make_user("Manager", "fuzz_manager")
    company = make_company(manager, "ООО Фаззинг")
    private = make_contact(manager, "Фаззингов")
    deal = make_deal(manager, company=company)
    task = make_task(manager, company=company, deal=deal)
    make_task(manager, contact=private)
    return manager, {"CompanyView": company.id, "ContactView": private.id, "DealView": deal.id,
                     "TaskView": task.id, "PipelineView": deal.id, "ArchiveView": company.id}


def _send(client, method: str, url: str, fields: tuple[str, ...], value: str):
    if method == "GET":
        return client.get(url)
    body = "&".join(f"{quote(name)}={_encode(value)}" for name in fields)
    return client.post(url, data=body, content_type="application/x-www-form-urlencoded")


def test_hostile_arguments_never_answer_500_nor_write(app, client, login, make_user, session,
                                                      book):
    manager, ids = book
    view_arguments = _view_arguments(app)
    routes = _routes(app, ids)
    before = _written(session)
    failures, sent = [], 0
    users = {"Manager": manager, "Head": make_user("Head"), "Admin": make_user("Admin")}
    for role in ("anonymous", "Manager", "Head", "Admin"):
        client.post("/logout/")
        if role != "anonymous":
            login(user=users[role])
        for method, path, endpoint in routes:
            names = QUERY_ARGUMENTS + tuple(view_arguments.get(endpoint.split(".")[0], ()))
            requests = []
            # Before logging in every route but the public ones answers with the login page.
            for value in VALUES if role != "anonymous" else VALUES[:3]:
                query = "&".join(f"{quote(name)}={_encode(value)}" for name in names)
                requests.append((f"{path}?{query}", value))
            requests += [(hostile, "x") for hostile in _hostile_paths(path, ids)]
            for url, value in requests:
                sent += 1
                try:
                    response = _send(client, method, url, FORM_FIELDS, value)
                    response.get_data()  # a streamed answer runs to its end
                    status = response.status_code
                except Exception as error:  # noqa: BLE001 - every failure is reported
                    session.rollback()
                    status = f"{type(error).__name__}: {error}"[:200]
                if status == 500 or not isinstance(status, int):
                    failures.append(f"{role} {method} {url[:160]!r}: {status}")
    assert not failures, f"{len(failures)} of {sent} requests failed:\n" + "\n".join(
        failures[:40])
    assert _written(session) == before, "a hostile request wrote to the database"
    assert sent > 2000, sent  # the walk reached the routes
