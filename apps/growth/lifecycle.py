"""The nightly lifecycle step (``run_daily`` step ``growth.lifecycle``, after tagging): each
product's orders per day over the 30 tenant-local days ending the run's day, read from the
roll-ups in one grouped query, judged by ``apps.campaigns.lifecycle.lifecycle_stage`` with the
tenant's thresholds, written by ``product_lifecycle_apply``. Idempotent."""

from __future__ import annotations

import datetime

from django.db.models import Sum

from apps.campaigns.lifecycle import WINDOW_DAYS, LifecycleThresholds, lifecycle_stage
from apps.campaigns.services.lifecycle import product_lifecycle_apply
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats


def product_daily_orders(*, day: datetime.date) -> dict[int, list[int]]:
    """Per product with roll-ups in the 30 days ending ``day``: its orders per day, oldest
    first, zeros on quiet days."""
    first = day - datetime.timedelta(days=WINDOW_DAYS - 1)
    rows = (
        CampaignDayStats.objects.filter(day__gte=first, day__lte=day, product__isnull=False)
        .values("product_id", "day")
        .annotate(orders=Sum("orders"))
        .order_by()
    )
    series: dict[int, list[int]] = {}
    for row in rows:
        days = series.setdefault(row["product_id"], [0] * WINDOW_DAYS)
        days[(row["day"] - first).days] += row["orders"] or 0
    return series


def lifecycle_step(*, day: datetime.date) -> dict[str, int]:
    thresholds = LifecycleThresholds.of(current_tenant())
    stages = {
        product_id: lifecycle_stage(daily_orders=orders, thresholds=thresholds)
        for product_id, orders in product_daily_orders(day=day).items()
    }
    return product_lifecycle_apply(day=day, stages=stages)
