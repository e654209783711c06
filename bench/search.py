"""Benchmark: the menu bar's search, as a manager and as the head, on the demo data set.

    python -m bench.search --database sqlite --companies 100000 --managers 20
    python -m bench.search --database postgresql --companies 100000 --managers 20
    python -m bench.search --url sqlite:////path/to/crm.sqlite   # a database already filled

It builds a throw-away database with the demo generator (or opens the one given), picks
real values from it (a phone of manager1's, an e-mail, an INN, a rare and the most common
first word of company names, a last name), then times GET /api/v1/search for each, as
manager1 and as the head: median and 95th percentile of `--runs` requests after a
warm-up, and the statements of one request. It prints a Markdown table.
"""

import argparse
import statistics
import time
from collections import Counter
from contextlib import contextmanager
from urllib.parse import quote

from sqlalchemy import func, select

from bench.demo_database import arguments, demo_app
from bench.measure import counting, percentile_95


def search_queries(session, manager_id: int) -> list[tuple[str, str]]:
    """Return (label, query) pairs with values taken from the data set."""
    from app.models import Company, Contact

    company = session.execute(
        select(Company.phone, Company.email, Company.inn, Company.name)
        .where(Company.owner_id == manager_id, Company.archived.is_(False))
        .order_by(Company.id).limit(1)).one()
    digits = "".join(ch for ch in company.phone if ch.isdigit())
    first_words = Counter(
        (name or "").split()[0].lower() for name in session.scalars(
            select(Company.search_name).where(Company.search_name.is_not(None)).limit(20000)))
    common = first_words.most_common(1)[0][0]
    rare = min(first_words, key=lambda word: (first_words[word], word))
    # A name under the common first word, narrowed by two letters of its next word.
    narrowed = session.scalar(select(Company.search_name).where(
        Company.search_name.like(f"{common} %")).order_by(Company.id).limit(1))
    narrowed = " ".join([common, narrowed.split()[1][:2]]) if narrowed else common
    last_name = session.scalar(select(Contact.last_name).where(
        Contact.owner_id == manager_id).order_by(Contact.id).limit(1))
    return [
        ("phone, whole, 8 (...)", f"8 ({digits[1:4]}) {digits[4:7]}-{digits[7:9]}-{digits[9:]}"),
        ("phone, last 7 digits", digits[-7:]),
        ("e-mail, other case", company.email.upper()),
        ("INN", company.inn),
        ("name, one rare word", rare),
        (f"name, the most common first word ({common})", common),
        ("name, the common first word + 2 letters", narrowed),
        ("last name of a contact", last_name),
        ("two letters", last_name[:2]),
    ]


@contextmanager
def _existing(url: str):
    from app import create_app
    from config import Config

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    config.WTF_CSRF_ENABLED = False
    app = create_app(config)
    yield app, None


def _time(engine, client, url: str, runs: int) -> tuple[float, float, int, int]:
    client.get(url)
    times = []
    for _ in range(runs):
        with counting(engine) as seen:
            started = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), percentile_95(times), len(seen), response.status_code


def measure(app, runs: int) -> list[str]:
    """Time every query as manager1 and as the head; return the table's lines."""
    from app.demo import DEMO_PASSWORD
    from app.extensions import db
    from app.models import Company, Contact, User

    lines = ["| user | query | typed | median ms | p95 ms | statements | found |",
             "|---|---|---|---:|---:|---:|---:|"]
    with app.app_context():
        engine = db.engine
        manager = db.session.scalar(select(User).where(User.username == "manager1"))
        queries = search_queries(db.session, manager.id)
        sizes = (db.session.scalar(select(func.count(Company.id))),
                 db.session.scalar(select(func.count(Contact.id))))
        db.session.remove()
    print(f"companies: {sizes[0]}, contacts: {sizes[1]}", flush=True)
    for username in ("manager1", "head"):
        client = app.test_client()
        client.post("/login/", data={"username": username, "password": DEMO_PASSWORD})
        for label, query in queries:
            url = f"/api/v1/search?q={quote(query)}"
            median, p95, statements, status = _time(engine, client, url, runs)
            answer = client.get(url).json or {}
            found = len(answer.get("result", [])) + len(answer.get("taken", []))
            line = (f"| {username} | {label} | `{query}` | {median:.1f} | {p95:.1f} | "
                    f"{statements} | {found if status == 200 else status} |")
            print(line, flush=True)
            lines.append(line)
    return lines


def main() -> None:
    parser: argparse.ArgumentParser = arguments(__doc__.splitlines()[0], companies=100_000,
                                                managers=20)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--url", help="an existing database filled by `crm demo`")
    args = parser.parse_args()
    opened = _existing(args.url) if args.url else demo_app(
        args.database, args.companies, args.managers, WTF_CSRF_ENABLED=False)
    with opened as (app, *_built):
        lines = measure(app, args.runs)
    print("\n".join(lines))


if __name__ == "__main__":
    main()
