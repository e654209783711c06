"""Benchmark: server time and SQL statements of the CRM's pages on a big demo data set.

    python -m bench.pages --database sqlite --companies 100000 --managers 20
    python -m bench.pages --database postgresql --companies 100000 --managers 20

It builds a throw-away database with the demo generator, then requests every page
(after a warm-up) as the head and as a manager through the app's test client, and
prints the median and 95th percentile server time and the number of SQL statements.
"""

import statistics
import time

from sqlalchemy import event

from bench.demo_database import arguments, demo_app

PAGES = (
    "/", "/queue/", "/companyview/list/", "/contactview/list/", "/dealview/list/",
    "/taskview/list/", "/companyview/list/?page_CompanyView=100",
    "/companyview/list/?_oc_CompanyView=name&_od_CompanyView=desc",
    "/companyview/list/?_flt_0_name=Агро", "/pipeline/", "/reports/funnel/",
    "/reports/won-lost/", "/reports/tasks/", "/reports/no-next-task/",
    "/reports/new-clients/",
)


def measure(client, engine, url: str, runs: int) -> tuple[float, float, int, int]:
    """Return median ms, 95th percentile ms, statements and status of GET url."""
    statements = []
    listener = lambda *args: statements.append(1)  # noqa: E731
    client.get(url)  # warm-up
    times = []
    for _ in range(runs):
        statements.clear()
        event.listen(engine, "before_cursor_execute", listener)
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        event.remove(engine, "before_cursor_execute", listener)
    times.sort()
    p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
    return statistics.median(times), p95, len(statements), response.status_code


def main() -> None:
    parser = arguments(__doc__.splitlines()[0], companies=100000, managers=20)
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()

    from app.extensions import db
    from app.services.demo import DEMO_PASSWORD

    with demo_app(args.database, args.companies, args.managers,
                  WTF_CSRF_ENABLED=False) as app:
        for username in ("head", "manager1"):
            client = app.test_client()
            client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
            print(f"\n{username}\n| page | median ms | p95 ms | statements | status |")
            print("|---|---|---|---|---|")
            with app.app_context():
                for page in PAGES:
                    median, p95, count, status = measure(client, db.engine, page, args.runs)
                    print(f"| {page} | {median:.0f} | {p95:.0f} | {count} | {status} |")


if __name__ == "__main__":
    main()
