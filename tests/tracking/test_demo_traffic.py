"""The demo traffic step: bulk-generated days, the pipeline run for each, idempotent."""

import time
from decimal import Decimal

import pytest

from apps.demo.steps import traffic
from apps.tenants.scope import tenant_scope
from apps.tracking.models import (
    CampaignDayStats,
    Click,
    Conversion,
    DailyRun,
    Impression,
    PlacementDayStats,
)
from tests.campaigns.factories import CampaignFactory, CampaignProductFactory, ProductFactory
from tests.sites.factories import PlacementFactory

pytestmark = pytest.mark.django_db


def world(tenant, *, placements=3):
    for _ in range(placements):
        PlacementFactory(tenant=tenant)
    PlacementFactory(tenant=tenant, is_active=False)
    for fields in (
        {"type": "cpm", "bid": Decimal("20.0000")},
        {"type": "cpc", "bid": Decimal("0.6000")},
        {"type": "cps", "bid": None},
        {"type": "full_site", "bid": None, "target_roi": Decimal("4.00")},
    ):
        campaign = CampaignFactory(tenant=tenant, **fields)
        product = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        CampaignProductFactory(tenant=tenant, campaign=campaign, product=product)


def totals(tenant):
    with tenant_scope(tenant):
        return {
            "clicks": Click.objects.count(),
            "impressions": Impression.objects.count(),
            "conversions": Conversion.objects.count(),
            "runs": DailyRun.objects.filter(status="done").count(),
            "placement_rows": list(PlacementDayStats.objects.order_by("id").values()),
            "campaign_rows": list(CampaignDayStats.objects.order_by("id").values()),
        }


def seed(tenant, days):
    logged = []
    with tenant_scope(tenant):
        traffic.seed(tenant=tenant, days=days, result=None, log=logged.append)
    return logged


def test_days_of_traffic_are_generated_run_and_a_rerun_changes_nothing(tenant):
    world(tenant)
    seed(tenant, 3)
    first = totals(tenant)
    assert first["runs"] == 3
    assert first["clicks"] > 0
    assert first["impressions"] > first["clicks"]
    assert first["conversions"] > 0
    verdicts = set(Click.objects.values_list("verdict", flat=True))
    inactive = PlacementDayStats.objects.filter(placement__is_active=False).count()
    spend = sum(row.spend for row in CampaignDayStats.objects.all())
    assert {"valid", "bot", "duplicate"} <= verdicts
    assert inactive == 0
    assert spend > 0
    assert seed(tenant, 3) == ["Traffic: generated 0 day(s), ran the pipeline for 0 day(s)"]
    assert totals(tenant) == first


def test_without_placements_or_plans_it_does_nothing(tenant):
    assert seed(tenant, 3) == ["Traffic: no live placements or active plans yet; skipped"]
    assert totals(tenant)["clicks"] == 0


@pytest.mark.slow
def test_thirty_days_of_six_placements_stay_within_budget(tenant):
    # Measured on the shared 8-engineer machine: ~60 s for 30 days, of which every registered
    # pipeline step (earnings, weights, tagging...) takes ~20 s; a guard against regressions.
    world(tenant, placements=6)
    started = time.monotonic()
    seed(tenant, 30)
    elapsed = time.monotonic() - started
    assert totals(tenant)["runs"] == 30
    days_with_clicks = PlacementDayStats.objects.values("day").distinct().count()
    assert days_with_clicks == 30
    assert elapsed < 120, f"took {elapsed:.1f} s"
