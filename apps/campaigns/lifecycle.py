"""A product's lifecycle stage (seeds 001 and 002, issue 18): cold start, growth, burst, steady
or decline, and what each means for a merchant's plan.

One pure rule, ``lifecycle_stage``, over the product's orders per tenant-local day (the 30 days
ending the nightly run's day, oldest first) and the tenant's thresholds
(``Tenant.lifecycle_*``). First match wins:

1. **cold start**: fewer than ``cold_start_orders`` orders in the 30 days (default 20, at most
   20: the tagging minimum, so a cold-start product is never tagged, gets no recommended tiers
   and cannot be compensated; ``apps.campaigns.services.products``);
2. **burst**: the last 7 days' orders at least ``burst_factor`` (default 2) times both the
   weekly average of the 3 weeks before (when those weeks had orders) and the week just before
   (a spike, not a steady climb: a product doubling every week is a burst, one growing 70% a
   week is growth);
3. **growth**: the last 7 days' orders at least ``1 + growth_rate`` (default 1.2) times the 7
   days before (or any orders after a week without);
4. **decline**: at most ``1 - decline_rate`` (default 0.8) times the 7 days before;
5. otherwise **steady**.

No ORM, no clock: ``apps.growth.lifecycle`` reads the roll-ups and calls it nightly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from apps.campaigns.models import LifecycleStage

WINDOW_DAYS = 30
WEEK = 7


@dataclass(frozen=True)
class LifecycleThresholds:
    cold_start_orders: int = 20
    growth_rate: Decimal = Decimal("0.20")
    decline_rate: Decimal = Decimal("0.20")
    burst_factor: Decimal = Decimal("2.00")

    @classmethod
    def of(cls, tenant: Any) -> LifecycleThresholds:
        """The tenant's settings."""
        return cls(
            cold_start_orders=tenant.lifecycle_cold_start_orders,
            growth_rate=tenant.lifecycle_growth_rate,
            decline_rate=tenant.lifecycle_decline_rate,
            burst_factor=tenant.lifecycle_burst_factor,
        )


def lifecycle_stage(*, daily_orders: Sequence[int], thresholds: LifecycleThresholds) -> str:
    """The stage of a product whose orders per day, oldest first and ending on the day judged,
    are ``daily_orders`` (days missing at the start count as zero; only the last 30 are read).
    See the module docstring for the rule."""
    days = list(daily_orders)[-WINDOW_DAYS:]
    days = [0] * (WINDOW_DAYS - len(days)) + days
    if sum(days) < thresholds.cold_start_orders:
        return LifecycleStage.COLD_START
    this_week = Decimal(sum(days[-WEEK:]))
    last_week = Decimal(sum(days[-2 * WEEK : -WEEK]))
    trend = Decimal(sum(days[-4 * WEEK : -WEEK])) / 3
    if trend > 0 and this_week >= thresholds.burst_factor * max(trend, last_week):
        return LifecycleStage.BURST
    if this_week > last_week and this_week >= (1 + thresholds.growth_rate) * last_week:
        return LifecycleStage.GROWTH
    if this_week <= (1 - thresholds.decline_rate) * last_week:
        return LifecycleStage.DECLINE
    return LifecycleStage.STEADY


#: What each stage means for the merchant's plan (shown on products and campaigns).
ADVICE = {
    LifecycleStage.COLD_START: (
        "Little or no history yet: the product is not tagged, so it gets no recommended ROI "
        "tiers and its plans cannot be compensated. Start with a small budget to collect orders; "
        "forecasts lean on your similar products."
    ),
    LifecycleStage.GROWTH: (
        "Orders are rising week over week: raise the daily budget step by step, keep a "
        "recommended tier, and check the budget is not what caps it."
    ),
    LifecycleStage.BURST: (
        "A spike well above its trend: make sure the daily budget does not cut it short (a burst "
        "phase), and expect it to come back toward its trend afterwards."
    ),
    LifecycleStage.STEADY: (
        "Flat: hold the budget at a recommended tier; a higher target ROI trades volume for "
        "efficiency."
    ),
    LifecycleStage.DECLINE: (
        "Orders are falling week over week: lower the daily budget or raise the target ROI, and "
        "check price, stock and the product page."
    ),
}
