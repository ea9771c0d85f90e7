"""The nightly tagging in one SQL statement (issue 19) gives every product the same facts and
tag, digit for digit, as the per-product Python rules (``product_tagging_apply`` over
``product_tagging_stats`` and ``median_conversion_rate``)."""

import datetime
import random
from decimal import Decimal

import pytest

from apps.campaigns.models import Product
from apps.campaigns.services.products import product_tagging_apply, product_tagging_refresh
from apps.tenants.scope import tenant_scope
from apps.tracking.performance import (
    median_conversion_rate,
    product_tagging_stats,
    product_tagging_stats_query,
)
from tests.campaigns.factories import CampaignFactory, MerchantFactory, ProductFactory
from tests.tracking.factories import CampaignDayStatsFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 30)
FACTS = ["is_tagged", "orders_30d", "conversion_rate_30d", "roi_30d", "tagging_refreshed_on"]


def _facts():
    return {row["pk"]: row for row in Product.objects.values("pk", *FACTS)}


def _catalogue(tenant, seed, products):
    """Products with awkward figures: rates that round at the 7th place, ROIs at the 3rd, no
    spend, no clicks, a product without any roll-up, and an even or odd number of rates."""
    rng = random.Random(seed)
    merchant = MerchantFactory(tenant=tenant)
    campaign = CampaignFactory(tenant=tenant, merchant=merchant)
    for n in range(products):
        product = ProductFactory(tenant=tenant, merchant=merchant)
        if n % 7 == 6:
            continue  # no activity at all
        for back in rng.sample(range(32), 3):  # some days fall outside the 30-day window
            valid = rng.choice([0, 3, 7, 1_000_003, rng.randint(1, 5000)])
            CampaignDayStatsFactory(
                tenant=tenant,
                campaign=campaign,
                product=product,
                day=DAY - datetime.timedelta(days=back),
                orders=rng.randint(0, 40),
                valid_clicks=valid,
                gmv=Decimal(rng.randint(0, 900_000)) / 100,
                spend=rng.choice([Decimal("0.00"), Decimal(rng.randint(1, 300_000)) / 100]),
            )


@pytest.mark.parametrize(("seed", "products"), [(1, 40), (2, 41), (3, 5)])
def test_sql_tagging_equals_the_python_rules(tenant, seed, products):
    # given a catalogue and its roll-ups
    _catalogue(tenant, seed, products)
    # when the Python rules run, and then the one statement
    stats = product_tagging_stats(day=DAY)
    python_counts = product_tagging_apply(
        day=DAY, stats=stats, median_conversion_rate=median_conversion_rate(stats.values())
    )
    python_facts = _facts()
    Product.objects.update(is_tagged=False, orders_30d=0, conversion_rate_30d=None, roi_30d=None)
    sql_counts = product_tagging_refresh(day=DAY, stats=product_tagging_stats_query(day=DAY))
    # then every product has the same facts, and the counts agree
    assert _facts() == python_facts
    assert sql_counts == python_counts
    assert python_counts["products"] == products
    assert 0 < python_counts["tagged"] < products


def test_sql_tagging_twice_is_the_same_and_leaves_other_tenants_alone(tenant, other_tenant):
    _catalogue(tenant, 4, 12)
    _catalogue(other_tenant, 5, 6)
    with tenant_scope(other_tenant):
        theirs = _facts()
    first = product_tagging_refresh(day=DAY, stats=product_tagging_stats_query(day=DAY))
    facts = _facts()
    second = product_tagging_refresh(day=DAY, stats=product_tagging_stats_query(day=DAY))
    assert (second, _facts()) == (first, facts)
    assert first["products"] == 12
    with tenant_scope(other_tenant):
        assert _facts() == theirs
