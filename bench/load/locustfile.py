"""Managers doing their day: My day, the lists, a company, searching, completing tasks,
new clients.

    locust -f bench/load/locustfile.py --headless -u 50 -r 10 -t 60s --host URL \
        --password PASSWORD --results-file results.json

Each simulated user logs in as one demo manager (manager1..managerN in turn, so with more
users than managers several users share a manager, as several browser tabs would), then
repeats weighted tasks. A request succeeds only with the status the screen answers when all
is well: 200 for a page, a 302 to the expected place for a form; anything else is a
failure. The writes each user made are counted; when the test stops (every user done with
its task), the totals and the request figures are written as JSON for the runner.
"""

import html
import itertools
import json
import math
import random
import re
import time
import uuid
from datetime import datetime, timedelta
from functools import cached_property
from urllib.parse import quote, urlsplit

from locust import FastHttpUser, between, events, task

# label, list address, a search (FAB's "starts with", the first filter a list offers)
LISTS = (
    ("companies", "/companyview/list/", "_flt_0_name=Агро"),
    ("contacts", "/contactview/list/", "_flt_0_last_name=Иван"),
    ("deals", "/dealview/list/", "_flt_0_title=Поставка"),
    ("tasks", "/taskview/list/", "_flt_0_subject=Позвонить"),
)
# What a caller says: a first word of company names, a last name, the end of a number.
SEARCHES = ("Агро", "Иванов", "4567", "Поставка")
COMPANY_LIST = "/companyview/list/"
PLANNED_TASKS = "/taskview/list/?_flt_0_state=planned"
HOME = "/"

# What the users wrote and the server confirmed, summed over all users of this process.
WRITES = {"companies_created": 0, "tasks_completed": 0}
_numbers = itertools.count()
# The working day once every user has logged in: when the last one did (a time.time()),
# and the milliseconds of each request started after it, per request name. During the
# ramp the logins' password hashing (slow on purpose) takes much of the processor.
STEADY = {"since": None, "started": None, "logins": 0, "refused": 0, "times": {}}


@events.init_command_line_parser.add_listener
def _options(parser) -> None:
    parser.add_argument("--managers", type=int, default=20, help="demo managers to log in as")
    parser.add_argument("--password", default="", help="the demo users' password")
    parser.add_argument("--results-file", default="",
                        help="write the confirmed writes and the request figures here")
    parser.add_argument("--wait", default="1-3",
                        help="think time between tasks, MIN-MAX seconds")


def _figures(entry) -> dict:
    """Return what the report shows of one locust stats entry."""
    return {
        "name": entry.name, "method": entry.method, "requests": entry.num_requests,
        "failures": entry.num_failures, "per_second": entry.total_rps,
        "median": entry.median_response_time,
        "p95": entry.get_response_time_percentile(0.95),
        # Milliseconds (rounded as locust keeps them) -> requests: for figures across names.
        "times": {str(ms): n for ms, n in entry.response_times.items()},
    }


@events.test_start.add_listener
def _note_start(**_kwargs) -> None:
    STEADY["started"] = time.time()


@events.request.add_listener
def _count_steady(name, response_time, exception=None, start_time=None, **_kwargs) -> None:
    """Keep the time of each request that succeeded after the logins (failures are counted
    by locust's own figures)."""
    since = STEADY["since"]
    if since is None or start_time is None or start_time < since or exception is not None:
        return
    times = STEADY["times"].setdefault(name, {})
    key = str(round(response_time))
    times[key] = times.get(key, 0) + 1


