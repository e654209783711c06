"""Serving in production: /health for the load balancer, JSON logs with request ids, the
database pool from the environment, and two gunicorn processes sharing one database."""

import json
import logging
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from app import create_app
from app.extensions import db
from app.logging_setup import JsonFormatter
from config import ProductionConfig, engine_options
from tests.helpers import PG_SERVER, make_config, require_module
from tests.helpers_served import dispose, free_port, json_lines, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
DUE = "2030-01-15 10:00:00"
BAD_DATABASES = ["postgresql+psycopg://postgres@127.0.0.1:1/nowhere",
                 "sqlite:////nonexistent-directory/crm.sqlite"]


# --- /health ------------------------------------------------------------------------------


def test_health_answers_ok_without_a_login_or_a_session(app):
    response = app.test_client().get("/health")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert response.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in response.headers


def test_health_is_never_rate_limited(database_url):
    application = create_app(make_config(database_url, RATELIMIT_ENABLED=True,
                                         AUTH_RATE_LIMIT="2 per minute",
                                         RATELIMIT_DEFAULT="2 per minute"))
    try:
        client = application.test_client()
        assert all(client.get("/health").status_code == 200 for _ in range(6))
        # Other pages do fall under this default limit.
        assert [client.get("/lang/en").status_code for _ in range(3)][-1] == 429
    finally:
        dispose(application)


@pytest.mark.parametrize("url", BAD_DATABASES)
def test_health_answers_503_when_the_database_does_not(url):
    application = create_app(make_config(url, SQLALCHEMY_ENGINE_OPTIONS=engine_options(url)))
    try:
        # How long the check may wait is the connect timeout (the engine options' test).
        response = application.test_client().get("/health")
        assert response.status_code == 503
        assert response.get_json()["status"] == "unavailable"
    finally:
        dispose(application)


# --- logs ---------------------------------------------------------------------------------


def test_json_logs_give_one_line_per_request_with_its_id(database_url, capsys, json_logs):
    application = create_app(make_config(database_url, LOG_FORMAT="json"))
    try:
        client = application.test_client()
        capsys.readouterr()
        sent = client.get("/login/", headers={"X-Request-ID": "lb-42.abc"})
        made = client.get("/health")
        forged = client.get("/health", headers={"X-Request-ID": "not an id {\"x\": 1}"})
        lines = json_lines(capsys.readouterr().err)
    finally:
        dispose(application)
    assert sent.headers["X-Request-ID"] == "lb-42.abc"
    assert re.fullmatch(r"[0-9a-f]{32}", made.headers["X-Request-ID"])
    assert re.fullmatch(r"[0-9a-f]{32}", forged.headers["X-Request-ID"])
    requests_ = [line for line in lines if line["logger"] == "crm.request"]
    assert [(line["method"], line["path"], line["status"]) for line in requests_] == [
        ("GET", "/login/", 200), ("GET", "/health", 200), ("GET", "/health", 200)]
    assert [line["request_id"] for line in requests_] == [
        "lb-42.abc", made.headers["X-Request-ID"], forged.headers["X-Request-ID"]]
    for line in requests_:
        assert line["level"] == "INFO" and line["duration_ms"] >= 0
        assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$", line["time"])


def test_a_warning_inside_a_request_carries_the_request_id(capsys, json_logs):
    url = BAD_DATABASES[1]
    application = create_app(make_config(url, LOG_FORMAT="json"))
    try:
        capsys.readouterr()
        response = application.test_client().get("/health", headers={"X-Request-ID": "r-1"})
        lines = json_lines(capsys.readouterr().err)
    finally:
        dispose(application)
    assert response.status_code == 503
    (warning,) = [line for line in lines if line["level"] == "WARNING"]
    assert warning["request_id"] == "r-1" and warning["path"] == "/health"
    assert "database" in warning["message"]


def test_a_crash_is_logged_with_its_traceback_but_never_shown(database_url, capsys, json_logs,
                                                               monkeypatch):
    from app.views import health

    def broken(_sql):
        raise RuntimeError("internal detail of the crash")

    application = create_app(make_config(database_url, LOG_FORMAT="json", TESTING=False))
    monkeypatch.setattr(health, "text", broken)
    try:
        capsys.readouterr()
        response = application.test_client().get("/health", headers={"X-Request-ID": "r-500"})
        lines = json_lines(capsys.readouterr().err)
    finally:
        dispose(application)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "Что-то пошло не так" in page
    assert "internal detail" not in page and "Traceback" not in page
    (error,) = [line for line in lines if line["level"] == "ERROR"]
    assert error["request_id"] == "r-500"
    assert "RuntimeError: internal detail of the crash" in error["exception"]
    assert [line["status"] for line in lines if line["logger"] == "crm.request"] == [500]


