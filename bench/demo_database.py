"""A throw-away database filled by the demo generator, shared by the benchmarks."""

import argparse
import json
import os
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

PG_SERVER = os.environ.get("CRM_BENCH_PG", "postgresql+psycopg://postgres@127.0.0.1:5432")


# Options whose values are places on this machine or long texts: a report names them only.
_UNNAMED = {"--keep-in": "FOLDER", "--before": "FILE", "--output": "FILE",
            "--before-note": "TEXT"}


def command_line(module: str, arguments: list[str]) -> str:
    """Return the command that made a report, with folders, files and notes left unnamed."""
    shown, hide = [], None
    for argument in arguments:
        name, _, value = argument.partition("=")
        if hide is not None:
            shown.append(hide)
            hide = None
        elif name in _UNNAMED and value:
            shown.append(f"{name}={_UNNAMED[name]}")
        elif name in _UNNAMED:
            shown.append(name)
            hide = _UNNAMED[name]
        else:
            shown.append(argument)
    return " ".join(["python -m", module, *shown])


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
def postgresql_database(name: str, template: str | None = None) -> Iterator[str]:
    """Yield the URL of a new PostgreSQL database (a copy of `template`); drop it after."""
    admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    copied = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def throwaway_database(kind: str, prefix: str = "crm_bench") -> Iterator[str]:
    """Yield the URL of a new, empty database of the kind; drop it after."""
    if kind == "postgresql":
        with postgresql_database(f"{prefix}_{uuid.uuid4().hex[:8]}") as url:
            yield url
    else:
        with tempfile.TemporaryDirectory(prefix="crm-bench-") as folder:
            yield "sqlite:///" + os.path.join(folder, "crm.sqlite")


class KeptState(dict):
    """What a benchmark knows of its database (its URL, its build, records it added)."""

    def __init__(self, marker: Path | None, known: dict) -> None:
        super().__init__(known)
        self.marker = marker

    def keep(self) -> None:
        """Write it next to a kept database (nothing for a throw-away one)."""
        if self.marker is not None:
            self.marker.write_text(json.dumps({**self, "new": False}), encoding="utf-8")


@contextmanager
def kept_database(kind: str, folder: Path, name: str) -> Iterator[str]:
    """Yield the URL of the database kept under the name; it stays after the block."""
    if kind == "postgresql":
        database = f"crm_bench_{name}".replace("-", "_")
        admin = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if not (folder / f"{name}.json").exists():
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
                connection.execute(text(f'CREATE DATABASE "{database}"'))
        admin.dispose()
        yield f"{PG_SERVER}/{database}"
    else:
        path = folder / f"{name}.sqlite"
        if not (folder / f"{name}.json").exists():
            for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
                stale.unlink(missing_ok=True)
        yield f"sqlite:///{path}"


@contextmanager
def copied_database(url: str) -> Iterator[str]:
    """Yield the URL of a copy of the database at the url; drop the copy after.

    For what changes the data set for good (reassigning a whole book) on a kept database.
    """
    kind, _, rest = url.partition("://")
    if kind.startswith("postgresql"):
        source = rest.rsplit("/", 1)[1]
        with postgresql_database(f"{source}_copy", template=source) as copy:
            yield copy
    else:
        import shutil
        import sqlite3
        source = Path("/" + rest.lstrip("/"))
        copy = source.with_name(source.stem + "-copy.sqlite")
        # Everything into the file itself first: the database keeps a write-ahead log.
        with closing(sqlite3.connect(source)) as connection:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        shutil.copyfile(source, copy)
        try:
            yield f"sqlite:///{copy}"
        finally:
            for path in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                path.unlink(missing_ok=True)


def make_app(url: str, **settings):
    """Return the CRM app on the database at the url, with `settings` over its config."""
    from app import create_app
    from config import Config

    config = Config()
    config.SQLALCHEMY_DATABASE_URI = url
    for key, value in settings.items():
        setattr(config, key, value)
    return create_app(config)


@contextmanager
def demo_app(kind: str, companies: int, managers: int, demo: dict | None = None,
             keep_in: Path | None = None, **settings) -> Iterator[tuple]:
    """Yield an app whose database holds the demo data set, its Build and its state.

    `demo` holds further keyword arguments of generate_demo (task history, contact persons);
    `settings` override the app's configuration. Without `keep_in` the database is new and
    dropped after. With it, the database is kept there and built only once: a later run
    migrates it and reuses it. The state is a dict the caller may fill (it is kept too);
    its "url" is the database's and "new" says whether it was built by this run.
    """
    from flask_migrate import upgrade

    from app.demo import generate_demo
    from app.extensions import db
    from app.services.rules.setup import prepare_database, refresh_statistics

    name = f"{kind}-{companies}c-{managers}m"
    if keep_in is not None:
        keep_in = keep_in.resolve()
        keep_in.mkdir(parents=True, exist_ok=True)
    marker = keep_in / f"{name}.json" if keep_in is not None else None
    database = kept_database(kind, keep_in, name) if keep_in else throwaway_database(kind)
    with database as url:
        app = make_app(url, **settings)
        state = json.loads(marker.read_text()) if marker and marker.exists() else {}
        with app.app_context():
            upgrade()
            if state:
                build = Build(**state["build"])
                print(f"{kind}: demo of {managers} managers reused from {url}", flush=True)
            else:
                prepare_database(app.appbuilder, db.session)
                started = time.perf_counter()
                counts = generate_demo(app.appbuilder, db.session, companies=companies,
                                       managers=managers, **(demo or {}))
                refresh_statistics(db.session)
                build = Build(counts, time.perf_counter() - started)
                print(f"{kind}: demo built in {build.seconds:.0f} s: {counts}", flush=True)
            db.session.remove()
        state = KeptState(marker, state)
        state.update(url=url, new="build" not in state, build=asdict(build))
        # Kept as soon as it is built: a run stopped later reuses it all the same.
        state.keep()
        try:
            yield app, build, state
            state.keep()
        finally:
            with app.app_context():
                db.session.remove()
                db.engine.dispose()
