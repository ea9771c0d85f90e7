"""The campaigns demo step: products and a mix of active plans, idempotent."""

import pytest

from apps.campaigns.models import Campaign, Product
from apps.demo.steps import campaigns as step
from tests.campaigns.factories import MerchantFactory

pytestmark = pytest.mark.django_db


def _run(tenant):
    step.seed(tenant=tenant, days=30, result=None, log=lambda message: None)


def test_seeds_products_and_one_active_plan_of_each_type_twice_the_same(scoped):
    MerchantFactory(tenant=scoped, code="ONE")
    MerchantFactory(tenant=scoped, code="TWO")
    _run(scoped)
    counts = (Product.objects.count(), Campaign.objects.count())
    assert counts == (12, 8)
    assert sorted(Campaign.objects.filter(status="active").values_list("type", flat=True)) == [
        "cpc", "cpc", "cpm", "cpm", "cps", "cps", "full_site", "full_site",
    ]  # fmt: skip
    _run(scoped)
    assert (Product.objects.count(), Campaign.objects.count()) == counts


def test_creates_its_own_merchants_when_onboarding_made_none(scoped):
    _run(scoped)
    assert Campaign.objects.filter(status="active").count() == 8
    assert Product.objects.filter(sku="DEMO-SHOP-001").exists()


def test_a_tagged_product_is_left_free_for_a_new_full_site_plan(scoped):
    from decimal import Decimal

    from apps.campaigns.selectors.eligibility import full_site_candidates
    from apps.campaigns.services.products import roi_tiers
    from apps.demo.steps import free_product

    merchant = MerchantFactory(tenant=scoped, code="ONE")
    _run(scoped)
    for _ in range(2):  # idempotent
        free_product.seed(tenant=scoped, days=30, result=None, log=lambda message: None)
    free = [c.product for c in full_site_candidates(merchant=merchant) if c.can_join]
    assert [(p.sku, p.is_tagged, roi_tiers(p)) for p in free if p.is_tagged] == [
        ("ONE-TEA", True, [Decimal("2.4"), Decimal("3.0"), Decimal("3.6")])
    ]
    assert Product.objects.filter(sku="ONE-TEA").count() == 1
