"""Celery tasks of the tracking app: the daily pipeline per tenant-day."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import OperationalError

from apps.tenants.clock import tenant_today
from apps.tenants.scope import current_tenant
from apps.tenants.tasks import tenant_task
from apps.tracking.selectors import days_to_rerun
from apps.tracking.services import daily_run_execute


@tenant_task("tracking.run_daily")
def run_daily_task(self: object, *, tenant_id: int, day: str) -> dict[str, int]:
    """``run_daily`` for one tenant-day (idempotent; concurrent runs of a day serialize)."""
    run = daily_run_execute(day=datetime.date.fromisoformat(day))
    return run.counts


@tenant_task("tracking.run_daily_due")
def run_daily_due_task(self: object, *, tenant_id: int) -> list[str]:
    """Beat (hourly, per tenant): run "yesterday" in the tenant's zone unless it is done,
    and rerun any earlier day whose conversions changed after its last run (refunds)."""
    tenant = current_tenant()
    yesterday = tenant_today(tenant) - datetime.timedelta(days=1)
    days = days_to_rerun(yesterday=yesterday)
    for day in days:
        daily_run_execute(day=day)
    return [day.isoformat() for day in days]


@tenant_task("tracking.provisional_rollup_due", max_retries=0)
def provisional_rollup_due_task(self: object, *, tenant_id: int) -> dict[str, object]:
    """Beat (every few minutes, per tenant): today's provisional funnel, by the nightly rules
    (``apps.tracking.services.intraday``). Not retried: the next beat counts again."""
    from apps.tracking.services.intraday import provisional_rollup_due

    return provisional_rollup_due()


@shared_task(
    name="tracking.raw_events_maintain",
    acks_late=True,
    max_retries=5,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
)
def raw_events_maintain_task() -> dict[str, object]:
    """Beat (daily, platform): the raw event partitions ahead, each tenant's retention, and
    the partitions past every tenant's retention archived and dropped. Idempotent."""
    from apps.tracking.services.retention import raw_events_maintain

    return raw_events_maintain()
