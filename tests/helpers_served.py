"""Apps and gunicorn processes the tests start: closing, free ports, JSON log lines."""

import json
import socket
import time
from pathlib import Path

import pytest

from app.extensions import db


def dispose(application) -> None:
    """Close the app's session and database connections."""
    with application.app_context():
        db.session.remove()
        db.engine.dispose()


def json_lines(err: str) -> list[dict]:
    """Return the JSON log lines of the output, parsed."""
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def free_port() -> int:
    """Return a TCP port of 127.0.0.1 that nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(requests, port: int, process, log_path: Path) -> None:
    """Wait until the gunicorn on the port answers /health; fail with its log if never."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("gunicorn stopped:\n" + log_path.read_text(errors="replace")[-3000:])
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=3).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    pytest.fail("gunicorn did not answer /health:\n" + log_path.read_text(errors="replace"))
