"""Benchmark: import a CSV file of N new companies (dry run, import, second dry run).

    python -m bench.import_speed --database sqlite --rows 10000
    python -m bench.import_speed --database postgresql --rows 10000

It builds a throw-away database with one manager, then times the dry run of a file of N
potential companies (name, phone, e-mail, status), the import in one transaction, and a
second dry run of the same file (every row unchanged), and prints the seconds of each.
It exits with an error when a step did not count every row as expected.
"""

import argparse
import sys
import time

from bench.demo_database import throwaway_database

# What each step must count every row of the file as.
EXPECTED = {"dry run": "create", "import": "create", "second dry run": "unchanged"}


def arguments() -> argparse.Namespace:
    """Parse the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    return parser.parse_args()


def companies_csv(rows: int) -> bytes:
    """Return a semicolon-separated file of `rows` potential companies, each one distinct."""
    lines = ["Название;Телефон;E-mail;Статус"]
    for n in range(rows):
        lines.append(f"Компания {n};+7 495 {n // 10000 + 100:03d}-{n // 100 % 100:02d}-"
                     f"{n % 100:02d};c{n}@example.ru;Потенциальный")
    return ("\n".join(lines) + "\n").encode()


def main() -> None:
    args = arguments()

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.services.io import importer
    from app.services.rules.setup import prepare_database
    from config import Config

    data = companies_csv(args.rows)
    with throwaway_database(args.database, prefix="crm_import") as url:
        config = Config()
        config.SQLALCHEMY_DATABASE_URI = url
        app = create_app(config)
        with app.app_context():
            upgrade()
            prepare_database(app.appbuilder, db.session)
            sm = app.appbuilder.sm
            anna = sm.add_user("anna", "Anna", "Bench", "anna@example.com",
                               sm.find_role("Manager"), "Bench-password-1")
            table = importer.read_table(data, "companies.csv")
            with app.test_request_context():
                mapping = importer.auto_mapping("company", table.headers, anna)
                figures = {}
                for step, action in (("dry run", importer.plan), ("import", importer.run),
                                     ("second dry run", importer.plan)):
                    started = time.perf_counter()
                    result = action(db.session, anna, "company", table, mapping)
                    figures[step] = (time.perf_counter() - started, dict(result.counts))
                    if step == "dry run":
                        db.session.rollback()
            db.session.remove()
            db.engine.dispose()
    print(f"{args.database}, {args.rows:,} rows:")
    for step, (seconds, counts) in figures.items():
        shown = ", ".join(f"{name} {number:,}" for name, number in counts.items() if number)
        print(f"  {step}: {seconds:.1f} s ({shown})")
    wrong = [step for step, (_, counts) in figures.items()
             if counts.get(EXPECTED[step]) != args.rows]
    if wrong:
        sys.exit(f"not every row counted as expected in: {', '.join(wrong)}")


if __name__ == "__main__":
    main()
