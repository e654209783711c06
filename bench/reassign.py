"""Benchmark: reassign one manager's whole book (about N companies) to another manager.

    python -m bench.reassign --database sqlite --companies 30000 --managers 3
    python -m bench.reassign --database postgresql --companies 30000 --managers 3

It builds a throw-away database with the demo generator, then times the move of
manager1's clients, contacts, open deals and planned tasks to manager2 (one transaction,
history included), and prints the counts and the seconds.
"""

import time

from sqlalchemy import select

from bench.demo_database import arguments, demo_app


def main() -> None:
    args = arguments(__doc__.splitlines()[0], companies=30000, managers=3).parse_args()

    from app.extensions import db
    from app.models import User
    from app.services.rules.reassignment import preview, reassign

    with demo_app(args.database, args.companies, args.managers) as (app, *_built), \
            app.app_context():
        users = {u.username: u for u in db.session.scalars(select(User))}
        head, leaver, keeper = users["head"], users["manager1"], users["manager2"]
        counts = preview(db.session, head, leaver, keeper)
        started = time.perf_counter()
        record = reassign(db.session, head, leaver, keeper)
        seconds = time.perf_counter() - started
        print(f"moved: {counts}")
        print(f"reassignment #{record.id}: {seconds:.2f} s")


if __name__ == "__main__":
    main()
