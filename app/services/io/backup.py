"""Copy the whole database to a file while the CRM runs, and bring such a copy back.

SQLite uses its online backup API (a consistent snapshot, other connections keep
working). PostgreSQL uses its own tools, pg_dump (custom format) and pg_restore, run as
separate programs; without them the commands refuse with the instructions.
"""

import os
import shutil
import sqlite3
import subprocess
from datetime import datetime
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.engine import Engine

from app.services.errors import DomainError


class BackupError(DomainError):
    """The copy could not be made or brought back; the message says why and what to do."""


def default_path(instance_path: str, engine: Engine, now: datetime) -> Path:
    """Return instance/backups/crm-YYYYmmdd-HHMMSS.sqlite (.dump for PostgreSQL)."""
    suffix = "sqlite" if engine.dialect.name == "sqlite" else "dump"
    return Path(instance_path) / "backups" / f"crm-{now:%Y%m%d-%H%M%S}.{suffix}"


def _sqlite_file(engine: Engine) -> str:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError(_l("This database lives in memory only: there is nothing to copy."))
    return database


def _pg_tool(name: str) -> str:
    tool = shutil.which(name)
    if tool is None:
        raise BackupError(_l(
            "%(tool)s was not found. Install the PostgreSQL client tools, or run "
            "%(tool)s yourself, for example: pg_dump --format=custom --file=crm.dump "
            "DATABASE and pg_restore --clean --if-exists --single-transaction "
            "--dbname=DATABASE crm.dump.", tool=name,
        ))
    return tool


def _pg_arguments(engine: Engine) -> tuple[str, dict]:
    """Return the libpq address of the database and the environment holding its password."""
    url = engine.url
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    address = url.set(drivername="postgresql", password=None).render_as_string(
        hide_password=False)
    return address, environment


def _run(command: list[str], environment: dict) -> None:
    result = subprocess.run(command, env=environment, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        raise BackupError(_l("%(tool)s failed: %(error)s", tool=Path(command[0]).name,
                             error=result.stderr.strip()[-2000:]))


def backup(engine: Engine, path: Path) -> Path:
    """Write a consistent copy of the database to `path` (its folder is created).

    :raise BackupError: if the database kind has no way to be copied here, or the copy
        failed (the message says why).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if engine.dialect.name == "sqlite":
        _sqlite_file(engine)
        source = engine.raw_connection()
        try:
            target = sqlite3.connect(path)
            try:
                source.driver_connection.backup(target)
                # One self-contained file (the live database keeps a write-ahead log).
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            source.close()
        return path
    if engine.dialect.name == "postgresql":
        address, environment = _pg_arguments(engine)
        _run([_pg_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={path}",
              f"--dbname={address}"], environment)
        return path
    raise BackupError(_l("Backups of %(kind)s databases are not supported.",
                         kind=engine.dialect.name))


def _check_sqlite_backup(path: Path) -> None:
    try:
        copy = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            copy.execute("SELECT version_num FROM alembic_version").fetchone()
        finally:
            copy.close()
    except sqlite3.DatabaseError as error:
        raise BackupError(_l("%(path)s is not a backup of the CRM.", path=str(path))) from error


def restore(engine: Engine, path: Path) -> None:
    """Replace everything in the database with the copy in `path`, in one step.

    :raise BackupError: if the file is missing or not a CRM backup, or the restore failed.
    """
    path = Path(path)
    if not path.is_file():
        raise BackupError(_l("%(path)s: no such file.", path=str(path)))
    if engine.dialect.name == "sqlite":
        _sqlite_file(engine)
        _check_sqlite_backup(path)
        engine.dispose()  # no pooled connection keeps reading the old pages
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            target = engine.raw_connection()
            try:
                source.backup(target.driver_connection)
            finally:
                target.close()
        finally:
            source.close()
        engine.dispose()
        return
    if engine.dialect.name == "postgresql":
        address, environment = _pg_arguments(engine)
        engine.dispose()
        _run([_pg_tool("pg_restore"), "--clean", "--if-exists", "--no-owner",
              "--single-transaction", f"--dbname={address}", str(path)], environment)
        engine.dispose()
        return
    raise BackupError(_l("Backups of %(kind)s databases are not supported.",
                         kind=engine.dialect.name))
