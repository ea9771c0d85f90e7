"""What every benchmark shares: the environment, the machine, statistics, timing helpers."""

from __future__ import annotations

import os
import platform
import secrets
import statistics
import subprocess
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
RESULTS = BENCH / "results"
BENCH_DATABASE = os.environ.get("BENCH_DATABASE_NAME", "alliance_benchdata")

MAIN = "bench"  # the tenant at --scale
TENTH = "bench-tenth"  # the same at a tenth (settlements' query count must not change)
SMALL = "bench-10"  # every table about 10 rows (admin and reports' query counts)


_deadline: list[float] = []


def set_deadline(epoch: float | None) -> None:
    """After ``epoch`` a benchmark finishes the run it is in and starts no other (each keeps
    at least one run); benchmarks not yet started are reported as not measured."""
    _deadline[:] = [epoch] if epoch else []


def out_of_time() -> bool:
    return bool(_deadline) and time.time() > _deadline[0]


def configure_environment() -> dict[str, str]:
    """Production settings on loopback, in the benchmark's own database.

    Set before Django is imported; the gunicorn child inherits it."""
    env = {
        "DATABASE_NAME": BENCH_DATABASE,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
        "SECURE_SSL_REDIRECT": "false",
        "SECURE_HSTS_SECONDS": "0",
        # The in-process admin benchmark logs staff in without a TOTP device.
        "STAFF_MFA_REQUIRED": "false",
        # Production settings need a shared cache for rate limits (the machine's Redis), and
        # wrk's click script sends X-Forwarded-For from loopback: loopback is the proxy here.
        "REDIS_URL": os.environ.get("REDIS_URL") or "redis://127.0.0.1:6379/13",
        "TRUSTED_PROXIES": os.environ.get("TRUSTED_PROXIES") or "127.0.0.0/8,::1/128",
        "LOG_LEVEL": os.environ.get("LOG_LEVEL", "WARNING"),
        "XDG_RUNTIME_DIR": os.environ.get("XDG_RUNTIME_DIR", f"/tmp/runtime-{os.getuid()}"),
    }
    os.environ.update(env)
    return env


def summarize(values: list[float]) -> dict[str, float]:
    if not values:
        return {}
    return {
        "min": min(values),
        "median": statistics.median(values),
        "max": max(values),
        "runs": len(values),
    }


def percentile(values: list[float], pct: float) -> float:
    """Nearest-rank percentile (p95 of 20 samples is the 19th smallest)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, -(-len(ordered) * pct // 100))
    return ordered[int(rank) - 1]


@contextmanager
def stopwatch() -> Iterator[Callable[[], float]]:
    started = time.perf_counter()
    elapsed: list[float] = []
    try:
        yield lambda: elapsed[0] if elapsed else time.perf_counter() - started
    finally:
        elapsed.append(time.perf_counter() - started)


def machine() -> dict[str, Any]:
    import psutil

    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    try:
        wrk = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        first = (wrk.stdout or wrk.stderr).split("\n")[0].strip()
        wrk_version = " ".join(first.split()[:2])
    except OSError:
        wrk_version = "not installed"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "os": platform.platform(),
        "commit": commit,
        "wrk": wrk_version,
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def postgres_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return cursor.fetchone()[0]


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
