"""Gunicorn's own log lines (start, workers, access) as JSON objects, like the app's.

Access lines mask secrets in the path (the calendar feed's token) as the app's lines do.
"""

import logging

from gunicorn.glogging import Logger

from app.logging_setup import REQUEST_ID_HEADER, JsonFormatter, mask_secrets


class JsonLogger(Logger):
    """Gunicorn's logger writing one JSON object per line; access lines carry the request id."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in log.handlers:
                if getattr(handler, "_gunicorn", False):
                    handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time) -> None:
        if not self.access_log_enabled:
            return
        status = resp.status.split(None, 1)[0] if isinstance(resp.status, str) else resp.status
        request_id = next((value for name, value in resp.headers
                           if name.lower() == REQUEST_ID_HEADER.lower()), None)
        millis = request_time.seconds * 1000 + request_time.microseconds / 1000
        path = mask_secrets(environ.get("PATH_INFO"))
        self.access_log.log(
            logging.INFO, "%s %s %s", environ.get("REQUEST_METHOD"), path, status,
            extra={"request_id": request_id,
                   "method": environ.get("REQUEST_METHOD"), "path": path,
                   "status": int(status), "duration_ms": round(millis, 1),
                   "remote_addr": environ.get("REMOTE_ADDR"),
                   "user_agent": environ.get("HTTP_USER_AGENT"),
                   "bytes": getattr(resp, "sent", None)},
        )
