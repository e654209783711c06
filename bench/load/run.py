"""Load test: managers doing their day against gunicorn + PostgreSQL; writes bench/results.md.

    python -m bench.load.run                       # 100 users, 60 s, 100,000 companies
    python -m bench.load.run --keep-in FOLDER      # on a copy of bench.run's kept data set
    python -m bench.load.run --users 10 --duration 15s --companies 1000 --output trial.md

It makes a throw-away PostgreSQL database filled by the demo generator, serves it with
gunicorn in production mode, runs the locust scenario (bench/load/locustfile.py) headless,
then checks that every write the users were told succeeded is in the database, and no
other: companies created, tasks completed, tasks planned. It prints the report and puts
it into the results file as its "## Load test" section. Database and server go away after.
"""

import argparse
import json
import multiprocessing
import os
import platform
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import create_engine, func, select

from bench.demo_database import (
    command_line,
    copied_database,
    demo_app,
    throwaway_database,
)

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / "bench" / "results.md"
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
HEADING = "## Load test"
# Issue 21: ordinary pages (logging in apart) at 100 users, as the users saw them.
ORDINARY_P95_MS = 300
REDIS_DB = "redis://127.0.0.1:6379/15"


def arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument("--duration", default="60s", help="locust's run time, e.g. 60s, 2m")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--managers", type=int, default=20)
    # The served defaults (gunicorn.conf.py).
    parser.add_argument("--workers", type=int, default=multiprocessing.cpu_count())
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--wait", default="1-3", help="think time between tasks, MIN-MAX s")
    parser.add_argument("--redis", default=REDIS_DB, help="rate-limit storage (flushed after)")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--keep-in", type=Path, default=None,
                        help="take the data set kept there by bench.run (built if missing); "
                             "the test runs on a copy of it")
    return parser.parse_args()


@dataclass
class Row:
    """Locust's figures for one request name (or all of them)."""

    name: str
    requests: int
    failures: int
    per_second: float
    median: float
    p95: float
    times: dict = field(default_factory=dict)


@dataclass
class Counts:
    """What the database holds that the users' writes change."""

    companies: int
    tasks: int
    done: int

    def __sub__(self, other: "Counts") -> "Counts":
        return Counts(self.companies - other.companies, self.tasks - other.tasks,
                      self.done - other.done)


@dataclass
class ServerLog:
    """What the server's JSON request log says: requests, 5xx answers, time spent."""

    requests: int = 0
    errors: int = 0
    median: float = 0.0
    p95: float = 0.0


@dataclass
class Outcome:
    """Everything the report shows."""

    args: argparse.Namespace
    started: datetime
    demo: dict
    rows: list[Row] = field(default_factory=list)
    total: Row | None = None
    failures: list[str] = field(default_factory=list)
    writes: dict = field(default_factory=dict)
    found: Counts | None = None
    server: ServerLog = field(default_factory=ServerLog)
    # Every request but logging in, started once all users had logged in, and when that was.
    steady: Row | None = None
    steady_after: float | None = None
    refused_logins: int = 0


def fill(url: str, companies: int, managers: int) -> dict:
    """Migrate the database, create roles and stages, generate the demo; return its counts."""
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import generate_demo
    from app.extensions import db
    from app.services.rules.setup import prepare_database, refresh_statistics
    from config import Config

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    app = create_app(config)
    with app.app_context():
        upgrade()
        prepare_database(app.appbuilder, db.session)
        counts = generate_demo(app.appbuilder, db.session, companies=companies,
                               managers=managers)
        refresh_statistics(db.session)
        db.session.remove()
        db.engine.dispose()
    return counts


@contextmanager
def data_set(args: argparse.Namespace, outcome: Outcome):
    """Yield the URL of a database holding the demo data: new, or a copy of a kept one."""
    if args.keep_in is None:
        with throwaway_database("postgresql", "crm_load") as url:
            started = time.perf_counter()
            outcome.demo = fill(url, args.companies, args.managers)
            print(f"demo built in {time.perf_counter() - started:.0f} s: {outcome.demo}",
                  flush=True)
            yield url
        return
    from app.extensions import db
    from bench.run import DEMO_SHAPE

    with demo_app("postgresql", args.companies, args.managers, demo=DEMO_SHAPE,
                  keep_in=args.keep_in) as (app, build, state):
        outcome.demo = build.counts
        with app.app_context():
            db.engine.dispose()
        with copied_database(state["url"]) as url:
            yield url


def count(url: str) -> Counts:
    """Count the companies, the tasks and the done tasks in the database."""
    from app.models import Company, Task

    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            companies = connection.scalar(select(func.count()).select_from(Company))
            tasks = connection.scalar(select(func.count()).select_from(Task))
            done = connection.scalar(
                select(func.count()).select_from(Task).where(Task.state == "done"))
    finally:
        engine.dispose()
    return Counts(companies, tasks, done)


