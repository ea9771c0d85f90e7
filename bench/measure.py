"""Run one management command in a fresh process and report its wall time and peak memory.

    python -m bench.measure run_daily --tenant bench --date 2026-11-30

Prints one JSON line: ``seconds`` (the command alone, Django already set up), ``peak_rss_mb``
(the process's maximum resident set, ``getrusage``), ``rss_before_mb`` (after start-up, before
the command) and the command's output. A fresh process per run, so each peak is its own.
"""

from __future__ import annotations

import io
import json
import os
import resource
import sys
import time


def _time_daily_steps(process: object) -> list[dict[str, float | str]]:
    """Wrap every registered daily step to note its seconds and the process's peak RSS after
    it (``run_daily``'s own code is untouched; other commands never call the steps)."""
    from apps.core import pipeline

    timings: list[dict[str, float | str]] = []
    original = pipeline.DailyStep.load

    def load(step: pipeline.DailyStep):  # type: ignore[no-untyped-def]
        fn = original(step)

        def timed(**kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return fn(**kwargs)
            finally:
                timings.append(
                    {
                        "step": step.name,
                        "seconds": time.perf_counter() - started,
                        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                    }
                )

        return timed

    pipeline.DailyStep.load = load  # type: ignore[method-assign]
    return timings


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    import psutil
    from django.core.management import call_command
    from django.db import connection

    connection.ensure_connection()  # start-up cost (server handshake) stays out of the timing
    process = psutil.Process()
    before = process.memory_info().rss
    steps = _time_daily_steps(process)
    out = io.StringIO()
    started = time.perf_counter()
    call_command(*argv, stdout=out)
    seconds = time.perf_counter() - started
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(
        json.dumps(
            {
                "seconds": seconds,
                "peak_rss_mb": peak_kb / 1024,
                "rss_before_mb": before / 2**20,
                "steps": steps,
                "output": out.getvalue(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
