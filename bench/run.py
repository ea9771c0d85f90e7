"""``make bench``: build the data, run every benchmark, write bench/README.md.

    python -m bench.run                       # everything at full scale (about 35 minutes)
    python -m bench.run --scale 0.01 --allow-noisy   # a quick pass while developing
    python -m bench.run --only clicks,daily   # some benchmarks (data is rebuilt unless --reuse)
    python -m bench.run --generate-only       # build the data and stop (no load guard)
    python -m bench.run --reuse               # the data of the last build, no rebuild

A run refuses to start when the 1-minute load average is above ``QUIET_LOAD`` (a shared
machine's figures cannot be believed, issue 19) unless ``--allow-noisy``, which marks the run
"noisy" in the README; the load average before each benchmark is recorded beside it.

Runs in its own database (``BENCH_DATABASE_NAME``, default ``alliance_benchdata``) with the
production settings on loopback (``bench.settings``). Raw results go to bench/results/.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from pathlib import Path
from typing import Any

from bench.common import (
    MAIN,
    RESULTS,
    SMALL,
    TENTH,
    configure_environment,
    log,
    machine,
    out_of_time,
    postgres_version,
    set_deadline,
)

ALL = [
    "clicks",
    "clicks_intraday",
    "daily",
    "reconcile",
    "conversions",
    "settlements",
    "admin",
    "homes",
    "report",
    "forecast",
]
#: the 1-minute load average above which the machine is not quiet (issue 19)
QUIET_LOAD = 1.5


def load_guard(*, allow_noisy: bool, limit: float = QUIET_LOAD) -> bool:
    """True when the machine is quiet; otherwise refuse to start (SystemExit with the load),
    or with ``allow_noisy`` go on and say so (the run is then marked noisy)."""
    load = os.getloadavg()
    if load[0] <= limit:
        return True
    message = (
        f"The 1-minute load average is {load[0]:.2f} (5 and 15 minutes: {load[1]:.2f}, "
        f"{load[2]:.2f}), above {limit}: the machine is not quiet, so the figures could not "
        "be believed."
    )
    if not allow_noisy:
        raise SystemExit(
            f"{message} Wait until it is quiet, or pass --allow-noisy to run anyway (the "
            "README then marks the run noisy)."
        )
    log(f"{message} Going on (--allow-noisy): the run is marked noisy.")
    return False


def noisy_sections(results: dict[str, Any], limit: float = QUIET_LOAD) -> list[str]:
    """The benchmarks that started with the 1-minute load above ``limit``."""
    return [
        name
        for name in ALL
        if isinstance(results.get(name), dict)
        and (results[name].get("load_average_before") or [0.0])[0] > limit
    ]


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    """The benchmark's data: built now, or with ``--reuse`` the last build's, checked to be
    there and of this scale (a reuse never rebuilds silently)."""
    from django.core.management import call_command

    from bench import generate

    call_command("migrate", interactive=False, verbosity=0)
    info_path = RESULTS / "data.json"
    if args.reuse:
        return reused_data(info_path, scale=args.scale, seed=args.seed)
    log("emptying the benchmark database")
    generate.reset_database()
    data: dict[str, Any] = {}
    plan = [
        (MAIN, {"scale": args.scale}),
        (TENTH, {"scale": args.scale * 0.1}),
        (SMALL, {"rows": 10}),
    ]
    for slug, options in plan:
        log(f"generating {slug} {options}")
        started = time.perf_counter()
        load = [round(x, 2) for x in os.getloadavg()]
        data[slug] = generate.generate(slug=slug, seed=args.seed, log=log, **options)
        data[slug]["total_seconds"] = round(time.perf_counter() - started, 1)
        data[slug]["load_average_before"] = load
        log(f"  {slug}: {data[slug]['total_seconds']}s")
    data["built_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    info_path.write_text(json.dumps(data, indent=2, default=str))
    return data


def reused_data(info_path: Path, *, scale: float, seed: int) -> dict[str, Any]:
    """The last build's description, refusing when there is none, when it was built at
    another scale or seed, or when its tenants are missing from the database."""
    from django.core.exceptions import ObjectDoesNotExist

    from bench import generate
    from bench.inprocess import tenant_named

    if not info_path.exists():
        raise SystemExit(
            f"--reuse: no data was built ({info_path} is missing); run "
            f"python -m bench.run --generate-only --scale {scale} first."
        )
    data = json.loads(info_path.read_text())
    built = data.get(MAIN, {})
    if built.get("scale") != scale or built.get("seed") != seed:
        raise SystemExit(
            f"--reuse: the data was built with --scale {built.get('scale')} --seed "
            f"{built.get('seed')}, not --scale {scale} --seed {seed}; rebuild it "
            "(--generate-only) or pass the same options."
        )
    for slug in (MAIN, TENTH, SMALL):
        try:
            present = generate.has_data(tenant_named(slug))
        except ObjectDoesNotExist:
            present = False
        if not present:
            raise SystemExit(f"--reuse: tenant {slug!r} has no data in the database; rebuild it.")
    log(f"reusing the data built at {data.get('built_at', '?')} (no rebuild)")
    data["reused"] = True
    return data


def with_fallback(results: dict[str, Any], fallback: dict[str, Any] | None) -> dict[str, Any]:
    """``results`` with each section this run did not measure taken from ``fallback`` (an
    earlier run), marked with that run's scale, time and why this run has no figure."""
    if not fallback:
        return results
    merged = dict(results)
    for name in ALL:
        section = results.get(name)
        old = fallback.get(name)
        if not old or "not_measured" in old or "failed" in old or "fallback" in old:
            continue
        if section is None or "not_measured" in section or "failed" in section:
            reason = (section or {}).get("not_measured") or (section or {}).get("failed")
            merged[name] = {
                **old,
                "fallback": {
                    "scale": fallback["args"]["scale"],
                    "started_at": fallback["started_at"],
                    "reason": reason or "not run at full scale",
                },
            }
    return merged