def free_port() -> int:
    """Return a TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextmanager
def gunicorn(url: str, args: argparse.Namespace, log: Path):
    """Serve the database with gunicorn in production mode; yield its base URL; stop it."""
    port = free_port()
    env = {
        **os.environ,
        "CRM_ENV": "production",
        "DATABASE_URL": url,
        "SECRET_KEY": secrets.token_hex(32),
        "CRM_LOGIN_RATE_LIMIT": "100000 per minute",
        "RATELIMIT_STORAGE_URI": args.redis,
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": str(args.workers),
        "GUNICORN_THREADS": str(args.threads),
        # The users talk to gunicorn directly, not through a proxy that would retry: an
        # idle connection closed as a request is sent on it would count as a failure.
        "GUNICORN_KEEPALIVE": "75",
        # Each thread holds a connection: the pool must serve every thread of the worker.
        "DATABASE_POOL_SIZE": str(max(args.threads, 5)),
    }
    with open(log, "wb") as output:
        server = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "gunicorn.conf.py")],
            cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        started = time.perf_counter()
        wait_for_health(base, server)
        wait_for_workers(server, args.workers)
        print(f"gunicorn ready in {time.perf_counter() - started:.0f} s", flush=True)
        yield base
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=40)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


def wait_for_health(base: str, server: subprocess.Popen, seconds: float = 60) -> None:
    """Wait until /health answers 200.

    :raise RuntimeError: if the server exits or does not answer in time.
    """
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError("gunicorn did not answer /health in time")


def _cpu_ticks(pid: int) -> tuple[int, int] | None:
    """Return the parent pid and the CPU time (ticks) of a process, or None if it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[1]), int(fields[11]) + int(fields[12])


def _workers_ticks(master: int) -> dict[int, int]:
    """Return the CPU time of each worker process of the gunicorn master."""
    ticks = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            found = _cpu_ticks(int(entry.name))
            if found is not None and found[0] == master:
                ticks[int(entry.name)] = found[1]
    return ticks


def wait_for_workers(server: subprocess.Popen, workers: int, seconds: float = 120) -> None:
    """Wait until every worker has loaded the app: all started and none busy for a second.

    Workers load the app after the fork, one CPU-bound import each; measuring while some
    still load would count their start as the app's slowness. Needs Linux's /proc.

    :raise RuntimeError: if they do not settle in time.
    """
    if not Path("/proc/self/stat").exists():
        time.sleep(10)
        return
    deadline = time.monotonic() + seconds
    previous: dict[int, int] = {}
    while time.monotonic() < deadline:
        ticks = _workers_ticks(server.pid)
        if len(ticks) >= workers and ticks == previous:
            return
        previous = ticks
        time.sleep(1)
    raise RuntimeError("the gunicorn workers did not settle in time")


def flush_redis(uri: str) -> None:
    """Empty the rate-limit database the server used (a redis:// URI only)."""
    if not uri.startswith("redis://"):
        return
    import redis

    client = redis.Redis.from_url(uri)
    try:
        client.flushdb()
    except redis.RedisError as error:
        print(f"could not empty {uri}: {error}", file=sys.stderr)
    finally:
        client.close()


def run_locust(base: str, args: argparse.Namespace, folder: Path) -> None:
    """Run the scenario headless against `base`.

    :raise RuntimeError: if locust cannot run it (it exits 1 on failed requests: not an error
        here, they are reported).
    """
    from app.demo import DEMO_PASSWORD

    command = [
        sys.executable, "-m", "locust", "-f", str(LOCUSTFILE), "--headless",
        "-u", str(args.users), "-r", str(args.spawn_rate), "-t", args.duration,
        "--stop-timeout", "30", "--host", base, "--only-summary", "--loglevel", "WARNING",
        "--managers", str(args.managers), "--password", DEMO_PASSWORD,
        "--results-file", str(folder / "results.json"), "--wait", args.wait,
    ]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    if finished.returncode not in (0, 1) or not (folder / "results.json").exists():
        raise RuntimeError(f"locust failed ({finished.returncode}):\n{finished.stderr[-3000:]}")