def test_text_logs_leave_the_root_logger_alone(database_url, json_logs):
    before = list(logging.getLogger().handlers)
    application = create_app(make_config(database_url, LOG_FORMAT="text"))
    try:
        response = application.test_client().get("/health")
    finally:
        dispose(application)
    assert logging.getLogger().handlers == before
    assert response.headers["X-Request-ID"]  # the id is given all the same
    assert not any(isinstance(h.formatter, JsonFormatter) for h in logging.getLogger().handlers)


# --- the database pool --------------------------------------------------------------------


def test_the_pool_is_sized_from_the_environment(monkeypatch):
    for name, value in {"DATABASE_POOL_SIZE": "7", "DATABASE_MAX_OVERFLOW": "3",
                        "DATABASE_POOL_TIMEOUT": "2.5", "DATABASE_POOL_RECYCLE": "600",
                        "DATABASE_CONNECT_TIMEOUT": "4"}.items():
        monkeypatch.setenv(name, value)
    options = engine_options("postgresql+psycopg://crm@db.internal/crm")
    assert options == {"pool_pre_ping": True, "pool_size": 7, "max_overflow": 3,
                       "pool_timeout": 2.5, "pool_recycle": 600,
                       "connect_args": {"connect_timeout": 4}}
    # SQLite has no server to share: no pool sizes at all.
    assert engine_options("sqlite:///crm.sqlite") == {"pool_pre_ping": True}


def test_the_defaults_leave_room_for_several_workers(monkeypatch):
    for name in ("DATABASE_POOL_SIZE", "DATABASE_MAX_OVERFLOW", "DATABASE_POOL_TIMEOUT",
                 "DATABASE_POOL_RECYCLE", "DATABASE_CONNECT_TIMEOUT"):
        monkeypatch.delenv(name, raising=False)
    options = engine_options("postgresql+psycopg://crm@db.internal/crm")
    assert (options["pool_size"], options["max_overflow"]) == (5, 5)
    assert options["connect_args"] == {"connect_timeout": 5}


@pytest.mark.postgresql_only(reason="the pool sizes apply to PostgreSQL only")
def test_a_production_app_opens_its_pool_as_configured(monkeypatch, database_url):
    monkeypatch.setenv("SECRET_KEY", "a-long-production-secret-for-tests")
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("DATABASE_POOL_SIZE", "3")
    monkeypatch.setenv("DATABASE_MAX_OVERFLOW", "2")
    config = ProductionConfig()
    config.LOG_FORMAT = "text"
    application = create_app(config)
    try:
        with application.app_context():
            pool = db.engine.pool
            assert (pool.size(), pool._max_overflow) == (3, 2)
            assert application.test_client().get("/health").status_code == 200
    finally:
        dispose(application)


# --- two gunicorn processes on one database ----------------------------------------------


@pytest.fixture
def served_database():
    """A new PostgreSQL database, migrated and prepared, with one manager (dropped after)."""
    from flask_migrate import upgrade

    from app.services.rules.setup import prepare_database

    name = f"crm_serve_{uuid.uuid4().hex[:12]}"
    server = create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with server.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = f"{PG_SERVER}/{name}"
    try:
        application = create_app(make_config(url))
        with application.app_context():
            upgrade()
            prepare_database(application.appbuilder, db.session)
            sm = application.appbuilder.sm
            assert sm.add_user("olga", "Ольга", "Серова", "olga@example.com",
                               sm.find_role("Manager"), "Serve-password-1")
            db.session.commit()
        dispose(application)
        yield url
    finally:
        with server.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        server.dispose()


def _start(url: str, port: int, log_path: Path) -> subprocess.Popen:
    env = {**os.environ, "CRM_ENV": "production", "SECRET_KEY": "shared-secret-of-the-team",
           "DATABASE_URL": url, "GUNICORN_BIND": f"127.0.0.1:{port}", "GUNICORN_WORKERS": "1",
           "GUNICORN_THREADS": "2", "RATELIMIT_STORAGE_URI": "memory://",
           "CRM_PROXY_COUNT": "1", "DATABASE_POOL_SIZE": "2", "DATABASE_MAX_OVERFLOW": "1",
           "GUNICORN_ACCESS_LOG": "-"}
    env.pop("CRM_TEST_DB", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log_path, "wb") as log:
        return subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py"], cwd=ROOT, env=env,
                                stdout=log, stderr=subprocess.STDOUT)


class Browser:
    """A browser reaching one process through a TLS-terminating proxy (X-Forwarded-Proto).

    Its cookies are kept by hand: the proxy speaks HTTPS to the browser, so the session
    cookie (Secure) does come back, though this hop is plain HTTP.
    """

    def __init__(self, requests, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.http = requests.Session()
        self.http.headers.update({"X-Forwarded-Proto": "https",
                                  "Referer": f"https://127.0.0.1:{port}/"})
        self.cookies: dict[str, str] = {}

    def _keep(self, response):
        self.cookies.update(response.cookies.get_dict())
        return response

    def get(self, path: str):
        return self._keep(self.http.get(self.base + path, cookies=self.cookies,
                                        allow_redirects=False, timeout=10))

    def post_form(self, path: str, data: dict):
        """Open the form's page, then send it with its CSRF token."""
        page = self.get(path)
        assert page.status_code == 200, (path, page.status_code)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text) or re.search(
            r'value="([^"]+)"[^>]*name="csrf_token"', page.text)
        assert token, f"{path} has no CSRF token"
        return self._keep(self.http.post(
            self.base + path, data={**data, "csrf_token": token.group(1)},
            cookies=self.cookies, allow_redirects=False, timeout=10))


