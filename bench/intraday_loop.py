"""The intraday provisional roll-up (issue 15) in a loop, beside the click benchmark.

    python -m bench.intraday_loop --tenant bench --out bench/results/intraday-loop.json

Runs the beat's own task, ``tracking.provisional_rollup_due`` (``provisional_rollup_due_task``,
``apps/tracking/tasks.py``), eagerly in this process for the tenant, again and again with
``--pause`` seconds between passes, until SIGTERM or ``--seconds``; then writes the passes'
count and durations to ``--out``. Back to back it is far harsher than production's beat (every
``EVERY_MINUTES`` minutes): every pass reclassifies and recounts today's clicks so far,
the ones wrk is inserting included.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import time
from pathlib import Path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tenant", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--pause", type=float, default=1.0)
    parser.add_argument("--seconds", type=float, default=3600.0)
    args = parser.parse_args(argv)
    stop: list[bool] = []  # before Django's set-up: a SIGTERM then still ends it cleanly
    signal.signal(signal.SIGTERM, lambda *_: stop.append(True))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()
    from apps.tenants.models import Tenant
    from apps.tracking.tasks import provisional_rollup_due_task

    tenant = Tenant.objects.get(slug=args.tenant)
    out = Path(args.out)
    passes: list[float] = []
    last: dict[str, object] = {}
    errors: list[str] = []

    def write() -> None:  # after every pass, so the file is whole whenever the run ends
        state = {
            "passes": len(passes),
            "pass_seconds": passes,
            "last_counts": last,
            "errors": errors,
            "pause_s": args.pause,
        }
        partial = out.with_suffix(".tmp")
        partial.write_text(json.dumps(state, indent=2, default=str))
        partial.replace(out)

    write()  # ready: the benchmark starts wrk once this file exists
    ends = time.monotonic() + args.seconds
    while not stop and time.monotonic() < ends:
        started = time.perf_counter()
        result = provisional_rollup_due_task.apply(kwargs={"tenant_id": tenant.pk})
        passes.append(time.perf_counter() - started)
        if result.failed():
            errors.append(repr(result.result)[:500])
        else:
            last = result.result or {}
        write()
        deadline = time.monotonic() + args.pause
        while not stop and time.monotonic() < deadline:
            time.sleep(0.05)
    write()


if __name__ == "__main__":
    main()
