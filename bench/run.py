"""``make bench``: build the data, run every benchmark, write bench/README.md.

    python -m bench.run                       # everything at full scale (about 15 minutes)
    python -m bench.run --scale 0.01          # a quick pass while developing
    python -m bench.run --only clicks,daily   # some benchmarks (data is rebuilt unless --reuse)
    python -m bench.run --reuse               # keep the data of the last run

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

ALL = ["clicks", "daily", "conversions", "settlements", "admin", "report"]


def prepare(args: argparse.Namespace) -> dict[str, Any]:
    from django.core.management import call_command

    from bench import generate

    call_command("migrate", interactive=False, verbosity=0)
    info_path = RESULTS / "data.json"
    if args.reuse and info_path.exists():
        log("reusing the data of the last run")
        return json.loads(info_path.read_text())
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
        data[slug] = generate.generate(slug=slug, seed=args.seed, log=log, **options)
        data[slug]["total_seconds"] = round(time.perf_counter() - started, 1)
        log(f"  {slug}: {data[slug]['total_seconds']}s")
    info_path.write_text(json.dumps(data, indent=2, default=str))
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
    parser.add_argument("--reuse", action="store_true", help="keep the last run's data")
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
    raised), then write latest.json and the README, so an interrupted run still reports."""
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
    }
    results["machine"]["postgresql"] = postgres_version()
    results["data"] = prepare(args)
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
        "daily": (inprocess.bench_daily, {"slug": MAIN, "day": day, "runs": args.runs}),
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
