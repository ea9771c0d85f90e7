"""bench/README.md from a run's results (``bench.run`` calls ``write_readme``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import BENCH, MAIN, SMALL, TENTH

NOTES = BENCH / "notes.md"  # hand-written analysis, included verbatim


def _f(value: Any, digits: int = 0) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _mmm(stats: dict[str, float] | None, digits: int = 0) -> str:
    if not stats:
        return "-"
    text = " / ".join(_f(stats[key], digits) for key in ("min", "median", "max"))
    runs = stats.get("runs", 3)
    return text if runs >= 3 else f"{text} ({runs} run{'s' if runs > 1 else ''} only)"


def _verdict(ok: bool | None) -> str:
    if ok is None:
        return "-"
    return "**PASS**" if ok else "**MISS**"


def _missing(section: dict[str, Any] | None) -> str | None:
    if section is None:
        return "not measured: not selected in this run"
    if "not_measured" in section:
        return f"not measured: {section['not_measured']}"
    if "failed" in section:
        reason = " ".join(section["failed"].split())[-300:].replace("|", "/")
        return f"not measured: the benchmark failed ({reason})"
    return None


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def _ratio(a: float | None, b: float | None) -> float | None:
    if a is None or b in (None, 0):
        return None
    return a / b


def _scale_note(section: dict[str, Any] | None) -> str:
    if section and "fallback" in section:
        return f" **(at scale {section['fallback']['scale']}, see below)**"
    return ""


def _fallback_line(section: dict[str, Any]) -> list[str]:
    if "fallback" not in section:
        return []
    fb = section["fallback"]
    return [
        f"**Not measured at full scale in this run** ({fb['reason']}). The figures below are "
        f"from the run of {fb['started_at']} at `--scale {fb['scale']}`.",
        "",
    ]


def summary_rows(results: dict[str, Any]) -> list[list[str]]:
    """One line per target: figure, baseline, ratio, target, verdict."""
    rows: list[list[str]] = []
    clicks = results.get("clicks")
    if _missing(clicks) is None:
        c, b = clicks["click"], clicks["baseline"]
        bare = clicks.get("bare")
        note = _scale_note(clicks)
        if bare:
            r = _ratio(c["rps"]["median"], bare["rps"]["median"])
            rows.append(["Click path requests/s vs bare Django (median)" + note,
                         _f(c["rps"]["median"]), _f(bare["rps"]["median"]), _f(r, 2),
                         ">= 0.8 x", _verdict(r is not None and r >= 0.8)])  # fmt: skip
        r = _ratio(c["rps"]["median"], b["rps"]["median"])
        rows.append(["Click path requests/s vs in-project baseline (median)" + note,
                     _f(c["rps"]["median"]), _f(b["rps"]["median"]), _f(r, 2),
                     ">= 0.95 x", _verdict(r is not None and r >= 0.95)])  # fmt: skip
        reference = bare or b
        r = _ratio(c["p99_ms"]["median"], reference["p99_ms"]["median"])
        rows.append(["Click path p99 ms vs " + ("bare" if bare else "baseline") + note,
                     _f(c["p99_ms"]["median"], 1), _f(reference["p99_ms"]["median"], 1),
                     _f(r, 2), "<= 1.5 x", _verdict(r is not None and r <= 1.5)])  # fmt: skip
        rows.append(["Lost clicks (302s not stored)" + note, _f(c["lost"]), _f(b["lost"]),
                     "-", "0", _verdict(c["lost"] == 0)])  # fmt: skip
        serve = clicks.get("serve")
        if serve:
            auction = serve.get("auction") or {}
            rows.append(["/serve/ requests/s (median), share in the auction" + note,
                         _f(serve["rps"]["median"]), f"{_f(auction.get('auction_share'), 3)}",
                         "-", "(reported)", "-"])  # fmt: skip
        snap, mem = clicks.get("snapshot"), clicks.get("worker_memory")
        if snap and mem:
            rows.append([f"Worker RSS MB holding {_f(snap['placements'])} placements, "
                         f"{_f(snap['products'])} products" + note, _f(mem["rss_mb_max"]),
                         f"snapshot {_f(snap['retained_mb'], 1)} MB", "-", "(reported)",
                         "-"])  # fmt: skip
    else:
        rows.append(["Click path", _missing(clicks), "", "", "", "-"])
    daily = results.get("daily")
    if _missing(daily) is None:
        r = _ratio(daily["run_daily_seconds"]["median"], daily["lower_bound_seconds"]["median"])
        rows.append(
            [
                "run_daily wall s (median)" + _scale_note(daily),
                _f(daily["run_daily_seconds"]["median"], 1),
                _f(daily["lower_bound_seconds"]["median"], 1),
                _f(r, 2),
                "<= 3 x",
                _verdict(r <= 3),
            ]
        )
        peak = daily["run_daily_peak_rss_mb"]["max"]
        rows.append(
            [
                "run_daily peak Python RSS MB (max)" + _scale_note(daily),
                _f(peak),
                "-",
                "-",
                "< 300 MB",
                _verdict(peak < 300),
            ]
        )
    else:
        rows.append(["run_daily", _missing(daily), "", "", "", "-"])
    conv = results.get("conversions")
    if _missing(conv) is None:
        r = _ratio(conv["api_events_per_s"]["median"], conv["bulk_events_per_s"]["median"])
        rows.append(
            [
                "Conversions API events/s (median)" + _scale_note(conv),
                _f(conv["api_events_per_s"]["median"]),
                _f(conv["bulk_events_per_s"]["median"]),
                _f(r, 2),
                ">= 0.1 x",
                _verdict(r >= 0.1),
            ]
        )
    else:
        rows.append(["Conversions API", _missing(conv), "", "", "", "-"])
    settle = results.get("settlements")
    if _missing(settle) is None:
        by = settle["by_tenant"]
        full, tenth = by.get(MAIN), by.get(TENTH)
        equal = full["queries"]["max"] == tenth["queries"]["max"] == full["queries"]["min"]
        rows.append(
            [
                f"generate_settlements queries ({_f(full['webmasters'])} webmasters)"
                + _scale_note(settle),
                _f(int(full["queries"]["median"])),
                f"{_f(int(tenth['queries']['median']))} at {_f(tenth['webmasters'])}",
                "-",
                "equal",
                _verdict(equal),
            ]
        )
        rows.append(
            [
                "generate_settlements wall s (median)" + _scale_note(settle),
                _f(full["seconds"]["median"], 2),
                "-",
                "-",
                "(reported)",
                "-",
            ]
        )
    else:
        rows.append(["generate_settlements", _missing(settle), "", "", "", "-"])
    admin = results.get("admin")
    if _missing(admin) is None:
        pages = [p for p in admin["pages"] if p.get("full_status") == 200]
        constant = all(p["small_queries"] == p["full_queries"] for p in pages)
        slowest = max((p.get("p95_ms", 0) for p in pages), default=0)
        same = sum(p["small_queries"] == p["full_queries"] for p in pages)
        rows.append(
            [
                f"Admin changelists ({len(pages)}): constant queries" + _scale_note(admin),
                f"{same} of {len(pages)}",
                "-",
                "-",
                "all equal",
                _verdict(constant),
            ]
        )
        rows.append(
            [
                "Admin changelists: slowest p95 ms" + _scale_note(admin),
                _f(slowest),
                "-",
                "-",
                "< 300 ms",
                _verdict(slowest < 300),
            ]
        )
    else:
        rows.append(["Admin changelists", _missing(admin), "", "", "", "-"])
    report = results.get("report")
    if _missing(report) is None:
        equal = report.get("small_queries") == report.get("full_queries")
        rows.append(
            [
                "/reports/daily queries (small / full)" + _scale_note(report),
                f"{_f(report.get('small_queries'))} / {_f(report.get('full_queries'))}",
                "-",
                "-",
                "equal",
                _verdict(equal),
            ]
        )
        p95 = report.get("p95_ms")
        rows.append(
            [
                "/reports/daily p95 ms" + _scale_note(report),
                _f(p95),
                "-",
                "-",
                "< 300 ms",
                _verdict(p95 is not None and p95 < 300),
            ]
        )
    else:
        rows.append(["/reports/daily", _missing(report), "", "", "", "-"])
    rows += _new_summary_rows(results)
    return rows


def _new_summary_rows(results: dict[str, Any]) -> list[list[str]]:
    """Issue 13 (reconcile), 14 (role homes), 15 (intraday beside clicks), 18 (forecast)."""
    rows: list[list[str]] = []
    intraday = results.get("clicks_intraday")
    if _missing(intraday) is None and intraday.get("alone", {}).get("rps"):
        alone, beside = intraday["alone"], intraday["with_intraday"]
        r = _ratio(beside["rps"]["median"], alone["rps"]["median"])
        rows.append(["/c/ requests/s with the intraday task beside it (median)",
                     _f(beside["rps"]["median"]), _f(alone["rps"]["median"]), _f(r, 2),
                     ">= 0.9 x (within noise)", _verdict(r is not None and r >= 0.9)])  # fmt: skip
        r = _ratio(beside["p99_ms"]["median"], alone["p99_ms"]["median"])
        rows.append(["/c/ p99 ms with the intraday task beside it (median)",
                     _f(beside["p99_ms"]["median"], 1), _f(alone["p99_ms"]["median"], 1),
                     _f(r, 2), "<= 1.2 x (within noise)",
                     _verdict(r is not None and r <= 1.2)])  # fmt: skip
    else:
        rows.append(["/c/ with the intraday task", _missing(intraday) or "-", "", "", "", "-"])
    reconcile = results.get("reconcile")
    if _missing(reconcile) is None:
        for period in reconcile["periods"]:
            rows.append([f"reconcile {period['period']} (`{reconcile['slug']}`)",
                         period["last_line"], "-", "-", "0 differences",
                         _verdict(period["differences"] == 0)])  # fmt: skip
    else:
        rows.append(["reconcile", _missing(reconcile), "", "", "", "-"])
    homes = results.get("homes")
    if _missing(homes) is None:
        pages = homes["pages"]
        equal = sum(1 for p in pages if p["small_queries"] == p["full_queries"])
        rows.append(["Role homes: constant queries", f"{equal} of {len(pages)}", "-", "-",
                     "all equal", _verdict(equal == len(pages))])  # fmt: skip
        slowest = max((p.get("p95_ms") or 0.0) for p in pages)
        rows.append(["Role homes: slowest p95 ms", _f(slowest), "-", "-", "< 300 ms",
                     _verdict(slowest < 300)])  # fmt: skip
    else:
        rows.append(["Role homes", _missing(homes), "", "", "", "-"])
    forecast = results.get("forecast")
    if _missing(forecast) is None:
        rows.append(["Forecast back-test MAPE GMV / spend",
                     f"{forecast.get('mape_gmv_pct')}% / {forecast.get('mape_spend_pct')}%",
                     "-", "-", "(reported)", "-"])  # fmt: skip
    else:
        rows.append(["Forecast back-test", _missing(forecast), "", "", "", "-"])
    return rows


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    data = results.get("data", {})
    main = data.get(MAIN, {})
    lines = [
        "# Benchmarks",
        "",
        "Generated by `make bench` (`python -m bench.run`); do not edit by hand (the analysis "
        "comes from `bench/notes.md`). Raw numbers: `bench/results/latest.json` (not committed).",
        "",
        f"Run {results['started_at']} to {results.get('finished_at', '?')} "
        f"({results.get('total_minutes', '?')} min), `{' '.join(_args(results['args']))}`.",
        "",
        *_noisy_lines(results),
        "## Machine",
        "",
        *_table(
            ["CPU", "cores", "RAM", "PostgreSQL", "Python", "wrk", "commit", "load avg start/end"],
            [
                [
                    m["cpu"],
                    _f(m["cores"]),
                    f"{m['ram_gb']} GB",
                    m.get("postgresql", "?"),
                    m["python"],
                    m["wrk"],
                    m["commit"],
                    f"{m['load_average_at_start']} / {m.get('load_average_at_end', '?')}",
                ]
            ],
        ),
        "",
        "The machine is shared: the load average before each benchmark is in its section. "
        "Every ratio compares two figures measured in the same run, alternating, so load "
        "affects both sides.",
        "",
        "## Summary",
        "",
        *_noisy_lines(results),
        *_table(
            ["figure", "measured", "baseline", "ratio", "target", "verdict"], summary_rows(results)
        ),
        "",
        "Figures are medians of the runs (min / median / max below).",
        "",
        "## Data",
        "",
    ]
    if main:
        counts = main.get("rows", {})
        mix = main.get("intended_click_mix", {})
        lines += [
            f"`python -m bench.generate --scale {main.get('scale')} --seed {main.get('seed')}`: "
            f"tenant `{MAIN}` (host `{MAIN}.localhost`), the click day {main.get('day')} "
            f"(Asia/Shanghai), {main.get('rollup_days')} days of roll-ups before it; built in "
            f"{main.get('total_seconds')} s with COPY (`bench/loader.py`) and the product's "
            f"daily steps for the derived money, at load average "
            f"{main.get('load_average_before', '?')}"
            + (f", {data.get('built_at')}, reused by this run" if data.get("reused") else "")
            + f". Also `{TENTH}` "
            f"(a tenth: settlements' query count) and `{SMALL}` (about 10 rows per table: the "
            "reads' query counts).",
            "",
            *_table(["table", "rows"], [[t, _f(n)] for t, n in sorted(counts.items())]),
            "",
            "Intended click mix on the day: "
            + ", ".join(f"{k} {_f(v)}" for k, v in mix.items())
            + " (run_daily's verdicts are in the pipeline section).",
            "",
        ]
    lines += _clicks_section(results.get("clicks"), results.get("workers"))
    lines += _intraday_section(results.get("clicks_intraday"))
    lines += _daily_section(results.get("daily"))
    lines += _reconcile_section(results.get("reconcile"), main)
    lines += _conversions_section(results.get("conversions"))
    lines += _settlements_section(results.get("settlements"))
    lines += _admin_section(results.get("admin"))
    lines += _homes_section(results.get("homes"))
    lines += _report_section(results.get("report"))
    lines += _forecast_section(results.get("forecast"))
    if NOTES.exists():
        lines += ["## Analysis", "", NOTES.read_text().strip(), ""]
    return "\n".join(lines) + "\n"


def _args(args: dict[str, Any]) -> list[str]:
    out = ["python -m bench.run"]
    for key in ("scale", "runs", "duration", "connections"):
        out.append(f"--{key} {args.get(key)}")
    if args.get("reuse"):
        out.append("--reuse")
    if args.get("allow_noisy"):
        out.append("--allow-noisy")
    return out


def _noisy_lines(results: dict[str, Any]) -> list[str]:
    """The run's quiet/noisy mark (issue 19): a run that started above the quiet load (only
    with ``--allow-noisy``) or whose benchmarks started above it says so."""
    limit = results.get("quiet_load", 1.5)
    sections = results.get("noisy_sections") or []
    start = results["machine"].get("load_average_at_start")
    if results.get("noisy") or sections:
        where = f" (benchmarks that started above it: {', '.join(sections)})" if sections else ""
        return [
            f"**NOISY RUN**: the 1-minute load average was above {limit} (at start {start})"
            f"{where}; its absolute figures cannot be believed, only the same-run ratios.",
            "",
        ]
    if "quiet_load" in results:
        return [
            f"Quiet run: the 1-minute load average was at most {limit} at the start "
            "and before every benchmark.",
            "",
        ]
    return []


def _load(section: dict[str, Any]) -> str:
    return f"Load average before: {section.get('load_average_before')}."


def _clicks_section(section: dict[str, Any] | None, workers: dict[str, Any] | None) -> list[str]:
    lines = ["## Click path", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    s = section["settings"]
    g = s["gunicorn"]
    lines += [
        f"`/c/{{code}}?sku=` and the baseline `/bench/baseline/{{code}}?sku=` (`bench/views.py`: "
        "one `INSERT ... SELECT` that resolves the placement and product and stores the click, "
        "then a 302) in the same gunicorn (`config/gunicorn.py`: "
        f"{g['workers']} x {g['worker_class']} workers, {g['threads']} threads each, keepalive "
        f"{g['keepalive']} s, production settings), wrk from loopback: {s['wrk_threads']} "
        f"threads, {s['connections']} connections, {s['duration_s']} s per run, requests "
        f"rotating over {s['placements_rotated']:,} placements and {s['skus_rotated']:,} skus "
        "and 5,000 client addresses (`bench/wrk/click.lua`). Runs alternate.",
        "",
        *_table(
            [
                "path",
                "requests/s min / median / max",
                "p50 ms",
                "p99 ms",
                "302s",
                "rows stored",
                "lost",
                "abandoned at cut-off",
                "other answers",
            ],
            [
                [
                    name,
                    _mmm(section[key]["rps"]),
                    _mmm(section[key]["p50_ms"], 1),
                    _mmm(section[key]["p99_ms"], 1),
                    _f(section[key]["redirects"]),
                    _f(section[key]["stored"]),
                    _f(section[key]["lost"]),
                    _f(section[key]["in_flight_at_cutoff"]),
                    _f(sum(sum(o.values()) for o in section[key]["other_statuses"])),
                ]
                for name, key in (("/c/", "click"), ("baseline", "baseline"))
            ],
        ),
        "",
        "*Lost* counts 302s wrk received whose click row is not in the table; *abandoned at "
        "cut-off* counts rows stored for requests wrk stopped waiting for when its time ran "
        "out (at most one per connection per run).",
        "",
        _load(section),
        "",
    ]
    if workers and workers.get("rows"):
        lines += [
            "### Choosing the worker class",
            "",
            f"`/c/` with each configuration (one short run each, same wrk settings; measured "
            f"{workers.get('measured_at', '?')}, load average before "
            f"{workers.get('load_average_before', '?')}):",
            "",
            *_table(
                ["worker class", "workers", "threads", "requests/s", "p50 ms", "p99 ms"],
                [
                    [
                        r["worker_class"],
                        _f(r["workers"]),
                        _f(r["threads"]),
                        _f(r["rps"]),
                        _f(r["p50_ms"], 1),
                        _f(r["p99_ms"], 1),
                    ]
                    for r in workers["rows"]
                ],
            ),
            "",
        ]
    return lines


def _daily_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## Daily pipeline", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    lb = section.get("lower_bound_result", {})
    if "separate_run" in section:
        sep = section["separate_run"]
        lines += [
            f"Measured in a second run at the same scale on the same data (`--only daily "
            f"--reuse`, started {sep['started_at']}, load average {sep['load']}), after the "
            "main run reached its deadline.",
            "",
        ]
    lines += [
        f"`manage.py run_daily --tenant {MAIN} --date DAY` in a fresh process per run "
        f"(`bench/measure.py`; steps: {', '.join(section['steps'])}), against the lower bound "
        "`bench/lower_bound.sql`: one statement that classifies the same clicks with the same "
        "rules, writes every verdict and rebuilds the day's placement funnel. Before each "
        "run the day's verdicts are reset (and the table vacuumed): run_daily then classifies "
        "every click from scratch, and the lower bound, right after it, rewrites every "
        "verdict whatever its value, the same work as on fresh rows.",
        "",
        *_table(
            ["", "min / median / max"],
            [
                ["run_daily wall s", _mmm(section["run_daily_seconds"], 1)],
                ["lower bound wall s", _mmm(section["lower_bound_seconds"], 1)],
                ["run_daily peak RSS MB", _mmm(section["run_daily_peak_rss_mb"])],
                ["RSS after start-up MB", _mmm(section["run_daily_rss_before_mb"])],
            ],
        ),
        "",
        "Per step (seconds min / median / max; the process's peak RSS once the step is done):",
        "",
        *_table(
            ["step", "seconds", "peak RSS MB after it"],
            [
                [f"`{r['step']}`", _mmm(r["seconds"], 1), _f(r["peak_rss_mb"])]
                for r in section.get("run_daily_steps", [])
            ],
        ),
        "",
        "Verdicts after run_daily: "
        + ", ".join(f"{k} {_f(v)}" for k, v in sorted(section["verdicts"].items()))
        + f". The lower bound wrote {_f(lb.get('verdicts_written'))} verdicts and "
        f"{_f(lb.get('placement_rows'))} placement rows ({_f(lb.get('valid_clicks'))} valid).",
        "",
        _load(section),
        "",
    ]
    return lines


def _conversions_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## Conversions", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    lines += [
        f"`POST /api/v1/conversions` over HTTP to the same gunicorn, one merchant key per "
        f"batch, {section['batches']} batches of {section['batch_size']:,} events per run "
        "(60% orders with a line, 40% registrations, on the click day's clicks), one client "
        "posting batch after batch; against `bulk_create` of the same Conversion and "
        "ConversionItem rows in-process (click ids resolved with one query per batch). The "
        "benchmark's conversions are deleted afterwards.",
        "",
        *_table(
            ["", "events/s min / median / max"],
            [
                ["API", _mmm(section["api_events_per_s"])],
                ["bulk_create", _mmm(section["bulk_events_per_s"])],
            ],
        ),
        "",
        f"API answers per run: {section['api_statuses']}."
        + (f" Sample errors: {section['api_errors']}" if section.get("api_errors") else ""),
        "",
        _load(section),
        "",
    ]
    return lines


def _settlements_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## Settlements", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    rows = []
    for slug, r in section["by_tenant"].items():
        rows.append(
            [
                slug,
                _f(r["webmasters"]),
                _mmm(r["seconds"], 2),
                _mmm(r["queries"]),
                f"{r['rerun_seconds']:.2f} s, {r['rerun_queries']} queries"
                if r.get("rerun_seconds") is not None
                else "not run (out of time)",
            ]
        )
    lines += [
        f"`generate_settlements --period {section['period']}` (in-process, queries counted with "
        "`CaptureQueriesContext`); the period's statements are deleted before each run, so "
        "every run creates them all. The rerun column is an idempotent rerun over the drafts.",
        "",
        *_table(["tenant", "webmasters", "wall s", "queries", "rerun"], rows),
        "",
        f"Last output: `{section['by_tenant'].get(MAIN, {}).get('output', '')}`",
        "",
        _load(section),
        "",
    ]
    return lines


def _admin_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## Admin changelists", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    rows = []
    for p in section["pages"]:
        ok = p["small_queries"] == p["full_queries"] and p.get("p95_ms", 1e9) < 300
        status = "" if p["full_status"] == 200 else f" (HTTP {p['full_status']})"
        rows.append(
            [
                f"`{p['model']}`{status}",
                _f(p["small_queries"]),
                _f(p["full_queries"]),
                _f(p.get("median_ms"), 0),
                _f(p.get("p95_ms"), 0),
                _verdict(ok) if p["full_status"] == 200 else "-",
            ]
        )
    lines += [
        f"Every changelist of the tenant back office, as staff with every role (Django's test "
        f"client, in-process, production settings): queries at `{SMALL}` (about 10 rows per "
        f"table) and at `{MAIN}` (full scale), and the time of {section['samples']} requests "
        "at full scale (fewer, at least 5, when they take over 15 s).",
        "",
        *_table(
            ["model", "queries (10 rows)", "queries (full)", "median ms", "p95 ms", "verdict"], rows
        ),
        "",
        "Pages at or over 300 ms, with their slowest query (the most expensive seen in any "
        "of their requests):",
        "",
        *[
            f"- `{p['model']}`: {_f(p.get('slowest_query_ms'))} ms in `{p.get('slowest_query')}`"
            for p in section["pages"]
            if p.get("p95_ms", 0) >= 300
        ],
        "",
        _load(section),
        "",
    ]
    return lines


def _report_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## /reports/daily", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    lines += [
        f"`GET {section['path']}` with the key of the webmaster who has "
        f"{_f(section.get('full_placements'))} placements ({section['days']} days x "
        f"{_f(section.get('full_placements'))} placements at full scale; "
        f"{_f(section.get('small_placements'))} placements at `{SMALL}`).",
        "",
        *_table(
            ["", "10 rows", "full"],
            [
                ["HTTP status", _f(section.get("small_status")), _f(section.get("full_status"))],
                ["queries", _f(section.get("small_queries")), _f(section.get("full_queries"))],
                [
                    "rows on the page / count",
                    "-",
                    f"{_f(section.get('full_rows_on_page'))} / {_f(section.get('full_count'))}",
                ],
                [
                    "median / p95 ms",
                    "-",
                    f"{_f(section.get('median_ms'))} / {_f(section.get('p95_ms'))}",
                ],
                ["slowest query ms", "-", _f(section.get("slowest_query_ms"))],
            ],
        ),
        "",
        f"Slowest query: `{section.get('slowest_query', '')}`",
        "",
        _load(section),
        "",
    ]
    return lines


def _intraday_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## Click path with the intraday roll-up beside it (issue 15)", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    settings = section["settings"]
    loop = section.get("intraday", {})
    rows = []
    for kind, label in (("alone", "`/c/` alone"), ("with_intraday", "`/c/` + intraday task")):
        k = section[kind]
        rows.append(
            [
                label,
                _mmm(k["rps"]),
                _mmm(k["p50_ms"], 1),
                _mmm(k["p99_ms"], 1),
                _f(k["redirects"]),
                _f(k["stored"]),
                _f(k["lost"]),
            ]
        )
    passes = loop.get("passes") or {}
    seconds = loop.get("pass_seconds") or {}
    lines += [
        f"One gunicorn; wrk {settings['duration_s']} s x {settings['connections']} connections "
        "per run, alternating the two. Beside every second run, `bench.intraday_loop` runs the "
        "beat's task `tracking.provisional_rollup_due` (`apps/tracking/tasks.py`, the "
        "provisional roll-up of `apps/tracking/services/intraday.py`) back to back with a "
        "1 s pause, far more often than the beat's every 5 minutes: each pass reclassifies and "
        "recounts today's clicks so far, the ones wrk inserts included.",
        "",
        *_table(
            ["", "requests/s", "p50 ms", "p99 ms", "302s", "stored", "lost"],
            rows,
        ),
        "",
        f"Intraday passes per run: {_mmm(passes)}; seconds per pass: {_mmm(seconds, 2)}"
        + (f"; errors: {loop['errors']}" if loop.get("errors") else "")
        + ".",
        "",
        _load(section),
        "",
    ]
    return lines


def _reconcile_section(section: dict[str, Any] | None, main: dict[str, Any]) -> list[str]:
    lines = ["## Reconcile (issue 13)", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    derived = main.get("derived") or {}
    lines += [
        f"`manage.py reconcile --tenant {section['slug']} --period P` after the data build and "
        "the pipeline benchmark's run_daily of the click day (before the benchmarks that add "
        "conversions or statements). The generator loads raw events and roll-ups; the "
        "earnings, commissions, ledger postings and spend charges of the settlement period "
        "and the click day's month come from the product's own daily steps "
        "(`bench.generate.DERIVED_STEPS`), not from copies of their rules"
        + (
            " ("
            + ", ".join(f"{k.replace('_', ' ')} {_f(v)}" for k, v in sorted(derived.items()))
            + ")."
            if derived
            else "."
        ),
        "",
        *_table(
            ["period", "last line", "exit code", "seconds"],
            [
                [p["period"], f"`{p['last_line']}`", _f(p["exit_code"]), _f(p["seconds"], 1)]
                for p in section["periods"]
            ],
        ),
        "",
    ]
    for p in section["periods"]:
        if p.get("first_differences"):
            lines += [f"First differences of {p['period']}:", ""]
            lines += [f"- `{d}`" for d in p["first_differences"]]
            lines.append("")
    lines += [_load(section), ""]
    return lines


def _homes_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## Role homes (issue 14)", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += _fallback_line(section)
    rows = []
    for p in section["pages"]:
        ok = p["small_queries"] == p["full_queries"] and p.get("p95_ms", 1e9) < 300
        status = "" if p["full_status"] == 200 else f" (HTTP {p['full_status']})"
        rows.append(
            [
                f"{p['model']}{status}",
                _f(p.get("panels")),
                _f(p["small_queries"]),
                _f(p["full_queries"]),
                _f(p.get("median_ms"), 0),
                _f(p.get("p95_ms"), 0),
                _verdict(ok) if p["full_status"] == 200 else "-",
            ]
        )
    lines += [
        "The back office's home (`/admin/`, Unfold's dashboard with the panels of "
        "`apps/core/admin_home.py`) as a person holding only that role sees it, and as the "
        f"tenant admin (every role's panels): queries at `{SMALL}` and at `{MAIN}`, and the "
        f"time of {section['samples']} requests at full scale.",
        "",
        *_table(
            [
                "home",
                "panels",
                "queries (10 rows)",
                "queries (full)",
                "median ms",
                "p95 ms",
                "verdict",
            ],
            rows,
        ),
        "",
        *[
            f"- {p['model']}: slowest query {_f(p.get('slowest_query_ms'))} ms in "
            f"`{p.get('slowest_query')}`"
            for p in section["pages"]
            if p.get("p95_ms", 0) >= 300
        ],
        "",
        _load(section),
        "",
    ]
    return lines


def _forecast_section(section: dict[str, Any] | None) -> list[str]:
    lines = ["## Forecast back-test (issue 18)", ""]
    missing = _missing(section)
    if missing:
        return [*lines, missing, ""]
    lines += [
        f"`bench.forecast_backtest` on `{section['slug']}` (scale {section.get('scale')}): "
        f"each of the {_f(section['products'])} products with 60 days of roll-ups forecast "
        f"(`apps.growth.forecast.product_forecast`) from {section['history'][0]} to "
        f"{section['history'][1]} at its middle tier with a budget that does not bind, "
        f"against its mean day from {section['actual'][0]} to {section['actual'][1]} "
        f"(bases: {section['by_basis']}; {section['seconds']} s).",
        "",
        "| figure | GMV | spend |",
        "|---|---|---|",
        f"| MAPE | {section['mape_gmv_pct']}% | {section['mape_spend_pct']}% |",
        f"| median APE | {section['median_ape_gmv_pct']}% | {section['median_ape_spend_pct']}% |",
        "",
        _load(section),
        "",
    ]
    return lines


def write_readme(results: dict[str, Any]) -> Path:
    path = BENCH / "README.md"
    path.write_text(render(results))
    return path
