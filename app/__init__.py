"""The CRM application factory."""

import os

from flask import Flask
from flask_appbuilder import AppBuilder
from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.extensions import csrf, db, migrate


def create_app(config: object | None = None) -> Flask:
    """Build a new CRM app from a config object (the environment's config by default)."""
    from config import config_from_environment

    app = Flask(__name__, instance_relative_config=True)
    app.config.from_object(config if config is not None else config_from_environment())
    # An empty value shows as nothing, not as "None".
    app.jinja_env.finalize = lambda value: "" if value is None else value
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        path = os.path.join(app.instance_path, "crm.sqlite")
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{path}"

    from app import models  # noqa: F401  (register every table before Alembic looks)
    from app.api import register_apis
    from app.babel_context import install_babel_context
    from app.cli import register_cli
    from app.first_hooks import install_first_hooks
    from app.prepared_statements import install_read_only_commit
    from app.security_headers import install_security_headers
    from app.services.rules import close_date, history, next_task, summaries
    from app.serving import install_serving
    from app.views import register_views
    from app.views.errors import register_error_pages
    from app.views.index import CrmIndexView
    from app.views.intake_form import install_intake_form
    from app.views.locale import install_locale_selection

    app.config.setdefault("FAB_INDEX_VIEW", None)
    history.install()
    next_task.install()
    close_date.install()
    summaries.install()
    db.init_app(app)
    install_read_only_commit(app, db)
    migrate.init_app(app, db, directory=_migrations_dir(), render_as_batch=True)
    csrf.init_app(app)
    with app.app_context():
        appbuilder = AppBuilder(indexview=CrmIndexView)
        appbuilder.init_app(app, db.session)
        register_views(appbuilder)
        register_apis(appbuilder)
    install_locale_selection(app)
    install_babel_context()
    register_error_pages(app)
    install_security_headers(app)
    register_cli(app)
    install_serving(app)
    install_intake_form(app)
    install_first_hooks(app)
    return app


def _migrations_dir() -> str:
    return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "migrations")


# How long a SQLite writer waits for another one's write lock before giving up.
SQLITE_BUSY_TIMEOUT_MS = 15_000
# Page cache per connection (KiB) and memory-mapped reads (bytes) of a SQLite database.
SQLITE_CACHE_KIB = 32_768
SQLITE_MMAP_BYTES = 1 << 30


def _write_ahead_log(cursor) -> None:
    """Keep SQLite in write-ahead-log mode: readers never wait for a writer.

    In its default mode a long write (a whole book reassigned in the background) takes
    the file for itself once its changes outgrow the page cache, and every page of every
    user fails as "database is locked". The mode is stored in the file; a connection that
    finds another one mid-write leaves it to the next connection.
    """
    import sqlite3

    try:
        cursor.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError:
        pass


@event.listens_for(Engine, "checkin")
def _usual_sqlite_wait(dbapi_connection, _record) -> None:
    """Give a SQLite connection back to the pool with the usual wait for the write lock.

    A reassignment waits longer for another one, the move's page shorter; neither's
    wait must stay with the connection for the next request.
    """
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        try:
            dbapi_connection.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        except sqlite3.Error:
            pass  # a closed connection: the pool replaces it


@event.listens_for(Engine, "connect")
def _enable_sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """Make SQLite enforce foreign keys, so a user who owns records cannot be deleted.

    A second writer waits for the first one's commit (busy timeout) instead of failing
    at once: the key rule's checks take the write lock and hold it to the commit.
    It also gets the text folding of searches (its own lower() leaves Cyrillic as it is).
    """
    module = type(dbapi_connection).__module__
    if module.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _write_ahead_log(cursor)
        # SQLite keeps 2 MB of pages per connection by default: a big book then reads
        # every index page again through a system call. Memory-mapped reads and a larger
        # cache keep the hot indexes at hand.
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.execute(f"PRAGMA mmap_size={SQLITE_MMAP_BYTES}")
        cursor.close()
        from app.models.indexes import SQLITE_LOWER, lower_text
        from app.services.queries.lookup import SQLITE_FOLD, fold

        dbapi_connection.create_function(SQLITE_FOLD, 1, fold, deterministic=True)
        # Deterministic: the "starts with" indexes are built on it.
        dbapi_connection.create_function(SQLITE_LOWER, 1, lower_text, deterministic=True)


@event.listens_for(Engine, "connect")
def _no_parallel_plans_on_postgresql(dbapi_connection, _record) -> None:
    """Keep PostgreSQL from starting parallel workers for a request's statements.

    Starting two workers costs more than the statements of a page take (the count of
    overdue tasks per manager: 12 ms with two workers, 3 ms in one process), and on a
    two-core server the workers take the cores other requests are waiting for.
    """
    if type(dbapi_connection).__module__.startswith("psycopg"):
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SET max_parallel_workers_per_gather = 0")
        # A SET inside a transaction that is rolled back is undone with it.
        dbapi_connection.commit()
