"""A throw-away database filled by the demo generator, shared by the benchmarks."""

import argparse
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from sqlalchemy import create_engine, text

PG_SERVER = os.environ.get("CRM_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


@dataclass
class Build:
    """What the demo generator wrote and how long it took (ANALYZE included)."""

    counts: dict[str, int]
    seconds: float


def arguments(description: str, companies: int, managers: int) -> argparse.ArgumentParser:
    """Return the command-line parser every benchmark shares (database, data size)."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--companies", type=int, default=companies)
    parser.add_argument("--managers", type=int, default=managers)
    return parser


@contextmanager
def throwaway_database(kind: str, prefix: str = "crm_bench") -> Iterator[str]:
    """Yield the URL of a new, empty database of the kind; drop it after."""
    if kind == "postgresql":
        name = f"{prefix}_{uuid.uuid4().hex[:8]}"
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield f"{PG_SERVER}/{name}"
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    else:
        with tempfile.TemporaryDirectory(prefix="crm-bench-") as folder:
            yield "sqlite:///" + os.path.join(folder, "crm.sqlite")


@contextmanager
def demo_app(kind: str, companies: int, managers: int, demo: dict | None = None,
             **settings) -> Iterator[tuple]:
    """Yield an app whose new database holds the demo data set, and its Build; drop it after.

    `demo` holds further keyword arguments of generate_demo (task history, contact persons);
    `settings` override the app's configuration.
    """
    from flask_migrate import upgrade

    from app import create_app
    from app.demo import generate_demo
    from app.extensions import db
    from app.services.rules.setup import prepare_database, refresh_statistics
    from config import Config

    with throwaway_database(kind) as url:
        config = Config()
        config.SQLALCHEMY_DATABASE_URI = url
        for key, value in settings.items():
            setattr(config, key, value)
        app = create_app(config)
        with app.app_context():
            upgrade()
            prepare_database(app.appbuilder, db.session)
            started = time.perf_counter()
            counts = generate_demo(app.appbuilder, db.session, companies=companies,
                                   managers=managers, **(demo or {}))
            refresh_statistics(db.session)
            build = Build(counts, time.perf_counter() - started)
            print(f"{kind}: demo built in {build.seconds:.0f} s: {counts}", flush=True)
            db.session.remove()
        try:
            yield app, build
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
