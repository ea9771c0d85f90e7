"""Celery tasks for statements (generate_settlements). Both are idempotent: generation is
serialized per tenant and period and creates nothing twice."""

from typing import Any

from apps.commissions.services.statements import (
    StatementError,
    previous_period,
    statements_generate,
)
from apps.tenants.clock import tenant_today
from apps.tenants.tasks import tenant_task


@tenant_task("commissions.generate_settlements", throws=(StatementError,))
def generate_settlements_task(self: Any, *, tenant_id: int, period: str) -> dict[str, Any]:
    """Draft statements of ``period`` (YYYY-MM) for the tenant's webmasters."""
    return statements_generate(period=period)


@tenant_task("commissions.generate_settlements_due")
def generate_settlements_due_task(self: Any, *, tenant_id: int) -> dict[str, Any]:
    """Beat (days 1-3 of the month): the previous month in the tenant's time zone."""
    return statements_generate(period=previous_period(tenant_today()))


@tenant_task("commissions.reconcile_due")
def reconcile_due_task(self: Any, *, tenant_id: int) -> dict[str, Any]:
    """Beat (nightly, after the daily pipeline and the statements): reconcile the previous
    month in the tenant's time zone and store the result for the finance page."""
    from apps.commissions.reconcile import reconcile_record

    run, _ = reconcile_record(period=previous_period(tenant_today()))
    return {"period": run.period, "differences": run.differences}
