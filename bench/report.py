"""The benchmark's report: the machine, the data sets and every figure against its target."""

import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.demo_database import Build
from bench.measure import (
    BUILD_SECONDS,
    COUNTERS_MS,
    FAIL_FACTOR,
    P95_MS,
    PAGE_MEDIAN_MS,
    REASSIGN_SECONDS,
    REASSIGN_START_SECONDS,
    WARM_UPS,
    Figure,
    median_target,
)

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LIST_KINDS = ("companies", "contacts", "deals", "tasks")
# Why a page can miss its target at this size, and what it would take; by the end of the
# page's label.
CAUSES = {
    "chart: speed to lead (26 weeks)": (
        "the medians are exact: every answer time of the period is read (about 43,000 "
        "answered leads for the head over 26 weeks). Each lead keeps its week and seconds "
        "to answer; one statement reads the answered leads' seconds from a covering partial "
        "index in the order it groups them (no sort, nothing computed per lead) and counts "
        "the few thousand unanswered along another, per week, manager and source apart: "
        "about 11 to 14 ms for some 1,500 groups of answered leads of a week, manager and "
        "source, and 50 rows of counts. Their seconds are merged here into one "
        "sorted list per row of the report (about 6 ms), drawn as about 50 rows of nine "
        "figures. A summary cannot help: medians do not add up, and a manager, source and "
        "week hold about 30 leads each, so a histogram per group has as many rows as "
        "leads. It would take medians of coarse ranges (\"5 to 10 minutes\")."),
    "off cadence": (
        "the benchmark's open stages expect a touch every 14 days, and the demo's last "
        "touches are spread over two years, so about 85,000 of 94,000 open deals are off "
        "cadence. Each owner's are counted up to 1,000 (\"1,000+\"), one statement over "
        "the users: for the head with 20 managers that is up to 20,000 entries of the "
        "owner's cadence index; the 100 untouched longest are taken per stage in the "
        "stage index's order and read by key with their clients' names, then drawn with "
        "the manager's and stage's names. It would take a smaller cap or fewer rows."),
    "chart: speed to lead (8 weeks)": (
        "as over 26 weeks, with about 15,000 leads for the head."),
    "forecast": (
        "its months come from the pipeline's summary (a few hundred rows); the rest is a "
        "capped count of the warnings (up to 1,000 deals read from the cadence index "
        "alone) and one page of them, read "
        "per open stage along the (stage, date) index, and the page itself."),
    "pipeline board": (
        "its totals come from the pipeline's summary and its cards in one statement; the "
        "rest is drawing 100 cards, each with a move form (a column's stage choices are "
        "written once for its cards)."),
    "chart: sales funnel": (
        "one GROUP BY over the pipeline's summary; the rest is FAB's page and the chart."),
    "team day": (
        "seven figures per manager, one statement each for the whole team (capped task "
        "counts read per manager, done tasks from their summary, the queue and past-close "
        "deals from partial indexes, the inbox by owner), and the waiting leads."),
    "card with a long feed (500 tasks)": (
        "eight statements (the record, the feed's tasks of every state in one, its history, "
        "the people, the deals, their next tasks, the user, the menu's counts) and the "
        "template of the header, 50 feed lines and the forms; on PostgreSQL each statement "
        "is a round trip of 0.3 to 1 ms."),
    "duplicates report": (
        "the repeated INN, phones, e-mails and names are read from their summary (a few rows "
        "per key), then up to 5 holders of each value the page has room for are loaded, "
        "the 25 newest companies' names are scored against their candidates (rapidfuzz) "
        "when the page has room, and up to 100 pairs are drawn."),
    "reassignment": (
        "the move runs in the background (the head's page shows it under way, then done), "
        "so the head waits only for the confirm. The move itself: manager1's book is about "
        "88,000 records with 20 managers and 490,000 with 3 (done tasks and closed deals go "
        "along since the new owner must read the history); each gets a history entry, each "
        "task row sits in about 25 indexes that the UPDATE rewrites (PostgreSQL), and each "
        "client gets a handover brief and an introduction task. It would take fewer "
        "indexes on the task table, or leaving done tasks with their author."),
    "My day": (
        "ten statements: the user, the menu's counts, the overdue and today's tasks with "
        "their clients' and deals' names (one statement each), the week's birthdays and "
        "their companies, the plan and its fact (won amount, done touches), the queue's "
        "count; then four lists and the plan drawn."),
    "complete a task with a next task (POST)": (
        "one transaction of 14 to 19 statements: the task, its client and deal locked and "
        "read afresh, the result written, the next task added, the next task dates of the "
        "client and deal and the summary of done tasks kept, the history written, and the "
        "commit (on SQLite, the database's write lock)."),
    "search box": (
        "up to nine statements: names from their start index and words from the text "
        "index for companies, people and deals, the phone and e-mail keys, then the owners "
        "and next tasks of what was found, grouped and drawn."),
    "inbox": (
        "one page of leads with their owners and a capped count, read from the inbox "
        "indexes; the rest is FAB's page."),
    "cards": (
        "a card is the record, its feed (tasks of every state and the history, one statement "
        "each), its people and deals with their next tasks, and the forms of the header "
        "and of logging a call: seven or eight statements and the template."),
    "page": (
        "a list is about 8 to 10 ms of FAB's page (layout, the rows' cells, the menu and "
        "search form kept rendered; the lightest pages, with three statements, take 5 to "
        "7 ms) plus 5 to 8 statements. On PostgreSQL each statement is a round "
        "trip of 0.2 to 1 ms; their plans are kept per connection (a search is planned for "
        "what was typed). The capped count of a long list reads up to 10,001 index "
        "entries. It would take fewer statements per page (the user and the page in one "
        "round trip) or a list drawn without FAB's widget."),
}


