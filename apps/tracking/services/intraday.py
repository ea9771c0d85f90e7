"""Today's provisional funnel (issue 15): the nightly roll-up's own rules, every few minutes.

``provisional_rollup_day(day=...)`` runs ``run_daily``'s classification (``CLASSIFY_SQL``) and
roll-up SQL (``placement_day_sql``, ``sub_day_sql``, ``campaign_day_sql`` in
``apps/tracking/services/rollup.py``) for a day the nightly run has not closed, writing into the
provisional twins of the roll-up tables (``ProvisionalPlacementDay``,
``ProvisionalPlacementSubDay``, ``ProvisionalCampaignDay``) and stamping ``ProvisionalRun``.
There is no second rule: a figure of today means what the same figure of yesterday means.

- **Verdicts so far.** Every verdict looks only backwards (bots and the block list by the
  click itself, "self" by the webmaster's known addresses, a duplicate by the visitor's
  previous click within the dedupe window, the address cap by the clicks before it that day),
  so a click classified at 14:05 gets the same verdict at night, unless the inputs change in
  between: a block rule or a webmaster's own address added later that day, or a click stored
  with a time before one already classified. The nightly run recounts the whole day and its
  figures replace these.
- **Nothing that pays reads them.** Earnings, the ledger, weights, tagging, lifecycle,
  billing, claims and reconcile read only the nightly tables. The pages and
  ``/reports/daily`` show the provisional rows of days the nightly run has not closed, marked
  provisional.
- **The nightly run replaces them.** Its step ``tracking.provisional_clear`` (order 11, right
  after the roll-up) deletes the day's provisional rows in the same transaction, and a
  provisional run never counts a closed day: both hold ``run_daily``'s advisory lock of the
  tenant-day, so neither sees half of the other.
- **The click path is untouched.** ``/c/`` still costs its one INSERT. The verdicts are
  written in a short transaction of their own (only clicks whose verdict changes are updated,
  so mostly those since the last run; the nightly classification then has little left to
  change), and the roll-ups in a second one, so a landing pixel on a fresh click waits at most
  for the first.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from apps.core.db import advisory_xact_lock
from apps.tenants.clock import day_window, tenant_today
from apps.tenants.scope import current_tenant
from apps.tracking.models import (
    DailyRun,
    DailyRunStatus,
    ProvisionalCampaignDay,
    ProvisionalPlacementDay,
    ProvisionalPlacementSubDay,
    ProvisionalRun,
)
from apps.tracking.services.daily import LOCK_NAMESPACE
from apps.tracking.services.rollup import (
    RollupTables,
    classify_clicks,
    rollup_into,
    rollup_params,
)

PROVISIONAL = RollupTables(
    placement_day=ProvisionalPlacementDay._meta.db_table,
    sub_day=ProvisionalPlacementSubDay._meta.db_table,
    campaign_day=ProvisionalCampaignDay._meta.db_table,
)
#: the beat's period (config/celery.py): "updated within minutes"
EVERY_MINUTES = 5


def day_is_closed(*, day: datetime.date) -> bool:
    """The nightly run has finished ``day`` at least once (a later failed rerun rolls back to
    that run's rows, which stay the truth)."""
    return (
        DailyRun.objects.filter(day=day)
        .filter(Q(status=DailyRunStatus.DONE) | ~Q(counts={}))
        .exists()
    )


def _lock(day: datetime.date) -> None:
    # the nightly run's own lock of the tenant-day (apps/tracking/services/daily.py)
    advisory_xact_lock(f"{LOCK_NAMESPACE}:{current_tenant().pk}:{day.isoformat()}")


def provisional_rollup_day(*, day: datetime.date) -> dict[str, int] | None:
    """Count ``day`` so far into the provisional tables; None when the nightly run has closed
    it (nothing is written then). Idempotent: a rerun recounts from the raw rows."""
    params = rollup_params(day)
    with transaction.atomic():
        _lock(day)
        if day_is_closed(day=day):
            return None
        with connection.cursor() as cursor:
            counts = classify_clicks(cursor, params)
    with transaction.atomic():
        _lock(day)
        if day_is_closed(day=day):
            return None
        with connection.cursor() as cursor:
            counts.update(rollup_into(cursor, params, PROVISIONAL))
        ProvisionalRun.objects.update_or_create(
            tenant=current_tenant(),
            day=day,
            defaults={"counted_at": timezone.now(), "counts": counts},
        )
    return counts


def provisional_days_due(*, now: datetime.datetime | None = None) -> list[datetime.date]:
    """Today (tenant-local), and yesterday while the nightly run has not closed it and its
    last provisional count is older than its end (its last minutes are counted once more)."""
    tenant = current_tenant()
    today = tenant_today(tenant) if now is None else timezone.localtime(now, tenant.zone).date()
    yesterday = today - datetime.timedelta(days=1)
    days = []
    last = ProvisionalRun.objects.filter(day=yesterday).values_list("counted_at", flat=True)
    _, end = day_window(yesterday, tenant)
    if last and last[0] < end and not day_is_closed(day=yesterday):
        days.append(yesterday)
    days.append(today)
    return days


def provisional_rollup_due() -> dict[str, Any]:
    """The beat's body for the active tenant: every day ``provisional_days_due`` names."""
    done: dict[str, Any] = {}
    for day in provisional_days_due():
        done[day.isoformat()] = provisional_rollup_day(day=day)
    return done


def provisional_clear_day(*, day: datetime.date) -> dict[str, int]:
    """Daily step (order 11, after ``tracking.rollup``): the nightly figures of ``day`` replace
    its provisional ones, in the nightly run's transaction."""
    counts = {
        "provisional_placement_rows": ProvisionalPlacementDay.objects.filter(day=day).delete()[0],
        "provisional_sub_rows": ProvisionalPlacementSubDay.objects.filter(day=day).delete()[0],
        "provisional_campaign_rows": ProvisionalCampaignDay.objects.filter(day=day).delete()[0],
    }
    ProvisionalRun.objects.filter(day=day).delete()
    return counts