def _arguments(argv: list[str] | None) -> tuple[argparse.Namespace, list[str]]:
    """The command line, checked: the arguments and the benchmarks to run, in order."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--only", default=",".join(ALL), help=f"comma-separated, run in this order: {','.join(ALL)}"
    )
    parser.add_argument(
        "--reuse", action="store_true", help="the last build's data (refused when missing)"
    )
    parser.add_argument(
        "--generate-only", action="store_true", help="build the data and stop (no load guard)"
    )
    parser.add_argument(
        "--allow-noisy",
        action="store_true",
        help=f"run even when the 1-minute load is above {QUIET_LOAD} (marked noisy)",
    )
    parser.add_argument("--duration", type=int, default=30, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--wrk-threads", type=int, default=2)
    parser.add_argument(
        "--workers-matrix", action="store_true", help="also try gunicorn worker classes"
    )
    parser.add_argument("--no-readme", action="store_true", help="results JSON only")
    parser.add_argument(
        "--deadline",
        default="",
        metavar="HH:MM",
        help="UTC time after which no benchmark starts another run (each keeps one)",
    )
    parser.add_argument(
        "--fallback",
        default="",
        metavar="RESULTS.json",
        help="an earlier run whose sections fill in what this run did not measure (labelled)",
    )
    args = parser.parse_args(argv)
    only = [name.strip() for name in args.only.split(",") if name.strip()]
    unknown = sorted(set(only) - set(ALL))
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    if args.reuse and args.generate_only:
        parser.error("--reuse and --generate-only exclude each other")
    if args.runs < 3:
        log("note: fewer than 3 runs; the README's min/median/max needs at least 3")
    return args, only


def _record(
    results: dict[str, Any],
    name: str,
    fn: Any,
    kwargs: dict[str, Any],
    *,
    args: argparse.Namespace,
    fallback: dict[str, Any] | None,
) -> None:
    """Run one benchmark into ``results[name]`` (a failure or the deadline is recorded, not
    raised), with the load average before it, then write latest.json and the README, so an
    interrupted run still reports."""
    log(f"benchmark: {name}")
    load = os.getloadavg()
    began = time.perf_counter()
    try:
        if out_of_time():
            raise TimeoutError(f"out of time: the run's deadline ({args.deadline} UTC) passed")
        results[name] = fn(**kwargs)
    except TimeoutError as exc:
        results[name] = {"not_measured": str(exc)}
    except Exception as exc:  # a broken component must not hide the others' numbers
        import traceback

        traceback.print_exc()
        results[name] = {"failed": f"{type(exc).__name__}: {exc}"[:2000]}
    results[name]["load_average_before"] = [round(x, 2) for x in load]
    results["noisy_sections"] = noisy_sections(results)
    results[name]["wall_seconds"] = round(time.perf_counter() - began, 1)
    results[name]["measured_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    (RESULTS / "latest.json").write_text(json.dumps(results, indent=2, default=str))
    if name == "workers":
        (RESULTS / "workers.json").write_text(json.dumps(results[name], indent=2))
    if not args.no_readme:  # after every benchmark: an interrupted run still reports
        from bench.report import write_readme

        write_readme(with_fallback(results, fallback))


def main(argv: list[str] | None = None) -> None:
    args, only = _arguments(argv)
    quiet = True if args.generate_only else load_guard(allow_noisy=args.allow_noisy)

    RESULTS.mkdir(parents=True, exist_ok=True)
    configure_environment()
    if args.deadline:
        hour, minute = (int(x) for x in args.deadline.split(":"))
        now = datetime.datetime.now(datetime.UTC)
        deadline = now.replace(hour=hour, minute=minute, second=0, microsecond=0)
        set_deadline(deadline.timestamp())
    fallback = json.loads(Path(args.fallback).read_text()) if args.fallback else None
    import django

    django.setup()

    from bench import clicks, inprocess
    from bench.generate import DEFAULT_DAY, _period
    from bench.report import write_readme

    started = time.time()
    results: dict[str, Any] = {
        "started_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "args": vars(args),
        "noisy": not quiet,
        "quiet_load": QUIET_LOAD,
    }
    results["machine"]["postgresql"] = postgres_version()
    results["data"] = prepare(args)
    if args.generate_only:
        log(f"data built in {(time.time() - started) / 60:.1f} min; now run with --reuse")
        return
    main_tenant = inprocess.tenant_named(MAIN)
    day = DEFAULT_DAY
    period_start, _ = _period(day)
    period = period_start.strftime("%Y-%m")

    def record(name: str, fn: Any, **kwargs: Any) -> None:
        _record(results, name, fn, kwargs, args=args, fallback=fallback)

    workers_file = RESULTS / "workers.json"
    if not args.workers_matrix and workers_file.exists():
        results["workers"] = json.loads(workers_file.read_text())  # the last measured choice
    if args.workers_matrix:
        record(
            "workers",
            lambda **kw: {"rows": clicks.bench_worker_choice(**kw)},
            tenant=main_tenant,
            duration=max(5, args.duration // 3),
            connections=args.connections,
        )
    n_conversions = results["data"][MAIN]["counts"]["conversions"]
    size = min(1000, n_conversions)
    plan: dict[str, tuple[Any, dict[str, Any]]] = {
        "clicks": (
            clicks.bench_click_path,
            {
                "tenant": main_tenant,
                "runs": args.runs,
                "duration": args.duration,
                "connections": args.connections,
                "threads": args.wrk_threads,
            },
        ),
        "admin": (inprocess.bench_admin, {"small": SMALL, "full": MAIN}),
        "report": (inprocess.bench_report, {"small": SMALL, "full": MAIN, "day": day}),
        # 5 batches of 1,000 per run: a quarter of the day's conversions, enough for a rate
        "conversions": (
            inprocess.bench_conversions,
            {
                "slug": MAIN,
                "day": day,
                "runs": args.runs,
                "batches": max(1, min(5, n_conversions // size)),
                "size": size,
            },
        ),
        "clicks_intraday": (
            clicks.bench_click_intraday,
            {
                "tenant": main_tenant,
                "runs": args.runs,
                "duration": args.duration,
                "connections": args.connections,
                "threads": args.wrk_threads,
            },
        ),
        "daily": (inprocess.bench_daily, {"slug": MAIN, "day": day, "runs": args.runs}),
        # right after run_daily: the generated data and the product's own steps must agree
        "reconcile": (
            inprocess.bench_reconcile,
            {"slug": MAIN, "periods": [period, day.strftime("%Y-%m")]},
        ),
        "homes": (inprocess.bench_homes, {"small": SMALL, "full": MAIN}),
        "forecast": (inprocess.bench_forecast, {"slug": MAIN, "scale": args.scale}),
        "settlements": (
            inprocess.bench_settlements,
            {"slugs": [TENTH, MAIN], "period": period, "runs": args.runs},
        ),
    }
    for name in only:  # in the order given
        fn, kwargs = plan[name]
        record(name, fn, **kwargs)

    results["finished_at"] = datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")
    results["total_minutes"] = round((time.time() - started) / 60, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    stamp = time.strftime("%Y%m%dT%H%M%S")
    text = json.dumps(results, indent=2, default=str)
    (RESULTS / f"run-{stamp}.json").write_text(text)
    (RESULTS / "latest.json").write_text(text)
    if not args.no_readme:
        path = write_readme(with_fallback(results, fallback))
        log(f"wrote {path}")
    log(f"done in {results['total_minutes']} min")


if __name__ == "__main__":
    main()
