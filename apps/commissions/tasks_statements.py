"""Celery tasks for statements (generate_settlements). Both are idempotent: generation is
serialized per tenant and period and creates nothing twice."""

from typing import Any

from django.utils import timezone

from apps.commissions.services.statements import (
    StatementError,
    previous_period,
    statements_generate,
)
from apps.tenants.scope import current_tenant
from apps.tenants.tasks import tenant_task


@tenant_task("commissions.generate_settlements", throws=(StatementError,))
def generate_settlements_task(self: Any, *, tenant_id: int, period: str) -> dict[str, Any]:
    """Draft statements of ``period`` (YYYY-MM) for the tenant's webmasters."""
    return statements_generate(period=period)


@tenant_task("commissions.generate_settlements_due")
def generate_settlements_due_task(self: Any, *, tenant_id: int) -> dict[str, Any]:
    """Beat (days 1-3 of the month): the previous month in the tenant's time zone."""
    today = timezone.localdate(timezone.now(), current_tenant().zone)
    return statements_generate(period=previous_period(today))


@tenant_task("commissions.reconcile_due")
def reconcile_due_task(self: Any, *, tenant_id: int) -> dict[str, Any]:
    """Beat (nightly, after the daily pipeline and the statements): reconcile the previous
    month in the tenant's time zone and store the result for the finance page."""
    from apps.commissions.reconcile import reconcile_record
    from apps.tenants.clock import previous_period as period_before
    from apps.tenants.clock import tenant_today

    run, _ = reconcile_record(period=period_before(tenant_today()))
    return {"period": run.period, "differences": run.differences}
