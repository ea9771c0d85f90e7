"""The one writer of ``Delivery.status`` (issue 13's rule: one writer per status).

``ALLOWED``: a pending delivery is delivered, gives up, or is cancelled (its target was
switched off or deleted); any finished one may be made pending again by a replay. A pending
delivery staying pending (a retry rescheduled) only changes its other fields.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from apps.integrations.models import Delivery, DeliveryStatus

ALLOWED: dict[str, set[str]] = {
    DeliveryStatus.PENDING: {
        DeliveryStatus.PENDING,
        DeliveryStatus.SUCCEEDED,
        DeliveryStatus.FAILED,
        DeliveryStatus.CANCELLED,
    },
    DeliveryStatus.SUCCEEDED: {DeliveryStatus.PENDING},
    DeliveryStatus.FAILED: {DeliveryStatus.PENDING},
    DeliveryStatus.CANCELLED: {DeliveryStatus.PENDING},
}


def deliveries_transition(*, deliveries: QuerySet[Delivery], to: str, **fields: Any) -> int:
    """Move the given deliveries to ``to`` (with ``fields``) in one UPDATE; rows whose status
    may not move there (``ALLOWED``) are left alone, so a racing move never overwrites a
    later one. Returns how many moved."""
    sources = [source for source, targets in ALLOWED.items() if to in targets]
    return deliveries.filter(status__in=sources).update(
        status=to, updated_at=timezone.now(), **fields
    )
