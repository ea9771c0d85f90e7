"""The merchant portal shows the forecast before a plan starts: one row per recommended tier in
the full-site setup's ROI step, an estimate of any other value, and what it is based on."""

import datetime
import re
from decimal import Decimal

import pytest

from apps.campaigns.models import Campaign
from apps.campaigns.services.phases import campaign_phases_set
from apps.campaigns.services.products import ProductTaggingStats, product_tagging_apply
from apps.growth.lifecycle import lifecycle_step
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import (
    CampaignFactory,
    MerchantFactory,
    MerchantUserFactory,
    ProductFactory,
)
from tests.conftest import client_for
from tests.growth.factories import roll_ups

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 3, 0, tzinfo=datetime.UTC)
YESTERDAY = datetime.date(2026, 3, 31)


@pytest.fixture
def shop(tenant, time_machine):
    time_machine.move_to(NOW, tick=False)
    merchant = MerchantFactory(tenant=tenant, code="SHOP")
    link = MerchantUserFactory(tenant=tenant, merchant=merchant)
    return merchant, client_for(tenant, link.user)


def _to_roi_step(portal, product, budget="200.00"):
    portal.post("/merchant/full-site/", {"product": product.pk})
    portal.post(
        "/merchant/full-site/budget/",
        {"name": "Push", "daily_budget": budget, "starts_at": "2026-04-01T12:00",
         "min_site_weight": "1"},
    )  # fmt: skip


def _rows(page):
    return re.findall(r'<tr data-target="([\d.]+)"', page)


def test_each_tier_shows_its_forecast_and_another_value_can_be_estimated(shop, tenant):
    merchant, portal = shop
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="KETTLE")
    campaign = CampaignFactory(tenant=tenant, merchant=merchant, type="full_site", bid=None,
                               target_roi=Decimal("4"))  # fmt: skip
    with tenant_scope(tenant):
        roll_ups(campaign=campaign, product=product, last=YESTERDAY, orders=[2] * 30,
                 clicks_per_order=50)  # fmt: skip
        product_tagging_apply(
            day=YESTERDAY,
            stats={product.pk: ProductTaggingStats(60, 3000, Decimal("6000"), Decimal("1500"))},
            median_conversion_rate=Decimal("0.01"),
        )
        # the history's plan has ended: step 1 offers only a product in no active plan
        Campaign.objects.filter(pk=campaign.pk).update(status="ended")
    _to_roi_step(portal, product)
    page = portal.get("/merchant/full-site/roi/").content.decode()
    assert _rows(page) == ["3.2", "4.0", "4.8"]
    assert "Estimated from KETTLE's last 30 days of results" in page
    # the recommended tier is the product's own history: 100 clicks, 2 orders, 50.00 a day
    middle = page.split('<tr data-target="4.0">')[1].split("</tr>")[0]
    assert re.findall(r'<td class="num[^"]*">([^<]+)', middle) == [
        "4.0", "50.00", "100.0", "2.0", "200.00", "4.00", "50%",
    ]  # fmt: skip

    page = portal.get("/merchant/full-site/roi/", {"estimate": "4.2"}).content.decode()
    assert _rows(page) == ["3.2", "4.0", "4.8", "4.20"]
    assert 'id="forecast-estimate"' in page


def test_a_product_with_no_history_anywhere_says_it_cannot_be_estimated(shop, tenant):
    merchant, portal = shop
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="NEW")
    _to_roi_step(portal, product)
    page = portal.get("/merchant/full-site/roi/", {"estimate": "3"}).content.decode()
    assert "Too little history to estimate" in page
    estimate = page.split('id="forecast-estimate">')[1].split("</tr>")[0]
    assert "0.00" in estimate
    assert "0%" in estimate
    # a bad value is refused with a message, the page still answers
    response = portal.get("/merchant/full-site/roi/", {"estimate": "lots"})
    assert response.status_code == 200
    assert "Enter a target ROI above 0" in response.content.decode()