def read_results(folder: Path, outcome: Outcome) -> None:
    """Read what the scenario wrote: figures per request name, all together, failures, writes."""
    results = json.loads((folder / "results.json").read_text(encoding="utf-8"))

    def row(figures: dict) -> Row:
        return Row(figures["name"], figures["requests"], figures["failures"],
                   figures["per_second"], figures["median"] or 0, figures["p95"] or 0,
                   {int(ms): n for ms, n in figures.get("times", {}).items()})

    outcome.rows = [row(figures) for figures in results["requests"]]
    outcome.total = row(results["total"])
    outcome.failures = [f"{failure['occurrences']} × {failure['method']} {failure['name']}: "
                        f"{failure['error']}" for failure in results["failures"]]
    outcome.failures += [f"{crash['count']} × the scenario crashed: {crash['message']}"
                         for crash in results["exceptions"]]
    outcome.writes = results["writes"]
    steady = results.get("steady") or {}
    outcome.steady_after = steady.get("after_seconds")
    outcome.refused_logins = steady.get("refused_logins", 0)
    if outcome.steady_after is not None:
        outcome.steady = without_logins([
            Row(name, sum(times.values()), 0, 0.0, 0.0, 0.0,
                {int(ms): n for ms, n in times.items()})
            for name, times in steady.get("times", {}).items()])


def read_server_log(log: Path) -> ServerLog:
    """Read the requests the server logged (health checks left out)."""
    durations, errors = [], 0
    for line in log.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if not isinstance(entry, dict) or "duration_ms" not in entry:
            continue
        if entry.get("path") == "/health":
            continue
        durations.append(float(entry["duration_ms"]))
        errors += int(entry.get("status", 0)) >= 500
    if not durations:
        return ServerLog()
    durations.sort()
    return ServerLog(len(durations), errors, statistics.median(durations),
                     durations[min(len(durations) - 1, int(len(durations) * 0.95))])


def without_logins(rows: list[Row]) -> Row:
    """Return the figures of every request but logging in (its password hash is slow on
    purpose, and a user logs in once a day)."""
    times: dict[int, int] = {}
    kept = [row for row in rows if not _is_login(row.name)]
    for row in kept:
        for ms, n in row.times.items():
            times[ms] = times.get(ms, 0) + n
    return Row("all requests but logging in", sum(row.requests for row in kept),
               sum(row.failures for row in kept), sum(row.per_second for row in kept),
               _percentile(times, 0.5), _percentile(times, 0.95), times)


def _is_login(name: str) -> bool:
    return name.startswith(("log in", "login"))


def _percentile(times: dict[int, int], share: float) -> float:
    total = sum(times.values())
    if not total:
        return 0.0
    seen = 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= total * share:
            return float(ms)
    return float(max(times))


def machine() -> str:
    """Describe the machine: processor count, memory, system."""
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB RAM, "
            f"{platform.system()} {platform.release()}, Python {platform.python_version()}")


def writes_table(outcome: Outcome) -> list[str]:
    """The writes the users were told succeeded against what the database gained."""
    created = outcome.writes.get("companies_created", 0)
    completed = outcome.writes.get("tasks_completed", 0)
    found = outcome.found
    checks = (
        ("companies created", created, found.companies),
        ("tasks completed (done)", completed, found.done),
        ("tasks added (first tasks + next tasks)", created + completed, found.tasks),
    )
    lines = ["| write | confirmed to the users | found in the database | |",
             "|---|---|---|---|"]
    for label, made, seen in checks:
        lines.append(f"| {label} | {made} | {seen} | {'ok' if made == seen else 'MISMATCH'} |")
    return lines


def lost_writes(outcome: Outcome) -> bool:
    """Tell whether the database disagrees with the writes the users were told succeeded."""
    created = outcome.writes.get("companies_created", 0)
    completed = outcome.writes.get("tasks_completed", 0)
    found = outcome.found
    return (found.companies, found.done, found.tasks) != (created, completed,
                                                          created + completed)


