"""Work that outlasts a web request, run in a thread of the worker that was asked for it.

The thread gets its own app context, so its own database session and connection; the
work is a service function taking that session. A worker that stops takes its threads
with it: the work must leave its records saying so (the reassignment's "running" state
is told from a stopped one by its row lock), never half written.
"""

import logging
import threading

from flask import current_app
from flask_babel import force_locale, get_locale

from app.extensions import db

log = logging.getLogger(__name__)


def start_thread(name: str, work, *args) -> threading.Thread:
    """Run `work(session, *args)` in a daemon thread with its own app context; return it.

    The work speaks the language of the request that started it (what it writes for
    people to read: a failure's reason, the tasks it plans).
    """
    app = current_app._get_current_object()
    language = str(get_locale() or app.config.get("BABEL_DEFAULT_LOCALE", "ru"))

    def body() -> None:
        with app.app_context(), force_locale(language):
            try:
                work(db.session, *args)
            except Exception:
                # The work has recorded its failure where its user looks (the service's
                # job); the log keeps the trace.
                log.exception("background work %s failed", name)
            finally:
                db.session.remove()

    thread = threading.Thread(target=body, name=name, daemon=True)
    thread.start()
    return thread
