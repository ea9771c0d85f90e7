"""The daily run (API.md ``run_daily``): every registered pipeline step for one tenant-day."""

from __future__ import annotations

import datetime
import traceback

from django.db import transaction
from django.utils import timezone

from apps.core.db import advisory_xact_lock
from apps.core.pipeline import DailyStep, run_daily_steps
from apps.tenants.live import live_state_changed
from apps.tenants.scope import current_tenant
from apps.tracking.budget import SPEND_KEPT_DAYS, spend_prune
from apps.tracking.errors import RawEventsPurgedError
from apps.tracking.models import DailyRun, DailyRunStatus
from apps.tracking.services.retention import raw_events_purged_before

LOCK_NAMESPACE = "alliance.tracking.run_daily"


def _record(*, day: datetime.date, **fields: object) -> DailyRun:
    tenant = current_tenant()
    run, _ = DailyRun.objects.update_or_create(tenant=tenant, day=day, defaults=fields)
    return run


def daily_run_execute(*, day: datetime.date) -> DailyRun:
    """Run the day's pipeline (``apps.core.pipeline.run_daily_steps``) for the active tenant.

    - All steps run in one transaction: a failing step leaves the day as it was (and the
      ``DailyRun`` row says ``failed``, with the step and the error).
    - Two runs of the same tenant-day never interleave: the transaction holds
      ``pg_advisory_xact_lock`` on (namespace, tenant-day), so a second run waits and then
      recomputes the same numbers (every step is idempotent).
    - The ``DailyRun`` row (one per day) keeps the last run's status, step and counts.
    - A day whose raw events retention removed (``RawEventRetention``) is refused with
      ``RawEventsPurgedError``: rebuilt from no clicks, its roll-ups and earnings would go to
      zero; they stand as the last run left them (issue 19).
    Called by ``manage.py run_daily`` and the Celery task ``tracking.run_daily``."""
    tenant = current_tenant()
    purged_before = raw_events_purged_before()
    if purged_before is not None and day < purged_before:
        raise RawEventsPurgedError(
            f"The raw clicks and impressions of {day.isoformat()} were removed after "
            f"{tenant.raw_event_retention_days} days (kept from {purged_before.isoformat()}); "
            "its roll-ups, earnings and statements stand as they are.",
            day=day.isoformat(),
            kept_from=purged_before.isoformat(),
        )
    _record(
        day=day,
        status=DailyRunStatus.RUNNING,
        started_at=timezone.now(),
        finished_at=None,
        step="",
        error="",
    )
    current: list[str] = [""]

    def on_step(step: DailyStep) -> None:
        current[0] = step.name

    try:
        with transaction.atomic():
            advisory_xact_lock(f"{LOCK_NAMESPACE}:{tenant.pk}:{day.isoformat()}")
            results = run_daily_steps(day=day, on_step=on_step)
            # new roll-ups (bid history), weights and tags: every process serves from them
            live_state_changed()
            spend_prune(before=day - datetime.timedelta(days=SPEND_KEPT_DAYS))
            counts = {
                f"{step}.{name}": int(value)
                for step, step_counts in results.items()
                for name, value in step_counts.items()
            }
            return _record(
                day=day,
                status=DailyRunStatus.DONE,
                finished_at=timezone.now(),
                step="",
                counts=counts,
                error="",
            )
    except Exception as exc:
        # Recorded outside the rolled-back transaction, then re-raised: the caller (command or
        # task) decides what a failure means; nothing here swallows it.
        _record(
            day=day,
            status=DailyRunStatus.FAILED,
            finished_at=timezone.now(),
            step=current[0],
            error="".join(traceback.format_exception_only(exc)).strip()[:4000],
        )
        raise
