"""Time requests and count their SQL statements; judge the figures against their targets."""

import statistics
import time
import timeit
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import event

from app.kept_objects import freeze_kept_objects

# Issue 21: every page a user opens in a working day, lists, cards and reports alike.
LIST_MEDIAN_MS = 20
PAGE_MEDIAN_MS = 20
CARD_MEDIAN_MS = 20
P95_MS = 60
# The menu-bar counters run on every page: their statements together.
COUNTERS_MS = 1.0
# A figure this far past its target fails the benchmark run (a regression, seen at once).
FAIL_FACTOR = 1.5
# The head's confirm of a reassignment: the checks, the preview's counts, the record; the
# move itself then runs in the background (its page says it can take a few minutes).
REASSIGN_START_SECONDS = 2
REASSIGN_SECONDS = 120
BUILD_SECONDS = 600


@dataclass
class Figure:
    """The figures of one page (or action) for one user."""

    label: str
    url: str
    kind: str  # "list", "card", "page" or "action"
    median_ms: float
    p95_ms: float
    statements: int
    status: int
    page_size_check: str = ""  # lists: page_size_verdict() of page sizes 25 and 100
    expected_status: int = 200

    def misses(self) -> list[str]:
        """Return what misses its target, in words (empty when everything is met)."""
        target = median_target(self.kind)
        found = []
        if self.median_ms >= target:
            found.append(f"median {self.median_ms:.1f} ms >= {target} ms")
        if self.kind != "counters" and self.p95_ms >= P95_MS:
            found.append(f"p95 {self.p95_ms:.0f} ms >= {P95_MS} ms")
        if self.page_size_check == "grows":
            found.append("statements grow with the page size")
        if self.status != self.expected_status:
            found.append(f"status {self.status}, not {self.expected_status}")
        return found

    def fails(self) -> bool:
        """Say whether the figure misses its target by more than FAIL_FACTOR, or breaks."""
        target = median_target(self.kind)
        return (self.median_ms >= target * FAIL_FACTOR
                or (self.kind != "counters" and self.p95_ms >= P95_MS * FAIL_FACTOR)
                or self.page_size_check == "grows"
                or self.status != self.expected_status)


def median_target(kind: str) -> int:
    """Return the median a page of this kind must stay under, in milliseconds."""
    return {"list": LIST_MEDIAN_MS, "card": CARD_MEDIAN_MS,
            "counters": COUNTERS_MS}.get(kind, PAGE_MEDIAN_MS)


# A list loads each relation it shows in one query, and skips it while every row on the
# page leaves it empty: 100 rows may meet a company, contact or deal 25 rows did not.
RELATIONS_SHOWN = 4


def page_size_verdict(at_25: int, at_100: int) -> str:
    """Say whether the statements grow with the rows: "same", "+N (relations)" or "grows"."""
    if at_100 == at_25:
        return "same"
    if 0 < at_100 - at_25 <= RELATIONS_SHOWN:
        return f"+{at_100 - at_25} (a relation empty on the first 25 rows)"
    return "grows"


@contextmanager
def counting(engine) -> Iterator[list]:
    """Collect the statements the engine runs inside the block."""
    seen: list = []

    def record(_connection, _cursor, statement, *_args) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", record)


def pace_ms() -> float:
    """Time a fixed pure-Python loop (ms, best of 5): how fast this machine runs Python now.

    A shared machine's speed drifts between runs, by a fifth or more within minutes; the
    report shows this beside each database's figures, so that runs are compared at the
    same pace.
    """
    return min(timeit.repeat("sum(range(1_000_000))", number=10, repeat=5)) / 10 * 1000


def percentile_95(values: list[float]) -> float:
    """Return the 95th percentile (nearest rank) of the values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(len(ordered) * 0.95) - 1))]


# Requests sent before the timed ones: a served worker has answered each page many times,
# and PostgreSQL settles the plan of a statement prepared on a connection after its first
# ten runs there (psycopg prepares it on the sixth, the server plans it afresh five more).
WARM_UPS = 12


def time_requests(engine, send: Callable[[int], object], runs: int) -> tuple:
    """Send WARM_UPS and then `runs` timed requests; return median, p95, statements, status.

    `send(n)` makes the n-th request (the first WARM_UPS warm up) and returns the response;
    the statements and status are those of the last timed request. After the warm-up the
    objects kept so far are frozen, as a served worker freezes them after its first
    requests (gunicorn.conf.py): the full collections then walk what a request makes, not
    every object of this long benchmark process.
    """
    for number in range(WARM_UPS):
        send(number)
    freeze_kept_objects()
    times = []
    for number in range(WARM_UPS, WARM_UPS + runs):
        with counting(engine) as seen:
            started = time.perf_counter()
            response = send(number)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile_95(times), len(seen), response.status_code


def statements_of(engine, client, url: str) -> int:
    """Return the number of statements of one GET of the url (after one warm-up)."""
    client.get(url)
    with counting(engine) as seen:
        client.get(url)
    return len(seen)