def test_products_and_campaigns_show_each_products_stage_and_what_it_means(shop, tenant):
    merchant, portal = shop
    ProductFactory(tenant=tenant, merchant=merchant, sku="NEW")
    rising = ProductFactory(tenant=tenant, merchant=merchant, sku="RISING")
    campaign = CampaignFactory(tenant=tenant, merchant=merchant, type="cpc", bid=Decimal("0.5"))
    with tenant_scope(tenant):
        roll_ups(campaign=campaign, product=rising, last=YESTERDAY, orders=[2] * 23 + [3] * 7)
        lifecycle_step(day=YESTERDAY)

    page = portal.get("/merchant/products/").content.decode()
    assert 'mc-stage-cold_start" title="Little or no history yet: the product is not tagged' in page
    assert '<span class="badge mc-stage mc-stage-growth"' in page
    assert "What each stage means for your plans" in page
    for label in ("Cold start", "Growth", "Burst", "Steady", "Decline"):
        assert f">{label}</span>" in page

    page = portal.get(f"/merchant/campaigns/{campaign.pk}/").content.decode()
    row = page.split('data-sku="RISING"')[1].split("</li>")[0]
    assert ">Growth</span>" in row
    assert "raise the daily budget step by step" in row
    assert 'data-sku="NEW"' not in page  # not in this plan


def test_a_plans_phases_are_set_on_its_page_and_judged_each_on_its_days(shop, tenant):
    merchant, portal = shop  # today is 1 April 2026 in Shanghai
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="KETTLE")
    plan = CampaignFactory(
        tenant=tenant, merchant=merchant, type="full_site", bid=None, target_roi=Decimal("4"),
        starts_at=datetime.datetime(2026, 3, 1, tzinfo=datetime.UTC),
    )  # fmt: skip
    with tenant_scope(tenant):
        campaign_phases_set(
            campaign=plan,
            phases=[{"kind": "pre_heat", "first_day": "2026-03-25", "last_day": "2026-03-31",
                     "daily_budget": "100", "target_roi": "5"}],
            today=datetime.date(2026, 3, 20),
        )  # fmt: skip
        roll_ups(
            campaign=plan, product=product, last=YESTERDAY, orders=[1] * 5, roi=Decimal("4")
        )  # fmt: skip  (27-31 March: GMV 500, spend 125)

    response = portal.post(
        f"/merchant/campaigns/{plan.pk}/phases",
        {"kind_0": "pre_heat", "first_day_0": "2026-03-25", "last_day_0": "2026-03-31",
         "daily_budget_0": "100.00", "target_roi_0": "5.00",
         "kind_1": "burst", "first_day_1": "2026-04-02", "last_day_1": "2026-04-04",
         "daily_budget_1": "800", "target_roi_1": "3"},
    )  # fmt: skip
    assert response.status_code == 302
    page = portal.get(f"/merchant/campaigns/{plan.pk}/").content.decode()
    pre_heat = page.split('<tr data-kind="pre_heat" data-state="over">')[1].split("</tr>")[0]
    # 500.00 of GMV on 125.00 of spend is a ROI of 4.00: 80% of the phase's target of 5
    for figure in ("100.00 CNY", "5.00", "125.00 CNY", "500.00 CNY", "4.00", "80%", "2026-03-27"):
        assert f">{figure}<" in pre_heat
    assert '<tr data-kind="burst" data-state="upcoming">' in page

    # a phase that has run cannot be rewritten: refused with a message, nothing changes
    response = portal.post(
        f"/merchant/campaigns/{plan.pk}/phases",
        {"kind_0": "pre_heat", "first_day_0": "2026-03-25", "last_day_0": "2026-03-31",
         "daily_budget_0": "999", "target_roi_0": "5"},
        follow=True,
    )  # fmt: skip
    assert "has run" in response.content.decode()
    with tenant_scope(tenant):
        assert plan.phases.count() == 2
