"""The click path under gunicorn (``config/gunicorn.py``) and wrk, beside the baseline view."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import BENCH, RESULTS, ROOT, log, out_of_time, summarize

LUA = BENCH / "wrk" / "click.lua"
PREFIX = {"click": "/c/", "baseline": "/bench/baseline/", "bare": "/bare/", "serve": "/serve/"}
BARE_APP = "bench.bare.wsgi:application"
gunicorn_pids: list[int] = []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(*, env: dict[str, str] | None = None, app: str | None = None) -> Iterator[int]:
    """The production configuration on a loopback port (``GUNICORN_*`` in ``env`` override);
    ``app`` serves another WSGI application with the same settings (the bare baseline)."""
    port = free_port()
    child_env = {**os.environ, **(env or {}), "GUNICORN_BIND": f"127.0.0.1:{port}"}
    logfile = (RESULTS / "gunicorn.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(ROOT / "config" / "gunicorn.py")]
        + ([app] if app else []),
        cwd=ROOT,
        env=child_env,
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        "gunicorn did not start: see bench/results/gunicorn.log"
                    ) from None
                time.sleep(0.3)
        gunicorn_pids.append(process.pid)
        yield port
    finally:
        gunicorn_pids.remove(process.pid)
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        logfile.close()


def write_paths(
    *, tenant: Any, kind: str, path: Path, n: int = 5000, seed: int = 7
) -> tuple[int, int]:
    """``n`` requests rotating placement codes (weighted like the traffic) and skus.

    ``kind`` is "click" (``/c/``), "baseline" (``/bench/baseline/``, in the project), "bare"
    (``/bare/``, the bare Django project) or "serve" (``/serve/``); all get the same codes,
    skus and client addresses in the same order."""
    from apps.campaigns.models import CampaignProduct
    from apps.sites.models import Placement
    from apps.tenants.scope import tenant_scope

    rng = random.Random(seed)
    with tenant_scope(tenant):
        codes = list(Placement.objects.order_by("id").values_list("code", flat=True))
        skus = list(CampaignProduct.objects.order_by("id").values_list("product__sku", flat=True))
    prefix = PREFIX[kind]
    lines = []
    for _ in range(n):
        code = codes[min(len(codes) - 1, int(rng.paretovariate(1.2)) - 1)]
        code = code if rng.random() < 0.5 else rng.choice(codes)
        sku = rng.choice(skus)
        ip = f"100.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}"
        lines.append(f"{prefix}{code}?sku={sku}\t{ip}")
    path.write_text("\n".join(lines) + "\n")
    return len(codes), len(skus)


def stored_since(tenant: Any, last_id: int) -> int:
    from django.db import connection

    from apps.tenants.scope import tenant_scope

    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM tracking_click WHERE id > %s", [last_id])
        return cursor.fetchone()[0]


def settled_count(tenant: Any, last_id: int, *, timeout: float = 30.0) -> int:
    """The stored rows once the server is done: requests wrk abandoned at the cut-off still
    finish (and may be queued behind others), so wait until two reads a second apart agree."""
    deadline = time.monotonic() + timeout
    previous = -1
    while True:
        current = stored_since(tenant, last_id)
        if current == previous or time.monotonic() > deadline:
            return current
        previous = current
        time.sleep(1.0)


def last_click_id(tenant: Any) -> int:
    from django.db import connection

    from apps.tenants.scope import tenant_scope

    with tenant_scope(tenant), connection.cursor() as cursor:
        cursor.execute("SELECT coalesce(max(id), 0) FROM tracking_click")
        return cursor.fetchone()[0]


def wrk(
    *, port: int, paths: Path, host: str, duration: int, connections: int, threads: int
) -> dict[str, Any]:
    out = RESULTS / f"wrk-{paths.stem}.json"
    env = {**os.environ, "WRK_PATHS": str(paths), "WRK_OUT": str(out), "WRK_HOST": host}
    subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "--latency",
            "-s",
            str(LUA),
            f"http://127.0.0.1:{port}",
        ],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.read_text())
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def one_run(
    *, tenant: Any, port: int, paths: Path, duration: int, connections: int, threads: int
) -> dict[str, Any]:
    before = last_click_id(tenant)
    result = wrk(
        port=port,
        paths=paths,
        host=f"{tenant.slug}.localhost",
        duration=duration,
        connections=connections,
        threads=threads,
    )
    stored = settled_count(tenant, before)
    redirects = int(result["statuses"].get("302", 0))
    result["stored"] = stored
    result["redirects"] = redirects
    result["lost"] = max(0, redirects - stored)
    result["in_flight_at_cutoff"] = stored - redirects
    result["other_statuses"] = {k: v for k, v in result["statuses"].items() if k != "302"}
    return result


def warm_up(*, tenant: Any, port: int, paths: Path, connections: int) -> None:
    """Until every worker thread has its database connection and caches: short wrk runs
    until one completes a fair number of requests (a loaded machine needs several)."""
    for _ in range(6):
        result = wrk(
            port=port,
            paths=paths,
            host=f"{tenant.slug}.localhost",
            duration=5,
            connections=connections,
            threads=2,
        )
        if result["requests"] >= 4 * connections:
            return


KINDS = ("bare", "baseline", "click", "serve")


def bench_click_path(
    *, tenant: Any, runs: int, duration: int, connections: int, threads: int
) -> dict[str, Any]:
    """>= 3 alternating wrk runs of the bare baseline (its own gunicorn, same settings), the
    in-project baseline, ``/c/`` and ``/serve/`` (one gunicorn); then the worker's memory
    and, in-process, ``/serve/``'s share of time in the auction."""
    paths = {kind: RESULTS / f"paths-{kind}.tsv" for kind in KINDS}
    for kind, path in paths.items():
        n_codes, n_skus = write_paths(tenant=tenant, kind=kind, path=path)
    raw: dict[str, list[dict[str, Any]]] = {kind: [] for kind in KINDS}
    bare_env = {"DJANGO_SETTINGS_MODULE": "bench.bare.settings", "BENCH_TENANT_ID": str(tenant.pk)}
    with gunicorn() as port, gunicorn(env=bare_env, app=BARE_APP) as bare_port:
        ports = {kind: bare_port if kind == "bare" else port for kind in KINDS}
        for kind in KINDS:  # warm caches, connections, the snapshot, the JIT-less interpreter
            one_run(
                tenant=tenant,
                port=ports[kind],
                paths=paths[kind],
                duration=3,
                connections=connections,
                threads=threads,
            )
        for run in range(runs):
            if run and out_of_time():
                log("  out of time: no further runs")
                break
            for kind in KINDS if run % 2 == 0 else tuple(reversed(KINDS)):
                result = one_run(
                    tenant=tenant,
                    port=ports[kind],
                    paths=paths[kind],
                    duration=duration,
                    connections=connections,
                    threads=threads,
                )
                log(
                    f"  {kind} run {run + 1}: {result['rps']:.0f} req/s, "
                    f"p50 {result['latency_us']['p50'] / 1000:.1f} ms, "
                    f"p99 {result['latency_us']['p99'] / 1000:.1f} ms, "
                    f"302s {result['redirects']}, stored {result['stored']}, "
                    f"statuses {result['statuses']}"
                )
                raw[kind].append(result)
        memory = worker_memory()
    out: dict[str, Any] = {
        "settings": {
            "duration_s": duration,
            "connections": connections,
            "wrk_threads": threads,
            "placements_rotated": n_codes,
            "skus_rotated": n_skus,
            "gunicorn": gunicorn_settings(),
        },
        "raw": raw,
    }
    for kind, results in raw.items():
        out[kind] = {
            "rps": summarize([r["rps"] for r in results]),
            "p50_ms": summarize([r["latency_us"]["p50"] / 1000 for r in results]),
            "p99_ms": summarize([r["latency_us"]["p99"] / 1000 for r in results]),
            "redirects": sum(r["redirects"] for r in results),
            "stored": sum(r["stored"] for r in results),
            "lost": sum(r["lost"] for r in results),
            "in_flight_at_cutoff": sum(r["in_flight_at_cutoff"] for r in results),
            "errors": sum(sum(r["errors"].values()) for r in results),
            "other_statuses": [r["other_statuses"] for r in results],
        }
    out["serve"]["statuses"] = [r["statuses"] for r in raw["serve"]]
    out["worker_memory"] = memory
    out["snapshot"] = snapshot_memory(tenant=tenant)
    out["serve"]["auction"] = auction_share(tenant=tenant)
    return out