# Causes told for a group of pages, by what their labels start with.
GROUPS = {"search box": ("search box", "search as you type"), "inbox": ("inbox",),
          "cards": ("company show", "contact show", "deal show")}


def causes_of(misses: list[str]) -> dict[str, str]:
    """Return why each missing page misses and what it would take, by page or group."""
    causes = {label: text for label, text in CAUSES.items()
              if label not in ("page", "reassignment", *GROUPS)
              and any(f", {label}: " in miss for miss in misses)}
    for group, starts in GROUPS.items():
        if any(f", {start}" in miss for miss in misses for start in starts):
            causes[group] = CAUSES[group]
    if any(f", {kind}: " in miss for miss in misses for kind in LIST_KINDS):
        causes["lists"] = CAUSES["page"]
    if any("reassignment took" in miss for miss in misses):
        causes["reassignment"] = CAUSES["reassignment"]
    return causes


@dataclass
class Section:
    """Everything measured on one database."""

    kind: str
    version: str
    build: Build
    managers: int = 20
    figures: dict[str, list[Figure]] = field(default_factory=dict)  # by user name
    moved: dict[str, int] = field(default_factory=dict)
    reassign_seconds: float = 0.0
    start_seconds: float = 0.0
    # The machine's pace (measure.pace_ms) before and after the pages were timed.
    pace_ms: tuple[float, float] | None = None

    def misses(self) -> list[str]:
        """Return every figure of this database that misses its target, in words."""
        name = f"{NAMES[self.kind]}, {self.managers} managers"
        found = []
        if self.build.seconds >= BUILD_SECONDS:
            found.append(f"{name}: building took {self.build.seconds:.0f} s")
        for user, figures in self.figures.items():
            for figure in figures:
                for miss in figure.misses():
                    found.append(f"{name}, {user}, {figure.label}: {miss}")
        if self.start_seconds >= REASSIGN_START_SECONDS:
            found.append(f"{name}: starting the reassignment took {self.start_seconds:.1f} s")
        if self.reassign_seconds >= REASSIGN_SECONDS:
            found.append(f"{name}: reassignment took {self.reassign_seconds:.1f} s")
        return found


def machine() -> str:
    """Return the machine in one line: cores, memory, OS, Python, SQLite library."""
    memory = "?"
    if os.path.exists("/proc/meminfo"):
        with open("/proc/meminfo") as meminfo:
            kib = int(meminfo.readline().split()[1])
        memory = f"{kib / 1024 / 1024:.0f} GiB"
    return (f"{os.cpu_count()} cores, {memory} memory, {platform.platform()}, "
            f"Python {platform.python_version()}, SQLite {sqlite3.sqlite_version}")


def mark(value: float, limit: float) -> str:
    """Return the value with 'ok' or 'MISS' against the limit."""
    return f"{value:.0f} {'ok' if value < limit else 'MISS'}"


def figure_row(figure: Figure, before: str = "") -> str:
    """Return one figure as a Markdown table row (`before`: the earlier median and p95)."""
    target = median_target(figure.kind)
    earlier = f" {before or '-'} |" if before is not None else ""
    if figure.kind == "counters":
        verdict = "ok" if figure.median_ms < target else "MISS"
        return (f"| {figure.label} | {figure.url} |{earlier} {figure.median_ms:.2f} {verdict} | "
                f"{figure.p95_ms:.2f} | {figure.statements} | - | - |")
    return (f"| {figure.label} | `{figure.url}` |{earlier} "
            f"{mark(figure.median_ms, target)} | "
            f"{mark(figure.p95_ms, P95_MS)} | {figure.statements} | "
            f"{figure.page_size_check or '-'} | {figure.status} |")


