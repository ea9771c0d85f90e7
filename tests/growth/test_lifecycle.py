"""Product lifecycle stages: the rule on generated histories (one worked case per stage), the
tenant's thresholds, the nightly step, and consistency with tagging (cold start is never
tagged, so never compensated)."""

import datetime
import random
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from apps.campaigns.lifecycle import ADVICE, LifecycleThresholds, lifecycle_stage
from apps.campaigns.models import LifecycleStage, Product
from apps.campaigns.services.products import TAG_MIN_ORDERS
from apps.core.pipeline import daily_steps, run_daily_steps
from apps.tenants.models import LIFECYCLE_COLD_START_MAX
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.growth.factories import roll_ups

pytestmark = pytest.mark.django_db
DEFAULTS = LifecycleThresholds()
DAY = datetime.date(2026, 3, 31)


def generated(kind: str, seed: int = 7) -> list[int]:
    """30 days of orders, oldest first, of a product in the given shape, with Poisson-like
    noise (seeded): what the worked cases below judge."""
    rng = random.Random(seed)

    def noisy(mean: float) -> int:
        return max(0, round(rng.gauss(mean, mean**0.5 * 0.5)))

    if kind == "cold_start":
        return [noisy(0.3) if d % 4 == 0 else 0 for d in range(30)]
    if kind == "growth":  # 2 a day rising 8% a day: about +70% week over week
        return [noisy(2 * 1.08**d) for d in range(30)]
    if kind == "burst":  # steady 5 a day, then 4 days at 30
        return [noisy(5) for _ in range(26)] + [noisy(30) for _ in range(4)]
    if kind == "steady":
        return [noisy(6) for _ in range(30)]
    if kind == "decline":  # 25 a day falling 7% a day: about -40% week over week
        return [noisy(25 * 0.93**d) for d in range(30)]
    raise ValueError(kind)


class TestRule:
    @pytest.mark.parametrize("kind", ["cold_start", "growth", "burst", "steady", "decline"])
    @pytest.mark.parametrize("seed", [1, 7, 42])
    def test_each_generated_shape_gets_its_stage(self, kind, seed):
        assert lifecycle_stage(daily_orders=generated(kind, seed), thresholds=DEFAULTS) == kind

    def test_worked_weeks(self):
        # three weeks of 35 then a week of 42: +20% week over week is growth, not yet a burst
        weeks = [0, 0] + [5] * 21 + [6] * 7
        assert lifecycle_stage(daily_orders=weeks, thresholds=DEFAULTS) == "growth"
        # 41 is +17%: steady; 28 is -20%: decline; 70 is twice the trend and last week: burst
        assert lifecycle_stage(daily_orders=[5] * 23 + [6] * 6 + [5], thresholds=DEFAULTS) == (
            "steady"
        )
        assert lifecycle_stage(daily_orders=[5] * 23 + [4] * 7, thresholds=DEFAULTS) == "decline"
        assert lifecycle_stage(daily_orders=[5] * 23 + [10] * 7, thresholds=DEFAULTS) == "burst"
        # 19 orders in 30 days is cold start whatever their shape; a product's first orders
        # after a quiet week are growth
        assert lifecycle_stage(daily_orders=[0] * 25 + [4] * 4 + [3], thresholds=DEFAULTS) == (
            "cold_start"
        )
        assert lifecycle_stage(daily_orders=[0] * 23 + [3] * 7, thresholds=DEFAULTS) == "growth"
        # a short history counts as zeros before it
        assert lifecycle_stage(daily_orders=[6] * 5, thresholds=DEFAULTS) == "growth"

    def test_the_thresholds_are_the_tenants(self, tenant):
        weeks = [5] * 23 + [6] * 7  # +20%
        tenant.lifecycle_growth_rate = Decimal("0.25")
        assert lifecycle_stage(daily_orders=weeks, thresholds=LifecycleThresholds.of(tenant)) == (
            "steady"
        )
        tenant.lifecycle_cold_start_orders = 5
        few = [0] * 24 + [1] * 6
        assert lifecycle_stage(daily_orders=few, thresholds=DEFAULTS) == "cold_start"
        assert lifecycle_stage(daily_orders=few, thresholds=LifecycleThresholds.of(tenant)) == (
            "growth"
        )

    def test_every_stage_has_advice(self):
        assert set(ADVICE) == set(LifecycleStage.values)
        assert "not tagged" in ADVICE[LifecycleStage.COLD_START]
        assert "cannot be compensated" in ADVICE[LifecycleStage.COLD_START]


class TestConsistencyWithTagging:
    def test_cold_start_never_exceeds_the_tagging_minimum(self, tenant):
        assert LIFECYCLE_COLD_START_MAX == TAG_MIN_ORDERS
        tenant.lifecycle_cold_start_orders = TAG_MIN_ORDERS + 1
        with pytest.raises(ValidationError) as refused:
            tenant.full_clean()
        assert "lifecycle_cold_start_orders" in refused.value.message_dict

    def test_after_the_nightly_run_a_cold_start_product_is_untagged(self, tenant):
        campaign = CampaignFactory(tenant=tenant, type="full_site", bid=None, target_roi=Decimal(3))
        # 19 orders from 38 clicks: the best conversion in the tenant, one order short
        almost = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        roll_ups(campaign=campaign, product=almost, last=DAY, orders=[1] * 19, clicks_per_order=2)
        tagged = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        roll_ups(campaign=campaign, product=tagged, last=DAY, orders=[1] * 30, clicks_per_order=2)

        steps = {step.name for step in daily_steps()}
        assert {"campaigns.tagging", "growth.lifecycle"} <= steps
        run_daily_steps(day=DAY)

        almost.refresh_from_db()
        tagged.refresh_from_db()
        assert (almost.lifecycle_stage, almost.is_tagged) == ("cold_start", False)
        assert (tagged.lifecycle_stage, tagged.is_tagged) == ("steady", True)


class TestNightlyStep:
    def test_the_step_judges_every_product_from_its_roll_ups_and_reruns_the_same(self, tenant):
        from apps.growth.lifecycle import lifecycle_step

        campaign = CampaignFactory(tenant=tenant, type="cpc", bid=Decimal("0.50"))
        shapes = {}
        for kind in ("growth", "burst", "steady", "decline"):
            product = ProductFactory(tenant=tenant, merchant=campaign.merchant, sku=kind.upper())
            roll_ups(campaign=campaign, product=product, last=DAY, orders=generated(kind))
            shapes[product.pk] = kind
        silent = ProductFactory(tenant=tenant, merchant=campaign.merchant, sku="SILENT")
        shapes[silent.pk] = "cold_start"
        # a second plan's orders of the same product add up
        other = CampaignFactory(tenant=tenant, merchant=campaign.merchant, type="cps", bid=None)
        steady = Product.objects.get(sku="STEADY")
        roll_ups(campaign=other, product=steady, last=DAY, orders=[1] * 30)

        first = lifecycle_step(day=DAY)
        assert {p.pk: p.lifecycle_stage for p in Product.objects.all()} == shapes
        assert (first["products"], first["changed"]) == (5, 5)
        assert first["cold_start"] == 1
        assert Product.objects.filter(lifecycle_refreshed_on=DAY).count() == 5
        again = lifecycle_step(day=DAY)
        assert (again["changed"], again["growth"]) == (0, 1)
