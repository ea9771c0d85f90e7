"""Gunicorn in production: ``gunicorn -c config/gunicorn.py config.wsgi``.

Measured on the 2-core benchmark machine (``bench/README.md``, "Choosing the worker class"):
threaded workers (``gthread``) keep client connections alive between requests, and every worker
thread keeps its own persistent database connection (``CONN_MAX_AGE``), so a click costs no
TCP or PostgreSQL handshake; sync workers close the client connection after every response and
served the fewest clicks. One process per core with 8 threads each beat the textbook
``2 x cores + 1`` processes (with 4 threads or 1) in every run: the work is mostly waiting on
PostgreSQL, threads of one process share its in-process caches (the click path's placement
and product lookups), and fewer processes mean fewer cold caches, connections and context
switches on a small host.

Every setting can be overridden from the environment (``GUNICORN_*``), e.g. on a larger host.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value else default


cores = multiprocessing.cpu_count()

wsgi_app = "config.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "gthread")
workers = _int("GUNICORN_WORKERS", max(2, cores))
threads = _int("GUNICORN_THREADS", 8 if worker_class == "gthread" else 1)
# Keep idle client connections (a load balancer's, or browsers' on the click path) open.
keepalive = _int("GUNICORN_KEEPALIVE", 75)
# Recycle workers now and then (memory fragmentation), staggered so they never all restart.
max_requests = _int("GUNICORN_MAX_REQUESTS", 100_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 10_000)
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
backlog = _int("GUNICORN_BACKLOG", 2048)
# Load the app once in the master, fork workers from it (less memory, fast restarts); each
# worker still opens its own database connections after the fork.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in {"1", "true", "yes", "on"}
# Behind a reverse proxy on the same host; X-Forwarded-For is read by the app (TRUSTED_PROXIES).
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG") or None  # e.g. "-" for stdout
if os.environ.get("GUNICORN_ACCESS_LOG_FORMAT"):  # e.g. with %(p)s: which worker answered
    access_log_format = os.environ["GUNICORN_ACCESS_LOG_FORMAT"]
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOGLEVEL", "info")
