"""The pages the benchmark requests for one user, with the records they open."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import quote

from sqlalchemy import func, select

from app.models import Company, Contact, Deal, InboxItem, Task
from app.services.rules.visibility import scope_query, sees_everything
from app.views.capped_list import LIST_COUNT_CAP
from bench.search import search_queries

PAGE_SIZE = 25
FAR = 0.8  # the far page sits this far into the list

# label, view, model, sort column, search (FAB's "starts with", the first filter offered)
LISTS = (
    ("companies", "CompanyView", Company, "name", "_flt_0_name=Агро"),
    ("contacts", "ContactView", Contact, "last_name", "_flt_0_last_name=Иван"),
    ("deals", "DealView", Deal, "amount", "_flt_0_title=Поставка"),
    ("tasks", "TaskView", Task, "subject", "_flt_0_subject=Позвонить"),
)
PAGES = (
    ("My day", "/"),
    ("queue without a next task", "/queue/"),
    ("pipeline board", "/pipeline/"),
    ("chart: sales funnel", "/reports/funnel/"),
    ("chart: won and lost", "/reports/won-lost/"),
    ("chart: tasks by manager", "/reports/tasks/"),
    ("chart: no next task by manager", "/reports/no-next-task/"),
    ("chart: new clients", "/reports/new-clients/"),
    ("chart: speed to lead (8 weeks)", "/reports/speed-to-lead/"),
    ("chart: speed to lead (26 weeks)", "/reports/speed-to-lead/?weeks=26"),
    ("inbox: new leads", "/inbox/"),
    ("inbox: all leads", "/inbox/?state=all"),
    ("off cadence", "/off-cadence/"),
    ("sales plan against fact", "/plan/"),
    ("forecast", "/forecast/"),
    ("new client from a call (form)", "/first-call/"),
)
# The head's own pages.
HEAD_PAGES = (
    ("sales plan grid", "/plan/edit/"),
    ("duplicates report", "/duplicates/"),
)
# What the search box is timed with (labels of bench.search's queries), as a page and as
# the typing-ahead API.
SEARCHES = ("phone, last 7 digits", "name, the most common first word", "last name of a contact")


@dataclass
class Page:
    """One page to time: what it is, where, and which target applies."""

    label: str
    url: str
    kind: str  # "list" or "page"
    view: str = ""  # lists: FAB's view name, for the page size check


def visible_rows(session, user, model) -> int:
    """Return how many rows of the model the user's lists show."""
    return scope_query(session.query(func.count(model.id)), model, user).scalar()


def busiest(session, owner_id: int, link) -> int:
    """Return the id of the owner's record (by the task's link column) with the most tasks."""
    return session.scalar(
        select(link)
        .where(Task.owner_id == owner_id, link.is_not(None))
        .group_by(link)
        .order_by(func.count().desc(), link)
        .limit(1)
    )


def plan(session, user, manager_id: int, cap: int = LIST_COUNT_CAP,
         long_feed_id: int | None = None) -> list[Page]:
    """Return the pages to time for the user; shown records belong to the manager.

    `long_feed_id` is a client of the manager with 500 tasks: its card is timed too.

    Lists: the first page, a far page, sorted by a column, with a search. A list counts
    at most `cap` rows and pages up to there, so the far page lies within the cap.
    """
    pages = []
    for label, view, model, column, search in LISTS:
        base = f"/{view.lower()}/list/"
        far = int(min(visible_rows(session, user, model), cap) * FAR) // PAGE_SIZE
        pages += [
            Page(f"{label}: first page", base, "list", view),
            Page(f"{label}: page {far + 1}", f"{base}?page_{view}={far}", "list"),
            Page(f"{label}: sorted by {column}",
                 f"{base}?_oc_{view}={column}&_od_{view}=desc", "list"),
            Page(f"{label}: search", f"{base}?{search}", "list"),
        ]
    for label, link in (("company", Task.company_id), ("contact", Task.contact_id),
                        ("deal", Task.deal_id)):
        record_id = busiest(session, manager_id, link)
        pages.append(Page(f"{label} show page", f"/{label}view/show/{record_id}", "page"))
    if long_feed_id is not None:
        pages.append(Page("card with a long feed (500 tasks)",
                          f"/companyview/show/{long_feed_id}", "card"))
    task_id = planned_tasks(session, manager_id, 1)[0][0]
    pages.append(Page("complete-task form", f"/taskview/complete/{task_id}", "page"))
    pages += [Page(label, url, "page") for label, url in PAGES]
    item_id = session.scalar(select(InboxItem.id).where(
        InboxItem.owner_id == manager_id, InboxItem.state == "new").order_by(InboxItem.id))
    if item_id is not None:
        pages.append(Page("inbox item", f"/inbox/{item_id}", "page"))
    for label, query in search_queries(session, manager_id):
        if label.startswith(SEARCHES):
            pages += [Page(f"search box: {label}", f"/search/?q={quote(query)}", "page"),
                      Page(f"search as you type: {label}",
                           f"/api/v1/search?q={quote(query)}", "page")]
    if sees_everything(user):
        pages += [Page(label, url, "page") for label, url in HEAD_PAGES]
        # The head's home page is the team day; her own day has its own address.
        pages = [page for page in pages if page.url != "/"]
        pages += [Page("team day", "/", "page"), Page("My day", "/my-day/", "page")]
    return pages


def planned_tasks(session, owner_id: int, count: int) -> list[tuple[int, int]]:
    """Return the id and version of `count` planned tasks of the owner."""
    rows = session.execute(
        select(Task.id, Task.version)
        .where(Task.owner_id == owner_id, Task.state == "planned", Task.archived.is_(False))
        .order_by(Task.id.desc())
        .limit(count)
    )
    return [tuple(row) for row in rows]


def completion(task_id: int, version: int) -> tuple[str, dict]:
    """Return the URL and form of completing a task with a result and a next task."""
    due = (datetime.now() + timedelta(days=3)).replace(hour=10, minute=0)
    return f"/taskview/complete/{task_id}", {
        "outcome": "done", "result": "Поговорили, клиент думает",
        "next_type": "call", "next_subject": "Перезвонить: узнать решение",
        "next_due_at": due.strftime("%Y-%m-%dT%H:%M"), "version_seen": str(version),
    }
