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
    Figure,
    median_target,
)

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
LIST_KINDS = ("companies", "contacts", "deals", "tasks")
# Why a page can miss its target at this size, and what it would take; by the end of the
# page's label.
CAUSES = {
    "chart: tasks by manager": (
        "it counts every task done in the last 8 weeks, per manager and day, at each "
        "request: about 310,000 in this data set (the generator dates history towards the "
        "present, some 390 tasks a manager a day), read from the covering index "
        "ix_task_done_report. It would take a table of tasks done per manager and day, "
        "kept by the flush hook that already keeps the next task date."),
    "chart: won and lost": (
        "it groups the deals the whole team closed in the last 12 months (~59,000 here) "
        "by month, kind and currency, from the covering index ix_deal_closed; SQLite also "
        "formats each date with strftime. It would take monthly totals per manager kept "
        "on every close and reopen."),
    "chart: new clients": (
        "it groups every company and private client created in the last 12 months (about "
        "half of them here) by month and source, from ix_company_created / "
        "ix_contact_created. It would take monthly counters per manager and source kept on "
        "create, archive and restore."),
    "chart: sales funnel": (
        "it sums the ~95,000 open deals per stage and currency on every request (an index-"
        "only scan of ix_deal_archived_stage). It would take per-stage totals kept by the "
        "write paths, or a short-lived cache of the head's totals."),
    "pipeline board": (
        "its column totals are the funnel's sums over the ~95,000 open deals (see the "
        "sales funnel); the 20 newest cards of each stage come from ix_deal_board."),
    "search": (
        "on SQLite: it cannot tell how many rows a prefix matches (its statistics have no "
        "histograms without STAT4), so for the head it reads every row starting with the "
        "common word searched (~230,000 tasks) through the prefix index and sorts them, "
        "instead of walking the list's order; PostgreSQL estimates it and does not. It "
        "would take a full-text index (FTS5) on SQLite, or PostgreSQL in production."),
    "page": (
        "a list page is about 20 ms of FAB's page (menu, search form, the 25 rows' cells) "
        "plus 9 to 12 statements; on PostgreSQL each is a round trip of about 0.5 to 1 ms, "
        "the capped count of a manager's tasks (10,001 index entries) some 3 ms. It would "
        "take a leaner search form (rendered on demand) or fewer statements per page."),
    "company show page": (
        "the page is three related lists (contacts, deals, tasks) and the timeline: 29 "
        "statements, each small; the time is rendering them."),
}


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
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            database = line[3:].strip()
        elif line.startswith("### As "):
            user = line[7:].strip()
        elif line.startswith("| ") and user and not line.startswith(("| page", "|---")):
            cells = [cell.strip() for cell in line.strip("|").split("|")]
            if len(cells) >= 4:
                median, p95 = cells[2].split()[0], cells[3].split()[0]
                found[(database, user, cells[0])] = f"{median} / {p95}"
    return found


def section_text(section: Section, before: dict | None = None) -> list[str]:
    """Return the Markdown lines of one database's figures (with the earlier ones, if any)."""
    heading = f"{NAMES[section.kind]} {section.version}, {section.managers} managers"
    lines = [f"## {heading}", ""]
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
    lines += ["### Reassignment", "",
              f"manager1's book to manager2, as the head, in one transaction ({moved}): "
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
        "requests after a warm-up; statements are the SQL statements of one request. "
        f"Targets: every page (lists, cards, reports) median < {PAGE_MEDIAN_MS} ms and "
        f"p95 < {P95_MS} ms, the menu-bar counters < {COUNTERS_MS:g} ms, the same "
        "statements at page sizes 25 and 100, reassignment "
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
    causes = {label: text for label, text in CAUSES.items()
              if any(f"{label}: " in miss for miss in misses if label != "page")}
    if any(f", {kind}: " in miss for miss in misses for kind in LIST_KINDS):
        causes["lists"] = CAUSES["page"]
    if causes:
        lines += ["", "## Why, and what it would take", ""]
        lines += [f"- **{label}**: {text}" for label, text in causes.items()]
    return "\n".join(lines) + "\n"
