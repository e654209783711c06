"""The benchmark's report: the machine, the data sets and every figure against its target."""

import os
import platform
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bench.demo_database import Build
from bench.measure import (
    BUILD_SECONDS,
    LIST_MEDIAN_MS,
    P95_MS,
    PAGE_MEDIAN_MS,
    REASSIGN_SECONDS,
    Figure,
)

NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@dataclass
class Section:
    """Everything measured on one database."""

    kind: str
    version: str
    build: Build
    figures: dict[str, list[Figure]] = field(default_factory=dict)  # by user name
    moved: dict[str, int] = field(default_factory=dict)
    reassign_seconds: float = 0.0

    def misses(self) -> list[str]:
        """Return every figure of this database that misses its target, in words."""
        name = NAMES[self.kind]
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


def figure_row(figure: Figure) -> str:
    """Return one figure as a Markdown table row."""
    target = LIST_MEDIAN_MS if figure.kind == "list" else PAGE_MEDIAN_MS
    return (f"| {figure.label} | `{figure.url}` | {mark(figure.median_ms, target)} | "
            f"{mark(figure.p95_ms, P95_MS)} | {figure.statements} | "
            f"{figure.page_size_check or '-'} | {figure.status} |")


def section_text(section: Section) -> list[str]:
    """Return the Markdown lines of one database's figures."""
    lines = [f"## {NAMES[section.kind]} {section.version}", ""]
    for user, figures in section.figures.items():
        lines += [f"### As {user}", "",
                  "| page | URL | median ms | p95 ms | statements | 25 vs 100 rows | status |",
                  "|---|---|---|---|---|---|---|"]
        lines += [figure_row(figure) for figure in figures]
        lines.append("")
    moved = ", ".join(f"{count:,} {kind}" for kind, count in section.moved.items())
    seconds = section.reassign_seconds
    verdict = "ok" if seconds < REASSIGN_SECONDS else "MISS"
    lines += ["### Reassignment", "",
              f"manager1's book to manager2, as the head, in one transaction ({moved}): "
              f"**{seconds:.2f} s** {verdict}", ""]
    return lines


def markdown(command: str, runs: int, sections: list[Section]) -> str:
    """Return the whole report."""
    lines = [
        "# Benchmark results", "",
        f"Written by `{command}` on {datetime.now(UTC):%Y-%m-%d %H:%M} UTC.", "",
        f"Machine: {machine()}.", "",
        f"Server time through the app's test client: median and 95th percentile of {runs} "
        "requests after a warm-up; statements are the SQL statements of one request. "
        f"Targets: lists median < {LIST_MEDIAN_MS} ms, other pages < {PAGE_MEDIAN_MS} ms, "
        f"p95 < {P95_MS} ms, the same statements at page sizes 25 and 100, reassignment "
        f"< {REASSIGN_SECONDS} s, building the data set < {BUILD_SECONDS // 60} min.", "",
        "## Data sets", "",
        "| database | companies | private clients | contact persons | deals | tasks | "
        "history entries | build s |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for section in sections:
        counts = section.build.counts
        lines.append(
            f"| {NAMES[section.kind]} | {counts['companies']:,} | "
            f"{counts['private_clients']:,} | {counts['contacts']:,} | {counts['deals']:,} | "
            f"{counts['tasks']:,} | {counts['history_entries']:,} | "
            f"{mark(section.build.seconds, BUILD_SECONDS)} |")
    lines.append("")
    for section in sections:
        lines += section_text(section)
    misses = [miss for section in sections for miss in section.misses()]
    lines += ["## Misses", ""]
    lines += [f"- {miss}" for miss in misses] or ["None: every figure meets its target."]
    return "\n".join(lines) + "\n"