def _version_in(page: str) -> str:
    match = re.search(r'name="version_seen"[^>]*value="(\d+)"', page) or re.search(
        r'value="(\d+)"[^>]*name="version_seen"', page)
    assert match, "the edit form carries no version"
    return match.group(1)


def _assert_access_logged(log_path: Path, method: str, path: str, status: int,
                          request_id: str) -> None:
    """Find gunicorn's JSON access line of the request, carrying the app's request id.

    Gunicorn writes it once the answer is sent, so it may land a moment after the client
    has the answer: the log is read again for up to five seconds.
    """
    deadline = time.monotonic() + 5
    while True:
        lines = [json.loads(line) for line in log_path.read_text().splitlines()
                 if line.startswith("{")]
        if any(line["logger"] == "gunicorn.access" and line.get("request_id") == request_id
               and (line["method"], line["path"], line["status"]) == (method, path, status)
               for line in lines):
            return
        assert time.monotonic() < deadline, log_path.read_text()[-2000:]
        time.sleep(0.1)


@pytest.mark.postgresql_only(reason="several processes share a database only on PostgreSQL")
def test_two_processes_serve_one_database_with_the_rules_intact(served_database, tmp_path):
    requests = require_module("requests", "requests", "the test talks HTTP to gunicorn")
    from app.models import Company, Task

    ports = [free_port(), free_port()]
    processes = []
    try:
        for number, port in enumerate(ports):
            log_path = tmp_path / f"gunicorn-{number}.log"
            processes.append((_start(served_database, port, log_path), log_path))
        for (process, log_path), port in zip(processes, ports, strict=True):
            wait_until_healthy(requests, port, process, log_path)
        first, second = (Browser(requests, port) for port in ports)

        for browser in (first, second):
            answer = browser.post_form("/login/", {"username": "olga",
                                                   "password": "Serve-password-1"})
            assert answer.status_code == 302 and "/login" not in answer.headers["Location"]
            assert "Secure" in answer.headers["Set-Cookie"]
            assert browser.get("/companyview/list/").status_code == 200

        # A company with its first task, made through the first process...
        answer = first.post_form("/companyview/add", {
            "name": "Два процесса", "status": "active", "next_type": "call",
            "next_subject": "Первый звонок", "next_due_at": DUE})
        assert answer.status_code == 302
        _assert_access_logged(processes[0][1], "POST", "/companyview/add", 302,
                              answer.headers["X-Request-ID"])
        # ...is in the list the second one shows.
        assert "Два процесса" in second.get("/companyview/list/").text

        engine = create_engine(served_database)
        try:
            with engine.connect() as connection:
                company_id = connection.scalar(select(Company.id).where(
                    Company.name == "Два процесса"))
                task_id = connection.scalar(select(Task.id).where(
                    Task.company_id == company_id))

            # Completing the only task without a next one: refused on the other process.
            refused = second.post_form(f"/taskview/complete/{task_id}", {
                "outcome": "done", "result": "Поговорили", "next_subject": ""})
            assert refused.status_code == 200
            assert "Запланируйте следующую задачу" in refused.text
            with engine.connect() as connection:
                assert connection.scalar(select(Task.state).where(Task.id == task_id)) \
                    == "planned"

            # Both open the edit form; the first saves; the second's stale form is refused.
            url = f"/companyview/edit/{company_id}"
            seen_first = _version_in(first.get(url).text)
            seen_second = _version_in(second.get(url).text)
            assert seen_first == seen_second
            saved = first.post_form(url, {"name": "Два процесса — первый", "status": "active",
                                          "version_seen": seen_first})
            assert saved.status_code == 302
            stale = second.post_form(url, {"name": "Два процесса — второй", "status": "active",
                                           "version_seen": seen_second})
            assert stale.status_code == 200
            assert "Пока вы редактировали запись" in stale.text
            with engine.connect() as connection:
                assert connection.scalar(select(Company.name).where(
                    Company.id == company_id)) == "Два процесса — первый"
        finally:
            engine.dispose()
    finally:
        for process, _log_path in processes:
            process.terminate()
        for process, _log_path in processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)


@pytest.mark.postgresql_only(reason="a PostgreSQL setting")
def test_postgresql_runs_a_requests_statements_without_parallel_workers(app, session):
    """Set once per connection, and kept after a rollback."""
    show = text("SHOW max_parallel_workers_per_gather")
    assert session.execute(show).scalar() == "0"
    session.rollback()
    assert session.execute(show).scalar() == "0"
