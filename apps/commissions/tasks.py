"""Celery tasks of the money. Statement tasks live in ``tasks_statements`` (built separately)."""

from typing import Any

from apps.commissions.tasks_statements import *  # noqa: F403
from apps.tenants.clock import tenant_today
from apps.tenants.tasks import tenant_task


@tenant_task("commissions.rebates_credit_due", max_retries=3)
def rebates_credit_due(self: Any, *, tenant_id: int, period: str | None = None) -> dict:
    """Monthly (beat, day 1): credit last month's rebates (tenant-local). Idempotent."""
    from apps.commissions.services.rebates import previous_period, rebates_credit_month

    today = tenant_today()
    return rebates_credit_month(period=period or previous_period(today))
