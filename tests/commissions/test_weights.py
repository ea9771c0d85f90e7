"""Nightly site weights (issue 21): an absolute scale around the tenant's median proven site,
cautious for little data; unknown sites (< 100 valid clicks in 30 days) are neutral (5)."""

import datetime
import math
from fractions import Fraction

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from apps.commissions.services.weights import (
    MIN_VALID_CLICKS,
    NEUTRAL_WEIGHT,
    site_weights_compute,
    weights_for,
)
from apps.sites.models import Site
from apps.tenants.live import _listeners, register_live_state_listener
from apps.tenants.scope import current_tenant, tenant_scope
from tests.sites.factories import PlacementFactory, SiteFactory
from tests.tracking.factories import PlacementDayStatsFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 31)
proven = st.tuples(st.integers(MIN_VALID_CLICKS, 100_000), st.integers(0, 5_000)).filter(
    lambda v: v[1] <= v[0]
)


def test_worked_scale_around_the_median():
    # rates 0.01, 0.03 (the median), 0.09; site 4 is unknown (99 clicks)
    stats = {1: (1000, 10), 2: (1000, 30), 3: (1000, 90), 4: (99, 99)}
    # cautious: 1 -> 13/1100 (score 0.39 -> 1); 2 -> the median (5); 3 -> 93/1100 (2.8 -> 10)
    assert weights_for(stats) == {1: 1, 2: 5, 3: 10}


def test_no_data_gives_nothing_to_weigh():
    assert weights_for({}) == {}
    assert weights_for({1: (50, 5)}) == {}


@given(site=proven)
def test_a_lone_site_is_neutral(site):
    assert weights_for({1: site}) == {1: NEUTRAL_WEIGHT}


@given(site=proven, n=st.integers(2, 6))
def test_sites_all_tied_are_neutral(site, n):
    valid, conversions = site
    stats = {i: (valid * (i + 1), conversions * (i + 1)) for i in range(n)}  # same rate
    assert set(weights_for(stats).values()) == {NEUTRAL_WEIGHT}


@given(others=st.lists(proven, min_size=1, max_size=6))
def test_a_proven_site_above_the_reference_outranks_every_unknown_one(others):
    stats = dict(enumerate(others))
    best = max(Fraction(c, v) for v, c in others)
    assume(best < Fraction(999, 1000))
    valid = 1_000_000
    stats[99] = (valid, math.floor(best * valid) + 1)  # converts better than any other
    stats[100] = (MIN_VALID_CLICKS - 1, 0)  # unknown
    weights = weights_for(stats)
    assert weights[99] > NEUTRAL_WEIGHT
    assert 100 not in weights  # unknown: the step gives it NEUTRAL_WEIGHT


@given(others=st.lists(proven, min_size=1, max_size=6), valid=st.integers(100, 5000))
def test_weights_stay_within_1_to_10(others, valid):
    stats = dict(enumerate(others))
    low = weights_for({**stats, 99: (valid, 0)})[99]
    high = weights_for({**stats, 99: (valid, valid // 10)})[99]
    assert 1 <= low <= 10
    assert 1 <= high <= 10


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
    # median 0.03; good 9/220 (score 1.36) -> 7; poor 4/200 (0.67) -> 3
    assert weights == {good.pk: 7, poor.pk: 3, old.pk: 5, quiet.pk: 5}
    assert set(Site.objects.values_list("weight_updated_on", flat=True)) == {DAY}
    site_weights_compute(day=DAY)  # idempotent
    assert dict(Site.objects.values_list("pk", "weight")) == weights


def test_weights_are_per_tenant(tenant, other_tenant):
    with tenant_scope(other_tenant):
        theirs = _site_with(1000, 1)
        _site_with(1000, 900)
    mine = _site_with(1000, 1)
    site_weights_compute(day=DAY)
    assert Site.objects.get(pk=mine.pk).weight == NEUTRAL_WEIGHT  # a lone site
    with tenant_scope(other_tenant):
        assert Site.objects.get(pk=theirs.pk).weight_updated_on is None


def test_the_serving_snapshot_is_told_when_weights_move(scoped, django_capture_on_commit_callbacks):
    seen: list[int] = []
    register_live_state_listener(seen.append)
    try:
        _site_with(1000, 10)
        _site_with(1000, 90)
        with django_capture_on_commit_callbacks(execute=True):
            site_weights_compute(day=DAY)
    finally:
        _listeners.remove(seen.append)
    assert seen == [scoped.pk]
