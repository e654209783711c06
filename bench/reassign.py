"""Benchmark: reassign one manager's whole book (about N companies) to another manager.

    python -m bench.reassign --database sqlite --companies 30000 --managers 3
    python -m bench.reassign --database postgresql --companies 30000 --managers 3

It builds a throw-away database with the demo generator, then times the move of
manager1's clients, contacts, open deals and planned tasks to manager2 (one transaction,
history included), and prints the counts and the seconds.
"""

import argparse
import os
import tempfile
import time
import uuid

from sqlalchemy import create_engine, select, text

PG_SERVER = os.environ.get("CRM_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


def _database(kind: str):
    if kind == "postgresql":
        name = f"crm_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))

        def drop() -> None:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

        return f"{PG_SERVER}/{name}", drop
    folder = tempfile.mkdtemp(prefix="crm-bench-")
    path = os.path.join(folder, "crm.sqlite")

    def remove() -> None:
        for suffix in ("", "-journal", "-wal", "-shm"):
            if os.path.exists(path + suffix):
                os.remove(path + suffix)
        os.rmdir(folder)

    return f"sqlite:///{path}", remove


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--companies", type=int, default=30000)
    parser.add_argument("--managers", type=int, default=3)
    args = parser.parse_args()

    from flask_migrate import upgrade

    from app import create_app
    from app.extensions import db
    from app.models import User
    from app.services.demo import generate_demo
    from app.services.reassignment import preview, reassign
    from app.services.setup import prepare_database
    from config import Config

    url, cleanup = _database(args.database)
    try:
        config = Config()
        config.SQLALCHEMY_DATABASE_URI = url
        app = create_app(config)
        with app.app_context():
            upgrade()
            prepare_database(app.appbuilder, db.session)
            started = time.perf_counter()
            generate_demo(app.appbuilder, db.session, companies=args.companies,
                          managers=args.managers)
            built = time.perf_counter() - started
            users = {u.username: u for u in db.session.scalars(select(User))}
            head, leaver, keeper = users["head"], users["manager1"], users["manager2"]
            counts = preview(db.session, head, leaver, keeper)
            started = time.perf_counter()
            record = reassign(db.session, head, leaver, keeper)
            seconds = time.perf_counter() - started
            print(f"database: {args.database}; demo of {args.companies} companies built "
                  f"in {built:.1f} s")
            print(f"moved: {counts}")
            print(f"reassignment #{record.id}: {seconds:.2f} s")
            db.session.remove()
            db.engine.dispose()
    finally:
        cleanup()


if __name__ == "__main__":
    main()
