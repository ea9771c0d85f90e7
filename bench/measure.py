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


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    import psutil
    from django.core.management import call_command
    from django.db import connection

    connection.ensure_connection()  # start-up cost (server handshake) stays out of the timing
    before = psutil.Process().memory_info().rss
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
                "output": out.getvalue(),
            }
        )
    )


if __name__ == "__main__":
    main(sys.argv[1:])
