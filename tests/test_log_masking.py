"""Secrets in paths stay out of the logs: the calendar feed's address is its only key.

Whoever reads a log line with `/calendar/<token>.ics` could subscribe to that manager's
tasks, so every line (the app's request line, a crash, gunicorn's access line) masks it.
"""

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from app import create_app
from app.logging_setup import mask_secrets
from app.services.io import calendar_feed
from tests.helpers import make_config, require_module
from tests.helpers_served import dispose, free_port, json_lines, wait_until_healthy

ROOT = Path(__file__).resolve().parent.parent
MASKED = "/calendar/***.ics"


@pytest.fixture
def feed_token(make_user, session):
    return calendar_feed.ensure_token(session, make_user("Manager", "anna"))


@pytest.mark.parametrize(("text", "masked"), [
    ("GET /calendar/abc-DEF_123.ics 200", f"GET {MASKED} 200"),
    ("Exception on /calendar/abc%2F.ics [GET]", f"Exception on {MASKED} [GET]"),
    ("/calendar/", "/calendar/"),  # the page about the feed holds no secret
    ("/calendar/regenerate", "/calendar/regenerate"),
])
def test_mask_secrets(text, masked):
    assert mask_secrets(text) == masked


def test_the_request_line_masks_the_feed_token(database_url, feed_token, capsys,
                                               json_logs):
    application = create_app(make_config(database_url, LOG_FORMAT="json"))
    try:
        capsys.readouterr()
        answer = application.test_client().get(f"/calendar/{feed_token}.ics")
        err = capsys.readouterr().err
    finally:
        dispose(application)
    assert answer.status_code == 200
    assert feed_token not in err
    (line,) = [line for line in json_lines(err) if line["logger"] == "crm.request"]
    assert line["path"] == MASKED and line["message"] == f"GET {MASKED} 200"


def test_a_crash_on_the_feed_masks_the_token(database_url, feed_token, capsys,
                                             json_logs, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the feed broke")

    monkeypatch.setattr(calendar_feed, "build_feed", broken)
    application = create_app(make_config(database_url, LOG_FORMAT="json", TESTING=False))
    try:
        capsys.readouterr()
        answer = application.test_client().get(f"/calendar/{feed_token}.ics")
        err = capsys.readouterr().err
    finally:
        dispose(application)
    assert answer.status_code == 500
    assert feed_token not in err
    (error,) = [line for line in json_lines(err) if line["level"] == "ERROR"]
    assert MASKED in error["message"] and "RuntimeError: the feed broke" in error["exception"]


def test_gunicorns_access_line_masks_the_feed_token(database_url, feed_token, tmp_path):
    requests = require_module("requests", "requests", "the test talks HTTP to a served app")
    port = free_port()
    log_path = tmp_path / "gunicorn.log"
    env = {**os.environ, "CRM_ENV": "production", "SECRET_KEY": "a-secret-for-this-test",
           "DATABASE_URL": database_url, "GUNICORN_BIND": f"127.0.0.1:{port}",
           "GUNICORN_WORKERS": "1", "GUNICORN_THREADS": "1", "GUNICORN_ACCESS_LOG": "-",
           "RATELIMIT_STORAGE_URI": "memory://"}
    env.pop("CRM_TEST_DB", None)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log_path, "wb") as log:
        process = subprocess.Popen([str(gunicorn), "-c", "gunicorn.conf.py"], cwd=ROOT,
                                   env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_healthy(requests, port, process, log_path)
        answer = requests.get(f"http://127.0.0.1:{port}/calendar/{feed_token}.ics", timeout=10)
        assert answer.status_code == 200
    finally:
        process.terminate()
        process.wait(timeout=30)
    text = log_path.read_text()
    assert feed_token not in text
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    paths = {(line["logger"], line.get("path")) for line in lines
             if line.get("path", "").startswith("/calendar")}
    assert paths == {("gunicorn.access", MASKED), ("crm.request", MASKED)}


def test_the_development_servers_lines_mask_the_feed_token(database_url, feed_token, caplog):
    requests = require_module("requests", "requests", "the test talks HTTP to a served app")
    from werkzeug.serving import make_server

    application = create_app(make_config(database_url, LOG_FORMAT="text"))
    server = make_server("127.0.0.1", 0, application)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    caplog.set_level(logging.INFO, logger="werkzeug")
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_port}/calendar/{feed_token}.ics"
        assert requests.get(url, timeout=10).status_code == 200
    finally:
        server.shutdown()
        thread.join(timeout=10)
        dispose(application)
    lines = [record.getMessage() for record in caplog.records if record.name == "werkzeug"]
    assert any(f"GET {MASKED} HTTP/1.1" in line for line in lines), lines
    assert feed_token not in caplog.text


def test_a_crash_in_text_logs_masks_the_token(database_url, feed_token, caplog, monkeypatch):
    def broken(*_args, **_kwargs):
        raise RuntimeError("the feed broke")

    monkeypatch.setattr(calendar_feed, "build_feed", broken)
    application = create_app(make_config(database_url, LOG_FORMAT="text", TESTING=False))
    try:
        answer = application.test_client().get(f"/calendar/{feed_token}.ics")
    finally:
        dispose(application)
    assert answer.status_code == 500
    assert f"Exception on {MASKED} [GET]" in caplog.text
    assert feed_token not in caplog.text


def test_plain_text_is_left_alone():
    assert mask_secrets("nothing secret here") == "nothing secret here"
    assert mask_secrets(None) is None
