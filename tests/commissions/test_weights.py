"""Nightly site weights: percentile rank of (registrations + orders) / valid clicks among
sites with at least 100 valid clicks in the 30 days ending the run day; others get 5."""

import datetime

import pytest

from apps.commissions.services.weights import site_weights_compute, weights_for
from apps.sites.models import Site
from apps.tenants.scope import current_tenant, tenant_scope
from tests.sites.factories import PlacementFactory, SiteFactory
from tests.tracking.factories import PlacementDayStatsFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 31)


def test_pure_rule_best_gets_10_worst_gets_1_ties_share():
    stats = {1: (100, 1), 2: (200, 4), 3: (1000, 20), 4: (100, 9), 5: (99, 99)}
    # ratios: 1 -> 0.01, 2 -> 0.02, 3 -> 0.02 (tie), 4 -> 0.09; site 5 is not ranked
    assert weights_for(stats) == {1: 1, 2: 4, 3: 4, 4: 10}


def test_percent_rank_floor():
    # 11 sites with distinct ratios: percent ranks 0, 0.1, ..., 1 -> 1 + floor(9 x rank)
    stats = {i: (100, i) for i in range(11)}
    assert [weights_for(stats)[i] for i in range(11)] == [1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]


def test_a_lone_ranked_site_and_all_tied_sites_get_1():
    assert weights_for({1: (500, 3)}) == {1: 1}
    assert weights_for({1: (100, 1), 2: (200, 2)}) == {1: 1, 2: 1}
    assert weights_for({}) == {}


def _site_with(valid, conversions, days_ago=0, site=None):
    placement = PlacementFactory(tenant=current_tenant(), **({"site": site} if site else {}))
    PlacementDayStatsFactory(
        tenant=current_tenant(),
        placement=placement,
        day=DAY - datetime.timedelta(days=days_ago),
        valid_clicks=valid,
        clicks=valid,
        registrations=conversions,
        orders=0,
    )
    return placement.site


def test_step_over_the_30_day_window(scoped):
    good = _site_with(60, 6)
    _site_with(60, 0, days_ago=29, site=good)  # still in the window: 120 valid, ratio 0.05
    poor = _site_with(100, 1)  # ratio 0.01
    old = _site_with(500, 50, days_ago=30)  # outside the window: not ranked
    quiet = SiteFactory(tenant=current_tenant())
    result = site_weights_compute(day=DAY)
    assert result == {"sites_ranked": 2, "sites_weighted": 4}
    weights = dict(Site.objects.values_list("pk", "weight"))
    assert weights == {good.pk: 10, poor.pk: 1, old.pk: 5, quiet.pk: 5}
    assert set(Site.objects.values_list("weight_updated_on", flat=True)) == {DAY}
    site_weights_compute(day=DAY)  # idempotent
    assert dict(Site.objects.values_list("pk", "weight")) == weights


def test_weights_are_per_tenant(tenant, other_tenant):
    with tenant_scope(other_tenant):
        theirs = _site_with(1000, 1)
        _site_with(1000, 900)
    with tenant_scope(tenant):
        mine = _site_with(1000, 1)
        site_weights_compute(day=DAY)
        assert Site.objects.get(pk=mine.pk).weight == 1
    with tenant_scope(other_tenant):
        assert Site.objects.get(pk=theirs.pk).weight_updated_on is None
