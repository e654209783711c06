"""Gunicorn settings for serving the CRM: `gunicorn -c gunicorn.conf.py` (or `make serve`).

Every setting comes from the environment, with defaults for one machine behind a proxy:

GUNICORN_BIND      address:port to listen on (127.0.0.1:8000; 0.0.0.0:8000 for a proxy
                   on another host)
GUNICORN_WORKERS   worker processes (one per CPU core); each has its own database pool
GUNICORN_THREADS   threads per worker (2); keep DATABASE_POOL_SIZE at least this
GUNICORN_TIMEOUT   seconds a silent worker may take before it is restarted (60)
GUNICORN_GRACEFUL_TIMEOUT  seconds running requests get to finish on stop or reload (30)
GUNICORN_KEEPALIVE seconds to keep an idle connection from the proxy open (5)
GUNICORN_MAX_REQUESTS  restart a worker after this many requests, 0 = never (0); see
                   below before setting it
GUNICORN_ACCESS_LOG    "-" for gunicorn's own access lines on stdout, as JSON; off by
                   default because the app already logs one JSON line per request
GUNICORN_LOG_LEVEL gunicorn's own log level (info)

After its first requests each worker freezes the objects it keeps, so that Python's full
garbage collections no longer walk them (app/kept_objects.py).

A reassignment runs in a thread of the worker that took the head's confirm (it can take
minutes). A worker that stops (a deploy, a reload, GUNICORN_MAX_REQUESTS) takes the move
with it: nothing of it is written, and its page says it was interrupted and can be
started again. Restart when the Reassignments list shows none under way.
"""

import multiprocessing
import os

wsgi_app = "run:app"

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
# A page is mostly the app's own work (templates, the ORM) and the database answers from
# memory, so requests beyond about two per core only take turns on the CPU and each takes
# longer: on 2 cores with PostgreSQL beside, 100 users' 95th percentile was 1,000-1,400 ms
# with 5 workers x 4 threads and 500-760 ms with 2 x 2 (bench/results.md, the load test).
# A database on another host leaves the workers waiting longer: give them more threads.
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
worker_class = "gthread"
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "0"))
max_requests_jitter = max_requests // 10
# Each worker builds its own app and database pool after the fork (no shared sockets).
preload_app = False
# No gunicornc control socket: several instances may run side by side under one user.
control_socket_disable = True

logger_class = "app.gunicorn_logging.JsonLogger"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None


def post_request(worker, _request, _environ, _response):
    """Freeze what the worker keeps once it has served its first requests."""
    from app.kept_objects import after_request_served

    after_request_served(worker.nr)
