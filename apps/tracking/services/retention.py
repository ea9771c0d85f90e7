"""Raw event retention (issue 19; docs/scale.md "Partitions and retention").

Each tenant keeps its raw clicks and impressions ``Tenant.raw_event_retention_days`` days
(tenant-local, default 90). The partitions are UTC days shared by every tenant, so the daily
maintenance (``raw_events_maintain``, beat ``tracking.raw_events_maintain``):

1. makes the day partitions ahead and moves strays out of DEFAULT
   (``apps.tracking.partitions.partitions_ensure``);
2. for each tenant: records the new ``RawEventRetention.purged_before`` (from then on
   ``run_daily`` refuses those days: rebuilding them from no raw rows would zero their
   roll-ups), then deletes its rows older than its horizon in batches, only in the
   partitions that stay (a tenant keeping less than the longest retention);
3. detaches, archives (gzip CSV under ``RAW_EVENTS_ARCHIVE_DIR``, unless empty) and drops the
   day partitions every tenant's horizon has passed: no DELETE for them at all.

Nothing that pays, bills or judges reads raw rows of a past day: earnings, statements,
invoices and claims read the roll-ups (``*DayStats``) and commissions; a dispute's evidence is
recorded as it is filed and says when its click window reaches before the retained rows.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.tenants.clock import day_window, tenant_today
from apps.tenants.models import Tenant
from apps.tenants.scope import current_tenant, tenant_scope
from apps.tracking import partitions
from apps.tracking.models import RawEventRetention

UTC = datetime.UTC
PURGE_BATCH = 10_000


def raw_events_horizon(*, tenant: Tenant, today: datetime.date | None = None) -> datetime.date:
    """The first tenant-local day whose raw events ``tenant`` keeps on ``today``."""
    today = today or tenant_today(tenant)
    return today - datetime.timedelta(days=tenant.raw_event_retention_days)


def _utc_midnight_floor(moment: datetime.datetime) -> datetime.datetime:
    moment = moment.astimezone(UTC)
    return datetime.datetime.combine(moment.date(), datetime.time.min, tzinfo=UTC)


def _delete_batched(
    *, table: str, tenant_id: int, lo: datetime.datetime | None, hi: datetime.datetime, batch: int
) -> int:
    """Delete the tenant's rows of ``table`` in ``[lo, hi)`` (``lo`` None: from its oldest),
    ``batch`` rows per transaction, one UTC day (partition) at a time."""
    column = partitions.PARTITIONED[table]
    deleted = 0
    if lo is None:
        with connection.cursor() as cursor:
            cursor.execute(
                f'SELECT min("{column}") FROM "{table}" WHERE tenant_id = %s',  # noqa: S608
                [tenant_id],
            )
            (lo,) = cursor.fetchone()
        if lo is None:
            return 0
    day_start = _utc_midnight_floor(lo)
    while day_start < hi:
        start = max(lo, day_start)
        end = min(hi, day_start + datetime.timedelta(days=1))
        # names from partitions.PARTITIONED, values as parameters
        sql = (
            f'DELETE FROM "{table}" WHERE tenant_id = %(t)s'  # noqa: S608
            f' AND "{column}" >= %(lo)s AND "{column}" < %(hi)s AND id IN ('
            f'SELECT id FROM "{table}" WHERE tenant_id = %(t)s'
            f' AND "{column}" >= %(lo)s AND "{column}" < %(hi)s LIMIT %(n)s)'
        )
        while True:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(sql, {"t": tenant_id, "lo": start, "hi": end, "n": batch})
                count = cursor.rowcount
            deleted += count
            if count < batch:
                break
        day_start += datetime.timedelta(days=1)
    return deleted


def raw_events_purge(
    *,
    today: datetime.date | None = None,
    kept_from: datetime.datetime | None = None,
    batch: int = PURGE_BATCH,
) -> dict[str, Any]:
    """Remove the active tenant's raw clicks and impressions of the days before its horizon
    (``raw_events_horizon``); with ``kept_from`` (a UTC instant) only rows from it on: older
    partitions are about to be dropped whole. Records ``RawEventRetention`` first, so
    ``run_daily`` refuses those days before a row is gone. Idempotent; the counts."""
    tenant = current_tenant()
    horizon = raw_events_horizon(tenant=tenant, today=today)
    hi = day_window(horizon, tenant)[0]
    with transaction.atomic():
        retention, _ = RawEventRetention.objects.select_for_update().get_or_create(
            tenant=tenant, defaults={"purged_before": horizon, "purged_at": timezone.now()}
        )
        # the watermark only moves forward: a longer retention set later keeps what is left
        retention.purged_before = max(retention.purged_before, horizon)
        retention.purged_at = timezone.now()
        retention.save(update_fields=["purged_before", "purged_at", "updated_at"])
    counts: dict[str, Any] = {"purged_before": horizon.isoformat()}
    for table in partitions.PARTITIONED:
        counts[table] = _delete_batched(
            table=table, tenant_id=tenant.pk, lo=kept_from, hi=hi, batch=batch
        )
    RawEventRetention.objects.filter(pk=retention.pk).update(counts=counts)
    return counts


def raw_events_purged_before() -> datetime.date | None:
    """The active tenant's first day that still has its raw events (None: nothing removed)."""
    return RawEventRetention.objects.values_list("purged_before", flat=True).first()


def archive_dir() -> Path | None:
    configured = getattr(settings, "RAW_EVENTS_ARCHIVE_DIR", "")
    return Path(configured) if configured else None


def raw_events_maintain(
    *,
    now: datetime.datetime | None = None,
    days_ahead: int = partitions.DAYS_AHEAD,
    archive: Path | bool | None = True,
) -> dict[str, Any]:
    """The daily maintenance of the raw event tables, for every tenant (module docstring).
    Platform work: runs outside any tenant scope and enters each tenant in turn. Idempotent.
    ``archive``: True for ``RAW_EVENTS_ARCHIVE_DIR``, a folder, or None/False to drop only."""
    now = now or timezone.now()
    with transaction.atomic(), connection.cursor() as cursor:
        created = partitions.partitions_ensure(
            cursor, today=now.astimezone(UTC).date(), days_ahead=days_ahead
        )
    tenants = list(Tenant.objects.order_by("pk"))
    horizons: dict[int, datetime.datetime] = {}
    for tenant in tenants:
        local_today = now.astimezone(tenant.zone).date()
        horizon = raw_events_horizon(tenant=tenant, today=local_today)
        horizons[tenant.pk] = day_window(horizon, tenant)[0]
    # every partition ending by then holds only rows past every tenant's retention
    drop_before = _utc_midnight_floor(min(horizons.values())) if horizons else None
    purged: dict[str, Any] = {}
    for tenant in tenants:
        with tenant_scope(tenant):
            local_today = now.astimezone(tenant.zone).date()
            purged[tenant.slug] = raw_events_purge(today=local_today, kept_from=drop_before)
    dropped: list[str] = []
    if drop_before is not None:
        folder = archive_dir() if archive is True else (archive or None)
        with transaction.atomic(), connection.cursor() as cursor:
            dropped = partitions.partitions_drop_before(
                cursor, before=drop_before, archive_dir=folder
            )
    return {"created": created, "purged": purged, "dropped": dropped}
