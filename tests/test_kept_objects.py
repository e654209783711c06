"""A served worker freezes the objects it keeps once, after its first requests."""

import importlib.util
from pathlib import Path
from types import SimpleNamespace

from app import kept_objects


def _gunicorn_settings():
    path = Path(__file__).resolve().parent.parent / "gunicorn.conf.py"
    spec = importlib.util.spec_from_file_location("gunicorn_settings", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_worker_freezes_once_after_its_first_requests(monkeypatch):
    calls = []
    monkeypatch.setattr(kept_objects, "_frozen", False)
    monkeypatch.setattr(kept_objects.gc, "collect", lambda: calls.append("collect"))
    monkeypatch.setattr(kept_objects.gc, "freeze", lambda: calls.append("freeze"))
    settings = _gunicorn_settings()
    for served in range(1, kept_objects.FREEZE_AFTER_REQUESTS):
        settings.post_request(SimpleNamespace(nr=served), None, {}, None)
    assert calls == []
    # Threads may step past the exact count: the first call at or past it freezes.
    for served in (kept_objects.FREEZE_AFTER_REQUESTS + 1, kept_objects.FREEZE_AFTER_REQUESTS + 2):
        settings.post_request(SimpleNamespace(nr=served), None, {}, None)
    assert calls == ["collect", "freeze"]