@events.test_stop.add_listener
def _save_results(environment, **_kwargs) -> None:
    path = environment.parsed_options.results_file
    if not path:
        return
    stats = environment.stats
    results = {
        "writes": WRITES,
        "requests": [_figures(entry) for entry in stats.entries.values()],
        "total": _figures(stats.total),
        "failures": [{"method": error.method, "name": error.name, "error": str(error.error),
                      "occurrences": error.occurrences} for error in stats.errors.values()],
        "steady": {"after_seconds": (None if STEADY["since"] is None
                                     else STEADY["since"] - (STEADY["started"]
                                                             or STEADY["since"])),
                   "refused_logins": STEADY["refused"], "times": STEADY["times"]},
        # A task that crashed in this file is no request failure, but the run is not clean.
        "exceptions": [{"count": row["count"], "message": row["msg"]}
                       for row in environment.runner.exceptions.values()],
    }
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(results, handle, ensure_ascii=False, indent=1)


_INPUT = re.compile(r"<input\b[^>]*>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
_HREF = re.compile(r'<a\b[^>]*\bhref="([^"]*)"', re.IGNORECASE)


class _Form:
    """The values of a page's hidden inputs and the addresses of its links, read on demand.

    Most pages are only looked at: reading every page's HTML would make the simulated users
    compete with the server for the same two cores.
    """

    def __init__(self, text: str) -> None:
        self.text = text

    @cached_property
    def hidden(self) -> dict[str, str]:
        found = {}
        for tag in _INPUT.findall(self.text):
            attributes = dict(_ATTRIBUTE.findall(tag))
            if attributes.get("type") == "hidden" and attributes.get("name"):
                found[attributes["name"]] = html.unescape(attributes.get("value", ""))
        return found

    @cached_property
    def links(self) -> list[str]:
        return [html.unescape(link) for link in _HREF.findall(self.text)]


def _ids(links: list[str], prefix: str) -> list[int]:
    """Return the record ids of the links that start with `prefix` (`/taskview/show/`)."""
    found = []
    for link in links:
        path = urlsplit(link).path
        if path.startswith(prefix) and path[len(prefix):].isdigit():
            found.append(int(path[len(prefix):]))
    return list(dict.fromkeys(found))


def _think_time(user) -> float:
    low, _, high = user.environment.parsed_options.wait.partition("-")
    return between(float(low), float(high or low))(user)


class Manager(FastHttpUser):
    """A manager working through the day.

    FastHttpUser (geventhttpclient) rather than HttpUser (requests): the simulated users share
    the server's two cores, and this client takes a fraction of the processor per request.
    """

    wait_time = _think_time

    def on_start(self) -> None:
        options = self.environment.parsed_options
        number = next(_numbers)
        managers = max(1, options.managers)
        self.username = f"manager{number % managers + 1}"
        # Users sharing a manager complete disjoint tasks (by id), as colleagues would.
        self.slots = max(1, math.ceil((options.num_users or 1) / managers))
        self.slot = (number // managers) % self.slots
        self.log_in(options.password)

    # --- helpers --------------------------------------------------------------------------

    def send_secure_cookies(self) -> None:
        """Let the Secure session cookie go over plain HTTP: the test bypasses the TLS proxy."""
        for cookie in self.client.cookiejar:
            cookie.secure = False

    def page(self, url: str, name: str) -> _Form | None:
        """GET a page that must answer 200; return its parsed form and links."""
        self.send_secure_cookies()
        with self.client.get(url, name=name, allow_redirects=False,
                             catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")
                return None
            return _Form(response.text)

    def post(self, url: str, data: dict, name: str, expected: str) -> bool:
        """POST a form that must answer a redirect to the `expected` path.

        An `expected` ending in "/" is a prefix: a record's card, whatever its id.
        """
        self.send_secure_cookies()
        with self.client.post(url, data=data, name=name, allow_redirects=False,
                              catch_response=True) as response:
            target = urlsplit(response.headers.get("Location", "")).path
            arrived = (target.startswith(expected) and target[len(expected):].isdigit()
                       if expected.endswith("/") and expected != HOME else target == expected)
            if response.status_code != 302 or not arrived:
                response.failure(f"status {response.status_code} to {target or 'nowhere'}")
                return False
            return True

    def log_in(self, password: str) -> None:
        refused = True
        try:
            form = self.page("/login/", "login form")
            if form is None:
                return
            data = {"username": self.username, "password": password,
                    "csrf_token": form.hidden.get("csrf_token", "")}
            if self.post("/login/", data, "log in (POST)", HOME):
                refused = False
        finally:
            # Let in or refused, this user's login is over; the last one starts the steady
            # part of the run (one locust process: the runner starts no workers).
            STEADY["logins"] += 1
            STEADY["refused"] += refused
            if STEADY["logins"] == (self.environment.parsed_options.num_users or 1):
                STEADY["since"] = time.time()

    def mine(self, ids: list[int]) -> list[int]:
        return [pk for pk in ids if pk % self.slots == self.slot]

    # --- the day --------------------------------------------------------------------------

    @task(4)
    def my_day(self) -> None:
        self.page(HOME, "My day")

    @task(6)
    def lists(self) -> None:
        label, url, search = random.choice(LISTS)
        if random.random() < 0.5:
            self.page(url, f"{label}: first page")
        else:
            self.page(f"{url}?{search}", f"{label}: search")

    @task(3)
    def open_a_company(self) -> None:
        listing = self.page(f"{COMPANY_LIST}?page_CompanyView={random.randint(0, 3)}",
                            "companies: a page")
        if listing is None:
            return
        ids = _ids(listing.links, "/companyview/show/")
        if not ids:
            return
        self.page(f"/companyview/show/{random.choice(ids)}", "company show page")

    @task(2)
    def complete_a_task(self) -> None:
        """Open My day, complete one of the tasks on it with a next task (else a planned one)."""
        day = self.page(HOME, "My day")
        if day is None:
            return
        ids = self.mine(_ids(day.links, "/taskview/complete/"))
        if not ids:
            listing = self.page(PLANNED_TASKS, "tasks: planned")
            if listing is None:
                return
            ids = self.mine(_ids(listing.links, "/taskview/show/"))
        if not ids:
            return
        url = f"/taskview/complete/{random.choice(ids)}"
        form = self.page(url, "complete-task form")
        if form is None:
            return
        due = (datetime.now() + timedelta(days=3)).replace(hour=10, minute=0)
        data = {
            "csrf_token": form.hidden.get("csrf_token", ""),
            "version_seen": form.hidden.get("version_seen", ""),
            "outcome": "done", "result": "Поговорили, клиент думает",
            "next_type": "call", "next_subject": "Перезвонить: узнать решение",
            "next_due_at": due.strftime("%Y-%m-%dT%H:%M"),
        }
        if self.post(url, data, "complete a task (POST)", HOME):
            WRITES["tasks_completed"] += 1

    @task(2)
    def search(self) -> None:
        """Find a client from the menu bar's box: as typed, then the results page."""
        query = random.choice(SEARCHES)
        self.page(f"/api/v1/search?q={quote(query)}", "search as you type")
        self.page(f"/search/?q={quote(query)}", "search box: results page")

    @task(1)
    def add_a_company(self) -> None:
        """From the company list, add a new client with its first task."""
        if self.page(COMPANY_LIST, "companies: first page") is None:
            return
        form = self.page("/companyview/add", "company add form")
        if form is None:
            return
        due = (datetime.now() + timedelta(days=1)).replace(hour=10, minute=0)
        data = {
            "csrf_token": form.hidden.get("csrf_token", ""),
            "name": f"ООО Нагрузка {uuid.uuid4().hex[:10]}", "status": "potential",
            # A new client's own number, of a code the demo data never gives (800): a
            # known one would be refused as a duplicate (the demo holds 24,000 Moscow 495
            # numbers: a run of 180 new companies met one about once in three).
            "phone": f"+7 800 {random.randint(0, 9_999_999):07d}", "source": "load test",
            "next_type": "call", "next_subject": "Позвонить: первое знакомство",
            "next_due_at": due.strftime("%Y-%m-%dT%H:%M"),
        }
        # A saved client opens its card.
        if self.post("/companyview/add", data, "company add (POST)", "/companyview/show/"):
            WRITES["companies_created"] += 1
