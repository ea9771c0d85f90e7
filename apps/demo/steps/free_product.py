"""Demo data: a tagged product free for a new full-site plan (issue 15). Idempotent; runs
last, inside the demo tenant's scope.

Every tagged product of the demo is already in an active plan (each merchant's coffee is in its
full-site plan), so without this a merchant could start no full-site plan at a recommended tier.
Each merchant gets a "Tea sampler" in no plan, tagged from a sales history before the demo's
month (40 orders from 100 valid clicks, GMV 900 on spend 300: ROI 3, tiers 2.4 / 3.0 / 3.6).

It runs after the traffic step so the nightly runs over the demo's days (whose tagging step
recomputes every product from the roll-ups, where the sampler has none) do not untag it: the
tagging is re-applied for yesterday with those same roll-ups for every other product and the
same median, so no other product's facts change. The next real nightly run untags the sampler
again (it never sold in the window); ``make demo`` seeds it afresh.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from apps.campaigns.models import Merchant, Product
from apps.campaigns.services.products import (
    ProductTaggingStats,
    product_tagging_apply,
    product_upsert,
)
from apps.demo.steps.campaigns import _domain
from apps.tenants.clock import tenant_today
from apps.tracking.performance import median_conversion_rate, product_tagging_stats

SKU_SUFFIX = "TEA"
TITLE = "Tea sampler"
PRICE = Decimal("45.00")
HISTORY = ProductTaggingStats(
    orders=40, valid_clicks=100, gmv=Decimal("900.00"), spend=Decimal("300.00")
)


def _sampler(merchant: Merchant) -> Product:
    domain = _domain(merchant)
    sku = f"{merchant.code.upper()}-{SKU_SUFFIX}"
    product, _ = product_upsert(
        merchant=merchant,
        sku=sku,
        title=f"{TITLE} ({merchant.name})",
        url=f"https://{domain}/p/{sku.lower()}",
        price=PRICE,
        product_type="grocery",
    )
    return product


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    samplers = [_sampler(m) for m in Merchant.objects.filter(is_active=True).order_by("code")]
    if not samplers:
        return
    yesterday = tenant_today(tenant) - datetime.timedelta(days=1)
    stats = product_tagging_stats(day=yesterday)
    # the nightly run's median (the sampler's own rate when nothing sold: no traffic step)
    median = median_conversion_rate(stats.values()) or HISTORY.conversion_rate
    product_tagging_apply(
        day=yesterday,
        stats={**stats, **{product.pk: HISTORY for product in samplers}},
        median_conversion_rate=median,
    )
    log(f"Free for a full-site plan: {', '.join(p.sku for p in samplers)} (tagged)")
