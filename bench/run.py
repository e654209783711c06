"""The benchmark: build the big data set, time every page of a working day, write results.md.

    python -m bench.run --database both                 # 20 and 3 managers, both databases
    python -m bench.run --database sqlite --teams 3 --keep-in /some/folder

For each database and team size it builds a database with the demo generator (100,000
companies, 20,000 private clients, about 200,000 contact persons, 150,000 deals, 1,000,000
tasks; 20 managers, and 3 as in the demo's default team, where a manager owns a third of
all clients), then, as manager1 and as the head, times the menu-bar counters and every
page: each list (first page, a far page, sorted, with a search; statements at page sizes
25 and 100), the cards, My day and the team day, the queue, the inbox, the board, the
search box, every report (speed to lead over 50,000 leads of 26 weeks included), off
cadence (the open stages expecting a touch every 14 days), the card of a client with 500
tasks, the complete-task form and completing a task with a next task; last, it times
reassigning manager1's clients. It prints the report, writes it to
bench/results.md, and exits with 1 when a figure misses its target by more than half.

With --keep-in the databases stay in that folder (PostgreSQL: databases named after
them) and later runs migrate and reuse them instead of building again; the reassignment
is then timed on a copy.
"""

import argparse
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import select, text

from bench.cadence_limits import CADENCE_DAYS, set_cadence_limits
from bench.demo_database import command_line, copied_database, demo_app, make_app
from bench.leads import add_leads
from bench.long_feed import add_long_feed_client
from bench.measure import (
    WARM_UPS,
    Figure,
    counting,
    pace_ms,
    page_size_verdict,
    percentile_95,
    statements_of,
    time_requests,
)
from bench.pages import completion, plan, planned_tasks
from bench.report import Section, earlier_figures, markdown

RESULTS = Path(__file__).with_name("results.md")
# The load test (python -m bench.load.run) keeps its figures in this section of the file.
LOAD_TEST_HEADING = "## Load test"
# Deeper task history and more contact persons than `crm demo`: issue 9's sizes.
DEMO_SHAPE = {"task_history": 6, "contact_weights": (30, 40, 30)}


def arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--companies", type=int, default=100_000)
    parser.add_argument("--teams", default="20,3",
                        help="team sizes to measure, comma separated (managers)")
    parser.add_argument("--runs", type=int, default=20, help="timed requests per page")
    parser.add_argument("--keep-in", type=Path, default=None,
                        help="keep the built databases in this folder and reuse them")
    parser.add_argument("--output", type=Path, default=RESULTS)
    parser.add_argument("--before", type=Path, default=None,
                        help="a results file of an earlier run: its figures are shown beside")
    parser.add_argument("--before-note", default="",
                        help="what the earlier run measured (the code, the day)")
    args = parser.parse_args()
    args.teams = [int(size) for size in args.teams.split(",")]
    return args


def log_in(app, username: str):
    """Return a test client logged in as the demo user.

    :raise RuntimeError: if the login is refused.
    """
    from app.demo import DEMO_PASSWORD

    client = app.test_client()
    response = client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
    if response.status_code != 302:
        raise RuntimeError(f"{username} could not log in")
    return client


def time_pages(app, engine, username: str, manager_id: int, owner_id: int,
               runs: int, long_feed_id: int | None = None) -> list[Figure]:
    """Time every page as the user, then completing tasks of `owner_id` with a next task."""
    from app.extensions import db
    from app.models import User

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        pages = plan(db.session, user, manager_id, long_feed_id=long_feed_id)
        tasks = planned_tasks(db.session, owner_id, runs + WARM_UPS)
        db.session.remove()
    client = log_in(app, username)
    figures = [time_counters(app, engine, username, runs)]
    for page in pages:
        median, p95, count, status = time_requests(
            engine, lambda _n, url=page.url: client.get(url), runs)
        figure = Figure(page.label, page.url, page.kind, median, p95, count, status)
        if page.view:
            sizes = [statements_of(engine, client, f"{page.url}?psize_{page.view}={size}")
                     for size in (25, 100)]
            figure.page_size_check = page_size_verdict(*sizes)
        figures.append(figure)
        print(f"  {username:9} {page.label:38} {median:7.1f} ms  p95 {p95:7.1f} ms  "
              f"{count:3} statements {figure.page_size_check}", flush=True)
    url = completion(*tasks[0])[0]
    def complete(number: int):
        address, form = completion(*tasks[number])
        return client.post(address, data=form)

    median, p95, count, status = time_requests(engine, complete, runs)
    figures.append(Figure("complete a task with a next task (POST)", url.rsplit("/", 1)[0]
                          + "/<id>", "page", median, p95, count, status, expected_status=302))
    print(f"  {username:9} complete a task: {median:.1f} ms, p95 {p95:.1f} ms", flush=True)
    return figures