def markdown(outcome: Outcome) -> str:
    """Return the report as the results file's "## Load test" section."""
    args, total, server = outcome.args, outcome.total, outcome.server
    ordinary = without_logins(outcome.rows)
    command = command_line("bench.load.run", sys.argv[1:])
    demo = ", ".join(f"{value:,} {key.replace('_', ' ')}" for key, value in outcome.demo.items())
    verdict = "no failed request" if not outcome.failures else (
        f"{total.failures} FAILED requests, {len(outcome.failures)} kinds of failure")
    verdict += ", no lost write" if not lost_writes(outcome) else ", WRITES DO NOT MATCH"
    lines = [
        HEADING,
        "",
        f"`{command.strip()}`, {outcome.started:%Y-%m-%d %H:%M} UTC.",
        f"Machine: {machine()}; locust runs on the same machine.",
        f"Server: gunicorn, {args.workers} workers × {args.threads} threads (gthread), "
        f"CRM_ENV=production, PostgreSQL on 127.0.0.1, rate limits in Redis.",
        f"Data: demo generator, {demo}.",
        f"Load: {args.users} users (manager1..manager{min(args.users, args.managers)}), "
        f"spawn rate "
        f"{args.spawn_rate:g}/s, {args.duration}, think time {args.wait} s between tasks; "
        "tasks weighted My day 4, a list or a list search 6, a company 3, the search box 2 "
        "(as typed, then its page), completing a task with a next task 2, a new company "
        "with its first task 1.",
        "",
        f"**Result: {verdict}.** {total.requests:,} requests, {total.failures} failed, "
        f"{total.per_second:.1f} requests/s, median {total.median:.0f} ms, "
        f"95th percentile {total.p95:.0f} ms (as the users saw it, queueing included). "
        f"The server's own log: {server.requests:,} requests, {server.errors} answered with "
        f"a 5xx, time in the app median {server.median:.0f} ms, 95th percentile "
        f"{server.p95:.0f} ms. Every request but logging in, the logins' seconds included: "
        f"median {ordinary.median:.0f} ms, 95th percentile {ordinary.p95:.0f} ms.",
        "",
        steady_line(outcome),
        "",
        f"Judged: {judged(outcome)[1]}, 95th percentile **{judged(outcome)[0].p95:.0f} ms** "
        f"(target < {ORDINARY_P95_MS} ms).",
        "",
        "| request | count | failures | req/s | median ms | p95 ms |",
        "|---|---|---|---|---|---|",
    ]
    ordinary = without_logins(outcome.rows)
    for row in [*sorted(outcome.rows, key=lambda r: -r.requests), ordinary, total]:
        name = ("**all requests**" if row is total
                else f"**{row.name}**" if row is ordinary else row.name)
        lines.append(f"| {name} | {row.requests:,} | {row.failures} | {row.per_second:.1f} "
                     f"| {row.median:.0f} | {row.p95:.0f} |")
    lines += ["", "Writes: what the users were told succeeded (a 302 to the expected page) "
              "against what the database gained during the run.", "", *writes_table(outcome)]
    if outcome.failures:
        lines += ["", "Failures:", "", *[f"- {failure}" for failure in outcome.failures]]
    return "\n".join(lines) + "\n"


def judged(outcome: Outcome) -> tuple[Row, str]:
    """Return the figures the target is for, and what they are of.

    Ordinary pages once every user has logged in: the ramp starts 100 users in ten seconds,
    each logging in with a password hash that is slow on purpose, and the pages asked
    meanwhile wait behind those hashes; a team's morning spreads its logins over minutes.
    The logins are reported apart, with the seconds they took. The whole run is judged
    when the part after the logins holds fewer than half of the run's ordinary requests
    (a run too short, or a login that never ended): a few requests would decide alone.
    """
    ordinary = without_logins(outcome.rows)
    steady = outcome.steady
    if steady is not None and steady.requests * 2 >= ordinary.requests > 0:
        return steady, "every request but logging in, once every user had logged in"
    return ordinary, "every request but logging in, the whole run"


def steady_line(outcome: Outcome) -> str:
    """Say what the requests made once every user's login was over took."""
    steady = outcome.steady
    if outcome.steady_after is None:
        return "Not every user got through the login: no figures for the rest of the run."
    if steady is None or not steady.requests:
        return "No request succeeded after the logins."
    refused = (f" ({outcome.refused_logins} of them refused)" if outcome.refused_logins
               else "")
    return (f"Once every user had logged in{refused} ({outcome.steady_after:.0f} s into "
            f"the run; until then the logins' password hashing, slow on purpose, took much "
            f"of the processor): {steady.requests:,} successful requests but logging in, "
            f"median {steady.median:.0f} ms, 95th percentile **{steady.p95:.0f} ms**.")


def put_section(path: Path, section: str) -> None:
    """Replace the file's "## Load test" section (to its end) by `section`, or append it."""
    old = path.read_text(encoding="utf-8") if path.exists() else ""
    lines = old.splitlines(keepends=True)
    for number, line in enumerate(lines):
        if line.rstrip("\n") == HEADING:
            old = "".join(lines[:number])
            break
    if old and not old.endswith("\n"):
        old += "\n"
    if old and not old.endswith("\n\n"):
        old += "\n"
    path.write_text(old + section, encoding="utf-8")


def main() -> None:
    """Build the data, serve it, load it, check the writes, report."""
    args = arguments()
    outcome = Outcome(args, datetime.now(UTC), {})
    with tempfile.TemporaryDirectory(prefix="crm-load-") as name:
        folder = Path(name)
        log = folder / "gunicorn.log"
        try:
            with data_set(args, outcome) as url:
                before = count(url)
                with gunicorn(url, args, log) as base:
                    print(f"gunicorn at {base}; locust: {args.users} users, {args.duration}",
                          flush=True)
                    run_locust(base, args, folder)
                outcome.found = count(url) - before
        finally:
            flush_redis(args.redis)
        outcome.server = read_server_log(log)
        read_results(folder, outcome)
    report = markdown(outcome)
    print(report)
    put_section(args.output, report)
    if (outcome.failures or lost_writes(outcome)
            or judged(outcome)[0].p95 >= ORDINARY_P95_MS * 1.5):
        sys.exit(1)


if __name__ == "__main__":
    main()