@contextmanager
def intraday_loop(*, tenant: Any, out: Path) -> Iterator[subprocess.Popen[bytes]]:
    """``bench.intraday_loop`` (the provisional roll-up task back to back) in its own process
    for as long as the block runs; its passes land in ``out``."""
    out.unlink(missing_ok=True)
    logfile = (RESULTS / "intraday-loop.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.intraday_loop", "--tenant", tenant.slug, "--out", str(out)],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=logfile,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 120
        while not out.exists():  # Django set up before wrk starts
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("bench.intraday_loop did not start: see intraday-loop.log")
            time.sleep(0.2)
        time.sleep(0.5)  # the first pass under way
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=120)  # it finishes the pass it is in
        except subprocess.TimeoutExpired:
            process.kill()
        logfile.close()


def bench_click_intraday(
    *, tenant: Any, runs: int, duration: int, connections: int, threads: int
) -> dict[str, Any]:
    """Issue 15: ``/c/`` alone and ``/c/`` while the intraday provisional roll-up task runs
    back to back beside it (``bench.intraday_loop``), alternating, >= 3 runs each, on one
    gunicorn. The task reclassifies and recounts today's clicks, those wrk inserts included."""
    paths = RESULTS / "paths-click.tsv"
    n_codes, n_skus = write_paths(tenant=tenant, kind="click", path=paths)
    kinds = ("alone", "with_intraday")
    raw: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    loops: list[dict[str, Any]] = []
    with gunicorn() as port:
        warm_up(tenant=tenant, port=port, paths=paths, connections=connections)
        for run in range(runs):
            if run and out_of_time():
                log("  out of time: no further runs")
                break
            for kind in kinds if run % 2 == 0 else tuple(reversed(kinds)):
                args = {
                    "tenant": tenant,
                    "port": port,
                    "paths": paths,
                    "duration": duration,
                    "connections": connections,
                    "threads": threads,
                }
                if kind == "alone":
                    result = one_run(**args)
                else:
                    out = RESULTS / "intraday-loop.json"
                    with intraday_loop(tenant=tenant, out=out):
                        result = one_run(**args)
                    loop = json.loads(out.read_text()) if out.exists() else {"passes": 0}
                    loops.append(loop)
                    result["intraday_passes"] = loop.get("passes", 0)
                log(
                    f"  /c/ {kind} run {run + 1}: {result['rps']:.0f} req/s, "
                    f"p99 {result['latency_us']['p99'] / 1000:.1f} ms, lost {result['lost']}"
                    + (f", intraday passes {result['intraday_passes']}" if kind != "alone" else "")
                )
                raw[kind].append(result)
    pass_seconds = [x for loop in loops for x in loop.get("pass_seconds", [])]
    out_section: dict[str, Any] = {
        "settings": {
            "duration_s": duration,
            "connections": connections,
            "wrk_threads": threads,
            "placements_rotated": n_codes,
            "skus_rotated": n_skus,
        },
        "raw": raw,
        "intraday": {
            "passes": summarize([float(loop.get("passes", 0)) for loop in loops]),
            "pass_seconds": summarize(pass_seconds),
            "errors": [e for loop in loops for e in loop.get("errors", [])][:5],
            "last_counts": loops[-1].get("last_counts") if loops else None,
        },
    }
    for kind, results in raw.items():
        out_section[kind] = {
            "rps": summarize([r["rps"] for r in results]),
            "p50_ms": summarize([r["latency_us"]["p50"] / 1000 for r in results]),
            "p99_ms": summarize([r["latency_us"]["p99"] / 1000 for r in results]),
            "redirects": sum(r["redirects"] for r in results),
            "stored": sum(r["stored"] for r in results),
            "lost": sum(r["lost"] for r in results),
            "errors": sum(sum(r["errors"].values()) for r in results),
        }
    return out_section