def time_counters(app, engine, username: str, runs: int) -> Figure:
    """Time the menu bar's counters for the user: what every page runs besides its own."""
    from app.extensions import db
    from app.models import User
    from app.models.mixins import local_now
    from app.services.queries.menu_counts import menu_counts

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        times = []
        for number in range(runs + 1):
            with counting(engine) as seen:
                started = time.perf_counter()
                menu_counts(db.session, user, local_now())
                elapsed = (time.perf_counter() - started) * 1000
            if number:
                times.append(elapsed)
        db.session.remove()
    figure = Figure("menu-bar counters (overdue, today, new leads)", "(every page)",
                    "counters", statistics.median(times), percentile_95(times), len(seen), 200)
    print(f"  {username:9} {figure.label:38} {figure.median_ms:7.2f} ms", flush=True)
    return figure


def reassign(app) -> tuple[dict[str, int], float, float]:
    """Move manager1's whole book to manager2 as the head.

    Return the counts, the seconds of the head's confirm (the move recorded after its
    checks and counts) and those of the move itself (in the background when served).
    """
    from app.extensions import db
    from app.models import User
    from app.services.rules import reassignment

    with app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        head, leaver, keeper = users["head"], users["manager1"], users["manager2"]
        moved = reassignment.preview(db.session, head, leaver, keeper)  # the preview page
        started = time.perf_counter()
        record = reassignment.start(db.session, head, leaver, keeper)
        confirmed = time.perf_counter()
        reassignment.run(db.session, record.id)
        ended = time.perf_counter()
        db.session.remove()
    return moved, confirmed - started, ended - confirmed


def server_version(session) -> str:
    """Return the database server's version."""
    if session.get_bind().dialect.name == "postgresql":
        return session.scalar(text("SHOW server_version")).split()[0]
    return session.scalar(text("SELECT sqlite_version()"))


def measure_database(kind: str, managers: int, args: argparse.Namespace) -> Section:
    """Build (or reuse) the data set of the team size on the kind and measure everything."""
    from app.extensions import db
    from app.models import User
    from app.services.rules.setup import refresh_statistics

    with demo_app(kind, args.companies, managers, demo=DEMO_SHAPE, keep_in=args.keep_in,
                  WTF_CSRF_ENABLED=False) as (app, build, state):
        with app.app_context():
            ids = dict(db.session.execute(select(User.username, User.id)).all())
            if "long_feed_id" not in state:
                state["long_feed_id"] = add_long_feed_client(db.session, ids["manager1"])
                state["leads"] = add_leads(db.session)
                refresh_statistics(db.session)
                state.keep()
            if "cadence_days" not in state:
                set_cadence_limits(db.session)
                state["cadence_days"] = CADENCE_DAYS
                state.keep()
            print(f"  {state['leads']} leads in the inbox, open stages expect a touch every "
                  f"{state['cadence_days']} days", flush=True)
            section = Section(kind, server_version(db.session), build, managers)
            engine = db.engine
            db.session.remove()
        manager, other = ids["manager1"], ids["manager2"]
        pace_before = pace_ms()
        for username, owner in (("manager1", manager), ("head", other)):
            section.figures[username] = time_pages(app, engine, username, manager, owner,
                                                   args.runs, state["long_feed_id"])
        section.pace_ms = (pace_before, pace_ms())
        print(f"  machine pace: {section.pace_ms[0]:.1f} ms before, "
              f"{section.pace_ms[1]:.1f} ms after", flush=True)
        if state["new"] and args.keep_in is None:
            section.moved, section.start_seconds, section.reassign_seconds = reassign(app)
        else:
            with app.app_context():
                db.engine.dispose()
            with copied_database(state["url"]) as url:
                copy = make_app(url, WTF_CSRF_ENABLED=False)
                (section.moved, section.start_seconds,
                 section.reassign_seconds) = reassign(copy)
                with copy.app_context():
                    db.engine.dispose()
        print(f"  reassignment: confirm {section.start_seconds:.2f} s, "
              f"move {section.reassign_seconds:.2f} s", flush=True)
    return section


def main() -> None:
    """Run the benchmark on the chosen databases, print the report and write it."""
    args = arguments()
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    sections = [measure_database(kind, managers, args)
                for managers in args.teams for kind in kinds]
    command = command_line("bench.run", sys.argv[1:])
    before = earlier_figures(args.before) if args.before else None
    report = markdown(command.strip(), args.runs, sections, before, args.before_note)
    print(report)
    args.output.write_text(report + load_test_section(args.output), encoding="utf-8")
    failed = [figure.label for section in sections
              for figures in section.figures.values() for figure in figures if figure.fails()]
    if failed:
        print(f"{len(failed)} figures miss their target by more than half", file=sys.stderr)
        sys.exit(1)


def load_test_section(path: Path) -> str:
    """Return the load test's section of the results file (bench/load writes it), if any."""
    if not path.exists():
        return ""
    text = path.read_text(encoding="utf-8")
    start = text.find(LOAD_TEST_HEADING)
    return "" if start < 0 else "\n" + text[start:]


if __name__ == "__main__":
    main()
