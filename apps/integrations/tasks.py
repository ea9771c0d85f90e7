"""Celery tasks of the integrations app: send one delivery; sweep the due ones (beat)."""

from typing import Any

from apps.integrations.services.deliveries import deliveries_due, delivery_attempt
from apps.tenants.tasks import tenant_task


@tenant_task("integrations.delivery_send", max_retries=3)
def delivery_send_task(self: Any, *, tenant_id: int, delivery_id: int) -> str:
    """One attempt (retries of the HTTP call are the delivery's own back-off, not Celery's:
    the next one is picked up by the due sweep). Idempotent: the claim lets one run send."""
    delivery = delivery_attempt(delivery_id=delivery_id)
    return delivery.status if delivery is not None else "skipped"


@tenant_task("integrations.deliveries_due")
def deliveries_due_task(self: Any, *, tenant_id: int) -> int:
    """Beat, every minute for each tenant: fan the due deliveries out to workers."""
    due = deliveries_due()
    for delivery_id in due:
        delivery_send_task.apply_async(kwargs={"tenant_id": tenant_id, "delivery_id": delivery_id})
    return len(due)