def earlier_figures(path) -> dict[tuple[str, str, str], str]:
    """Read a results file written before: {(database heading, user, page): "median / p95"}."""
    found: dict[tuple[str, str, str], str] = {}
    if path is None or not path.exists():
        return found
    database = user = ""
    columns = (2, 3)  # where the median and the p95 are (a file with "before" has more)
    for line in path.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("## "):
            # A new section: its tables are a user's figures only under "### As ...".
            database, user = line[3:].strip(), ""
        elif line.startswith("### As "):
            user = line[7:].strip()
        elif line.startswith("| page") and "median ms" in cells and "p95 ms" in cells:
            columns = (cells.index("median ms"), cells.index("p95 ms"))
        elif line.startswith("| ") and user and not line.startswith(("| page", "|---")):
            if len(cells) > max(columns) and cells[columns[0]] and cells[columns[1]]:
                median, p95 = (cells[index].split()[0] for index in columns)
                found[(database, user, cells[0])] = f"{median} / {p95}"
    return found


def section_text(section: Section, before: dict | None = None) -> list[str]:
    """Return the Markdown lines of one database's figures (with the earlier ones, if any)."""
    heading = f"{NAMES[section.kind]} {section.version}, {section.managers} managers"
    lines = [f"## {heading}", ""]
    if section.pace_ms is not None:
        lines += [f"Machine pace (a fixed pure-Python loop, best of 5; lower is faster): "
                  f"{section.pace_ms[0]:.1f} ms before the pages, {section.pace_ms[1]:.1f} ms "
                  "after. A slower pace slows every page alike: compare runs at the same "
                  "pace.", ""]
    for user, figures in section.figures.items():
        earlier = "before: median / p95 ms | " if before is not None else ""
        lines += [f"### As {user}", "",
                  f"| page | URL | {earlier}median ms | p95 ms | statements | "
                  "25 vs 100 rows | status |",
                  "|---|---|---|---|---|---|---|" + ("---|" if before is not None else "")]
        lines += [figure_row(figure, None if before is None
                             else before.get((heading, user, figure.label), ""))
                  for figure in figures]
        lines.append("")
    moved = ", ".join(f"{count:,} {kind}" for kind, count in section.moved.items())
    seconds = section.reassign_seconds
    verdict = "ok" if seconds < REASSIGN_SECONDS else "MISS"
    started = "ok" if section.start_seconds < REASSIGN_START_SECONDS else "MISS"
    lines += ["### Reassignment", "",
              f"manager1's book to manager2, as the head ({moved}): the head's confirm "
              f"(checks, counts, the move recorded) **{section.start_seconds:.2f} s** "
              f"{started}; the move, in one transaction in the background "
              f"**{seconds:.2f} s** {verdict}", ""]
    return lines


def markdown(command: str, runs: int, sections: list[Section],
             before: dict | None = None, before_note: str = "") -> str:
    """Return the whole report; `before` holds the figures of an earlier run to compare."""
    lines = [
        "# Benchmark results", "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.", "",
        f"Machine: {machine()}.", "",
        f"Server time through the app's test client: median and 95th percentile of {runs} "
        f"requests after {WARM_UPS} warm-up requests; statements are the SQL statements of "
        "one request. "
        f"Targets: every page (lists, cards, reports) median < {PAGE_MEDIAN_MS} ms and "
        f"p95 < {P95_MS} ms, the menu-bar counters < {COUNTERS_MS:g} ms, the same "
        "statements at page sizes 25 and 100, the head's confirm of a reassignment "
        f"< {REASSIGN_START_SECONDS} s and the move in the background "
        f"< {REASSIGN_SECONDS} s, building the data set < {BUILD_SECONDS // 60} min. "
        f"The run fails when a figure misses its target by more than "
        f"{(FAIL_FACTOR - 1) * 100:.0f} %.", "",
        "## Data sets", "",
        "| database | managers | companies | private clients | contact persons | deals | "
        "tasks | history entries | build s |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for section in sections:
        counts = section.build.counts
        lines.append(
            f"| {NAMES[section.kind]} | {section.managers} | {counts['companies']:,} | "
            f"{counts['private_clients']:,} | {counts['contacts']:,} | {counts['deals']:,} | "
            f"{counts['tasks']:,} | {counts['history_entries']:,} | "
            f"{mark(section.build.seconds, BUILD_SECONDS)} |")
    lines.append("")
    if before is not None:
        lines += [f"Before: {before_note}", ""]
    for section in sections:
        lines += section_text(section, before)
    misses = [miss for section in sections for miss in section.misses()]
    lines += ["## Misses", ""]
    lines += [f"- {miss}" for miss in misses] or ["None: every figure meets its target."]
    causes = causes_of(misses)
    if causes:
        lines += ["", "## Why, and what it would take", ""]
        lines += [f"- **{label}**: {text}" for label, text in causes.items()]
    return "\n".join(lines) + "\n"
