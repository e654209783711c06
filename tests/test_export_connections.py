"""Streamed answers give their database connection back, however the stream ends.

The app is served over real HTTP (the `live_server` of tests/browser.py), where every
request has its own application context as under gunicorn: the test client would share
the test's context and its session, and hide the leak.
"""

import os
import re
import socket
import time
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from app.views.export import ExportMixin
from tests.helpers import PASSWORD, require_module

# Companies in the exported list: enough that a CSV export spans several fetched batches
# and is far bigger than the socket buffers, so an abort halfway reaches the server.
COMPANIES = 3000
PG = os.environ.get("CRM_TEST_DB", "sqlite") == "postgresql"


@pytest.fixture
def big_list(app, session, make_user):
    from app.models import Company

    head = make_user("Head", "head")
    session.add_all(Company(name=f"Компания {number:05d}", owner_id=head.id, status="potential",
                            notes="x" * 200) for number in range(COMPANIES))
    session.commit()
    username = head.username
    session.close()
    return username


@pytest.fixture
def http(live_server, big_list):
    requests = require_module("requests", "requests", "the test talks HTTP to a served app")
    browser = requests.Session()
    answer = browser.post(f"{live_server}/login/", allow_redirects=False, timeout=10,
                          data={"username": big_list, "password": PASSWORD})
    assert answer.status_code == 302, "login failed"
    return browser


@pytest.fixture
def connections(app, database_url):
    """Return a function counting (checked out of the pool, idle in transaction on PG)."""
    from app.extensions import db

    watcher = create_engine(database_url, poolclass=NullPool) if PG else None

    def count() -> tuple[int, int]:
        idle = 0
        if watcher is not None:
            with watcher.connect() as connection:
                idle = connection.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND state = 'idle in transaction' AND pid <> pg_backend_pid()"))
        return db.engine.pool.checkedout(), idle

    yield count
    if watcher is not None:
        watcher.dispose()


def _settled(count, expected: tuple[int, int], seconds: float = 5) -> tuple[int, int]:
    """Return the counts once they are back to `expected`, or what they are after a while.

    The server thread closes the stream a moment after the client has read its last byte.
    """
    deadline = time.monotonic() + seconds
    while True:
        now = count()
        if now <= expected or time.monotonic() > deadline:
            return now
        time.sleep(0.05)


def _abort_halfway(base: str, path: str, cookies: dict) -> int:
    """Start downloading `path`, read a little of it, then hang up; return bytes read."""
    address = urlsplit(base)
    cookie = "; ".join(f"{name}={value}" for name, value in cookies.items())
    with socket.create_connection((address.hostname, address.port), timeout=10) as raw:
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        raw.sendall(f"GET {path} HTTP/1.1\r\nHost: {address.netloc}\r\n"
                    f"Cookie: {cookie}\r\nConnection: close\r\n\r\n".encode())
        received = raw.recv(8192)
        assert received.startswith(b"HTTP/1.1 200"), received[:200]
        # SO_LINGER 0: the close resets the connection, as a browser's cancel does.
        raw.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    return len(received)


def test_csv_exports_give_their_connections_back(live_server, http, connections):
    before = _settled(connections, (0, 0))
    for _ in range(8):
        answer = http.get(f"{live_server}/companyview/export/csv?psize_CompanyView=25",
                          timeout=30)
        assert answer.status_code == 200
        assert answer.text.count("Компания ") == COMPANIES
    assert _settled(connections, before) == before


def test_an_export_the_client_aborts_halfway_gives_its_connection_back(live_server, http,
                                                                       connections):
    before = _settled(connections, (0, 0))
    for _ in range(3):
        read = _abort_halfway(live_server, "/companyview/export/csv",
                              http.cookies.get_dict())
        assert read < COMPANIES * 200  # the client really left before the end
    assert _settled(connections, before) == before
    # The app still serves lists and exports after the aborted ones.
    assert http.get(f"{live_server}/health", timeout=10).status_code == 200
    assert http.get(f"{live_server}/companyview/export/csv", timeout=30).status_code == 200


def test_an_export_failing_mid_stream_gives_its_connection_back(live_server, http, connections,
                                                                monkeypatch):
    before = _settled(connections, (0, 0))
    original = ExportMixin.export_row
    calls = {"n": 0}

    def failing_row(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 1500:
            raise RuntimeError("the disk is full")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ExportMixin, "export_row", failing_row)
    requests = require_module("requests", "requests", "the test talks HTTP to a served app")
    with pytest.raises(requests.exceptions.RequestException):
        answer = http.get(f"{live_server}/companyview/export/csv", timeout=30)
        answer.raise_for_status()  # a broken chunked body raises while it is read
    assert calls["n"] > 1500
    assert _settled(connections, before) == before


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_nul_byte_in_an_export_filter_is_refused_before_the_stream(live_server, http,
                                                                     connections, fmt):
    before = _settled(connections, (0, 0))
    answer = http.get(f"{live_server}/companyview/export/{fmt}?_flt_0_name=%00x", timeout=30)
    assert answer.status_code == 400
    assert re.search("Название|Name", answer.text)
    assert _settled(connections, before) == before


def test_xlsx_exports_and_the_calendar_feed_give_their_connections_back(live_server, http,
                                                                        connections, app):
    before = _settled(connections, (0, 0))
    for _ in range(3):
        answer = http.get(f"{live_server}/companyview/export/xlsx", timeout=60)
        assert answer.status_code == 200
        assert answer.content.startswith(b"PK")
    page = http.get(f"{live_server}/calendar/", timeout=10)
    feed = re.search(r"(/calendar/[A-Za-z0-9_-]+\.ics)", page.text)
    assert feed, "the calendar page shows no feed address"
    for _ in range(3):
        assert http.get(live_server + feed.group(1), timeout=10).status_code == 200
    assert _settled(connections, before) == before


def test_an_export_failing_at_its_first_row_answers_an_error_not_a_download(
        live_server, http, connections, monkeypatch):
    before = _settled(connections, (0, 0))

    def failing_row(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(ExportMixin, "export_row", failing_row)
    answer = http.get(f"{live_server}/companyview/export/csv", timeout=30)
    assert answer.status_code == 500  # an error page, not a 200 whose body stops short
    assert "attachment" not in answer.headers.get("Content-Disposition", "")
    assert _settled(connections, before) == before
