"""Real-browser tests' set-up: the app served on 127.0.0.1, Debian's Chromium, watched pages.

Loaded as a pytest plugin by tests/conftest.py, so its fixtures exist once per run:

- `live_server`: the app served from a background thread on the run's database; its URL.
- `browser`: one headless Chromium for the whole run (where /usr/bin/chromium or the
  playwright package is missing, the test skips saying why, and fails under CI=true).
- `watch`: what the test's pages asked for and logged. After the test body, any request
  to another host, failed request, console error (a Content-Security-Policy violation
  included), script error or 4xx/5xx answer fails the test, unless the test allowed that
  status for that path with `watch.allow(403, "/reassign/")`. A script cancelling its own
  call (select2 dropping a search the user typed past) is not a failed request.
- `new_page(locale="ru-RU")`: a page in a fresh browser context (its own cookies) whose
  relative addresses go to the live server; `page` is the first one.

Test modules import helpers from here (`log_in`, `CHART_PAGES`, `expect`), not fixtures.
"""

import os
import shutil
import threading
from urllib.parse import urlparse

import pytest

from tests.helpers import PASSWORD, require, require_module
from tests.team_clock import TEAM_ZONE

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    # Any host but ours fails to resolve: nothing can leave the machine.
    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
]
HOST = "127.0.0.1"
TIMEOUT_MS = 10_000
CHART_PAGES = (
    "/reports/funnel/",
    "/reports/won-lost/",
    "/reports/tasks/",
    "/reports/no-next-task/",
    "/reports/new-clients/",
    "/reports/speed-to-lead/",
)

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import expect
except ImportError:  # the browser fixture stops the tests that would use them
    PlaywrightError, expect = Exception, None


class Watch:
    """Every request, failed request, console error, script error and error answer of pages."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        self.failed: list[str] = []
        self.errors: list[str] = []
        self.allowed: set[tuple[int, str]] = set()
        self.pages: list = []
        # Documents each page has shown so far, and how many it had when each request
        # started: a request cut off because its page went on to another is no failure.
        # Counted when a document takes the page's place, not when it is asked for: until
        # then the page still reads its document and asks for its scripts and styles.
        self._documents: dict[int, int] = {}
        self._started_in: dict = {}
        self._cut_off: list[tuple[int, int, str]] = []

    def attach(self, page) -> None:
        """Start recording what the page requests and logs."""
        self.pages.append(page)
        self._documents[id(page)] = 0
        page.on("request", lambda request: self._request(page, request))
        page.on("framenavigated", lambda frame: self._navigated(page, frame))
        page.on("requestfailed", lambda request: self._failed(page, request))
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.errors.append(f"{page.url}: {error}"))
        page.on("response", self._response)

    def allow(self, status: int, path: str) -> None:
        """Expect this error status from this path (a refusal the test checks)."""
        self.allowed.add((status, path))

    def forget_failed_requests(self) -> None:
        """Drop the failed requests seen so far (a test that caused them on purpose)."""
        self.failed.clear()
        self._cut_off.clear()

    def _is_allowed(self, status: int, url: str) -> bool:
        return (status, urlparse(url).path) in self.allowed

    def _request(self, page, request) -> None:
        self.requests.append(request.url)
        self._started_in[request] = self._documents[id(page)]

    def _navigated(self, page, frame) -> None:
        if frame == page.main_frame:
            self._documents[id(page)] += 1

    def _failed(self, page, request) -> None:
        line = f"{request.url}: {request.failure}"
        if request.failure == "net::ERR_ABORTED":
            # A script dropping its own call (select2 when the user types on) is no
            # failure.
            if request.resource_type in ("xhr", "fetch"):
                return
            # Nor a style sheet or script left behind when the page went on to another
            # one (the test moved on before it came). Chromium drops it before the next
            # page's request is seen, so this is told when the problems are read.
            self._cut_off.append((id(page), self._started_in.get(request, -1), line))
            return
        self.failed.append(line)

    def _response(self, response) -> None:
        if response.status >= 400 and not self._is_allowed(response.status, response.url):
            self.errors.append(f"{response.url}: answered {response.status}")

    def _console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        # Chromium also logs an allowed error answer as "Failed to load resource".
        allowed_paths = {path for _, path in self.allowed}
        if urlparse(url).path in allowed_paths and "Failed to load resource" in message.text:
            return
        self.errors.append(f"{url}: {message.text}")

    def outside(self) -> list[str]:
        """Return the requests that went anywhere but the app on 127.0.0.1."""
        return [
            url
            for url in self.requests
            if urlparse(url).scheme not in ("data", "blob") and urlparse(url).hostname != HOST
        ]

    def problems(self) -> list[str]:
        """Return everything a user's browser should never see, one line each."""
        for page in self.pages:  # deliver the events still on their way
            try:
                page.evaluate("0")
            except PlaywrightError:  # closed, or navigating away
                pass
        failed = self.failed + [line for page, started_in, line in self._cut_off
                                 if started_in >= self._documents[page]]
        return (
            [f"request to another host: {url}" for url in self.outside()]
            + [f"failed request: {line}" for line in failed]
            + [f"error: {line}" for line in self.errors]
        )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    """Fail a browser test whose pages went elsewhere, failed a request or logged an error.

    A test that fails on its own gets what the browser saw as a report section.
    """
    watch = getattr(item, "funcargs", {}).get("watch")
    if not isinstance(watch, Watch):
        return (yield)
    try:
        result = yield
    except BaseException:
        item.add_report_section("call", "browser", "\n".join(watch.problems()))
        raise
    problems = watch.problems()
    assert not problems, "the browser saw:\n" + "\n".join(problems)
    return result


@pytest.fixture(scope="session")
def live_server(app):
    """Serve the app on a free port of 127.0.0.1 for the whole run; yield its base URL."""
    from werkzeug.serving import make_server

    httpd = make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://{HOST}:{httpd.server_port}"
    httpd.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's Chromium once for the run (never a browser Playwright downloads)."""
    require("Chromium", os.path.exists(CHROMIUM), f"no {CHROMIUM} (apt-get install chromium)")
    sync_api = require_module("the playwright package", "playwright.sync_api",
                              "pip install -r requirements-dev.txt")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def watch():
    return Watch()


@pytest.fixture
def new_page(browser, live_server, watch):
    """Open pages in fresh contexts (own cookies, language of the browser), all watched."""
    contexts = []

    def open_page(locale: str = "ru-RU"):
        context = browser.new_context(base_url=live_server, locale=locale,
                                      timezone_id=TEAM_ZONE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        watch.attach(page)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    """A watched page of a Russian browser with nobody logged in."""
    return new_page()


def log_in(page, user, password: str = PASSWORD) -> None:
    """Log the user in through the login form and land on My day."""
    page.goto("/login/")
    page.fill("#username", user.username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.locator("form[name=login] [type=submit]").click()
    assert "/login" not in page.url, f"{user.username} could not log in"


def save_screenshot(page, tmp_path, name: str, *, full_page: bool = True,
                    min_bytes: int = 0) -> None:
    """Keep what the user sees in the test's tmp dir, and in $CRM_SCREENSHOTS when set."""
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    assert path.stat().st_size > min_bytes, f"{name}: an empty screenshot?"
    folder = os.environ.get("CRM_SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        shutil.copy(path, os.path.join(folder, path.name))