def gunicorn_settings() -> dict[str, Any]:
    """The values config/gunicorn.py resolves to here (what the click benchmark ran)."""
    namespace: dict[str, Any] = {}
    code = (ROOT / "config" / "gunicorn.py").read_text()
    exec(compile(code, "config/gunicorn.py", "exec"), namespace)  # our own config file
    keys = ["worker_class", "workers", "threads", "keepalive", "preload_app", "max_requests"]
    return {key: namespace.get(key) for key in keys}


def bench_worker_choice(*, tenant: Any, duration: int, connections: int) -> list[dict[str, Any]]:
    """The worker class and count, tried on ``/c/`` (one short run each)."""
    paths = RESULTS / "paths-click.tsv"
    write_paths(tenant=tenant, kind="click", path=paths)
    cores = os.cpu_count() or 1
    options = [
        {"GUNICORN_WORKER_CLASS": "sync", "GUNICORN_WORKERS": str(2 * cores + 1)},
        {
            "GUNICORN_WORKER_CLASS": "gthread",
            "GUNICORN_WORKERS": str(2 * cores + 1),
            "GUNICORN_THREADS": "4",
        },
        {
            "GUNICORN_WORKER_CLASS": "gthread",
            "GUNICORN_WORKERS": str(cores + 1),
            "GUNICORN_THREADS": "4",
        },
        {
            "GUNICORN_WORKER_CLASS": "gthread",
            "GUNICORN_WORKERS": str(cores),
            "GUNICORN_THREADS": "8",
        },
        {
            "GUNICORN_WORKER_CLASS": "gthread",
            "GUNICORN_WORKERS": str(2 * cores + 1),
            "GUNICORN_THREADS": "1",
        },
    ]
    rows = []
    for option in options:
        with gunicorn(env=option) as port:
            one_run(
                tenant=tenant,
                port=port,
                paths=paths,
                duration=2,
                connections=connections,
                threads=2,
            )
            result = one_run(
                tenant=tenant,
                port=port,
                paths=paths,
                duration=duration,
                connections=connections,
                threads=2,
            )
        row = {
            "worker_class": option["GUNICORN_WORKER_CLASS"],
            "workers": int(option["GUNICORN_WORKERS"]),
            "threads": int(option.get("GUNICORN_THREADS", 1)),
            "rps": result["rps"],
            "p50_ms": result["latency_us"]["p50"] / 1000,
            "p99_ms": result["latency_us"]["p99"] / 1000,
            "lost": result["lost"],
        }
        log(f"  {row}")
        rows.append(row)
    return rows


