"""Structured logs and request ids: one JSON object per line, one line per request.

Every request gets an id, taken from the X-Request-ID header (a proxy's) when it looks
like one, otherwise made here, and returned in the response's X-Request-ID header. With
LOG_FORMAT = "json" (the production default) every log record is written to stderr as
one JSON object (time, level, logger, message and, inside a request, its id, the user's
id, method and path), and each request adds one line with its status and duration.
Secrets that travel in a path (the personal calendar feed's token) are masked in every
line, the request's own and gunicorn's access line alike.
"""

import json
import logging
import re
import sys
import time
import traceback
import uuid
from datetime import UTC, datetime

from flask import Flask, current_app, g, has_request_context, request
from flask.logging import default_handler

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,128}")
# Fields a record may carry (as `extra`), written in this order after the message.
FIELDS = ("request_id", "user_id", "method", "path", "status", "duration_ms", "remote_addr",
          "user_agent", "bytes")
request_log = logging.getLogger("crm.request")
# Paths whose part is a secret by itself: whoever reads the log could subscribe to the feed.
SECRET_PATHS = (re.compile(r"(/calendar/)[^/?#\s\"]+(\.ics)"),)
MASK = "***"


def mask_secrets(text):
    """Return the text with every secret part of a path replaced by ***."""
    if not isinstance(text, str):
        return text
    for pattern in SECRET_PATHS:
        text = pattern.sub(rf"\g<1>{MASK}\g<2>", text)
    return text


class MaskSecrets(logging.Filter):
    """Mask secrets in the message of a plain-text record (the development server's lines)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_secrets(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


# Werkzeug's development server (`python run.py`) writes each request line in text.
_SERVER_LOGGER = "werkzeug"


class JsonFormatter(logging.Formatter):
    """Format a record as one JSON object, with the current request's id, user and path."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": mask_secrets(record.getMessage()),
        }
        context = _request_context() if has_request_context() else {}
        for name in FIELDS:
            value = getattr(record, name, context.get(name))
            if value is not None:
                entry[name] = mask_secrets(value) if name == "path" else value
        if record.exc_info:
            entry["exception"] = mask_secrets(
                "".join(traceback.format_exception(*record.exc_info)))
        return json.dumps(entry, ensure_ascii=False, default=str)


def _request_context() -> dict:
    user = g.get("_login_user")  # the user Flask-Login loaded, never a new query
    user_id = getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None
    return {"request_id": g.get("request_id"), "user_id": user_id,
            "method": request.method, "path": request.path}


def install_logging(app: Flask) -> None:
    """Give every request an id; mask secrets in paths; with LOG_FORMAT json, log JSON lines."""
    app.after_request(_finish_request)
    # The app's logger writes "Exception on <path>" lines.
    for logger in (logging.getLogger(_SERVER_LOGGER), app.logger):
        if not any(isinstance(f, MaskSecrets) for f in logger.filters):
            logger.addFilter(MaskSecrets())
    if app.config.get("LOG_FORMAT", "text") != "json":
        return
    app.extensions["crm_json_logs"] = True
    root = logging.getLogger()
    for handler in [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]:
        root.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.addHandler(handler)
    root.setLevel(app.config.get("LOG_LEVEL", "INFO"))
    app.logger.removeHandler(default_handler)


def start_request() -> None:
    """Give the request its id and start its clock (a first hook: app/first_hooks.py)."""
    sent = request.headers.get(REQUEST_ID_HEADER, "")
    g.request_id = sent if _VALID_REQUEST_ID.fullmatch(sent) else uuid.uuid4().hex
    g.request_started = time.perf_counter()


def _finish_request(response):
    """Return the request id in the response; log the request as one line when JSON logs."""
    request_id = g.get("request_id")
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    started = g.get("request_started")
    if started is not None and _json_logs():
        request_log.info(
            "%s %s %s", request.method, request.path, response.status_code,
            extra={"status": response.status_code,
                   "duration_ms": round((time.perf_counter() - started) * 1000, 1),
                   "remote_addr": request.remote_addr},
        )
    return response


def _json_logs() -> bool:
    return bool(current_app.extensions.get("crm_json_logs"))
