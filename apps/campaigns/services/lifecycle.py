"""Writes the nightly lifecycle stage of every product (issue 18; the rule is
``apps.campaigns.lifecycle.lifecycle_stage``, the reading ``apps.growth.lifecycle``)."""

from __future__ import annotations

import datetime
from collections.abc import Mapping

from django.db import transaction

from apps.campaigns.models import LifecycleStage, Product


def product_lifecycle_apply(*, day: datetime.date, stages: Mapping[int, str]) -> dict[str, int]:
    """Set every product of the scoped tenant to its stage in ``stages`` (by product id; a
    product missing from it had no orders: cold start). Idempotent; counts by stage.

    Only products whose stage or refresh day changes are written. Nothing served depends on the
    stage (it is advice), so the live state is not touched."""
    counts = dict.fromkeys(LifecycleStage.values, 0)
    changed: list[Product] = []
    with transaction.atomic():
        products = Product.objects.select_for_update(of=("self",)).order_by("pk")
        for product in products.only("pk", "lifecycle_stage", "lifecycle_refreshed_on"):
            stage = stages.get(product.pk, LifecycleStage.COLD_START)
            counts[stage] += 1
            if product.lifecycle_stage != stage or product.lifecycle_refreshed_on != day:
                product.lifecycle_stage = stage
                product.lifecycle_refreshed_on = day
                changed.append(product)
        Product.objects.bulk_update(
            changed, ["lifecycle_stage", "lifecycle_refreshed_on"], batch_size=500
        )
    return {**counts, "products": sum(counts.values()), "changed": len(changed)}