def worker_memory() -> dict[str, Any]:
    """Resident memory of the product's gunicorn workers once they hold the tenant (after the
    runs: snapshot loaded, every path warm), in MB."""
    import psutil

    master = psutil.Process(gunicorn_pids[0])
    rss = [child.memory_info().rss / 2**20 for child in master.children()]
    return {"workers": len(rss), "rss_mb_max": round(max(rss), 1) if rss else None}


def snapshot_memory(*, tenant: Any) -> dict[str, Any]:
    """What one tenant's snapshot holds and weighs (tracemalloc around one load), in-process."""
    import tracemalloc

    from apps.tracking.snapshot import snapshot_load

    tracemalloc.start()
    started = time.perf_counter()
    snapshot = snapshot_load(tenant)
    seconds = time.perf_counter() - started
    retained, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {
        "placements": len(snapshot.placements),
        "products": len(snapshot.products),
        "campaigns": len(snapshot.campaigns),
        "retained_mb": round(retained / 2**20, 1),
        "peak_mb": round(peak / 2**20, 1),
        "load_seconds": round(seconds, 2),
    }


def auction_share(*, tenant: Any, requests: int = 2000) -> dict[str, Any]:
    """``/serve/`` in-process through its handler: the share of its time spent choosing the
    ad (``ad_select``: eligibility, bids, the auction), the rest being the impression's INSERT
    and the answer. Rotates placements like the wrk runs."""
    from django.test import RequestFactory

    from apps.tracking import hot
    from apps.tracking.snapshot import registry

    snapshot = registry.get(tenant)
    codes = [code for code, p in snapshot.placements.items() if p.is_live][:500]
    factory = RequestFactory()
    spent = [0.0]
    select = hot.ad_select

    def timed(**kwargs: Any) -> Any:
        began = time.perf_counter()
        try:
            return select(**kwargs)
        finally:
            spent[0] += time.perf_counter() - began

    hot.ad_select = timed
    try:
        began = time.perf_counter()
        for n in range(requests):
            code = codes[n % len(codes)]
            request = factory.get(f"/serve/{code}", HTTP_HOST=f"{tenant.slug}.localhost")
            hot.serve(request, snapshot, code)
        total = time.perf_counter() - began
    finally:
        hot.ad_select = select
    return {
        "requests": requests,
        "campaigns": len(snapshot.campaigns),
        "ms_per_request": round(total / requests * 1000, 3),
        "auction_ms_per_request": round(spent[0] / requests * 1000, 3),
        "auction_share": round(spent[0] / total, 3) if total else None,
    }
