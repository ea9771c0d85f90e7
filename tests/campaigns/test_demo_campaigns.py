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
