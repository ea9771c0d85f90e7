"""Before starting a full-site plan, a merchant sees in real Chromium what each recommended
tier would buy a day (spend, clicks, orders, GMV, ROI, chance of the target), estimates a value
of its own, then starts the plan at the recommended tier (issue 18)."""

import datetime
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress

from apps.campaigns.models import Campaign
from apps.campaigns.services.products import ProductTaggingStats, product_tagging_apply
from apps.tenants.clock import tenant_today
from tests.campaigns.factories import (
    CampaignFactory,
    MerchantFactory,
    MerchantUserFactory,
    ProductFactory,
)
from tests.growth.factories import roll_ups
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-Battery-42"


def test_merchant_sees_the_forecast_of_each_tier_before_starting(
    tenant, browser_page, tenant_live_url, shot
):
    base = tenant_live_url(tenant)
    merchant = MerchantFactory(tenant=tenant, code="SHOP", name="Shop Ltd")
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="KETTLE", title="Kettle")
    old_plan = CampaignFactory(tenant=tenant, merchant=merchant, type="full_site", bid=None,
                               target_roi=Decimal("4"), status="ended")  # fmt: skip
    yesterday = tenant_today() - datetime.timedelta(days=1)
    # 30 days at 100 clicks, 2 orders, GMV 200.00 and spend 50.00 a day: ROI 4
    roll_ups(campaign=old_plan, product=product, last=yesterday, orders=[2] * 30,
             clicks_per_order=50)  # fmt: skip
    product_tagging_apply(
        day=yesterday,
        stats={product.pk: ProductTaggingStats(60, 3000, Decimal("6000"), Decimal("1500"))},
        median_conversion_rate=Decimal("0.01"),
    )
    user = UserFactory(email="buyer@shop.example")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    MerchantUserFactory(tenant=tenant, merchant=merchant, user=user)

    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto(base + "/merchant/full-site/")
    page.check(f"#product-{product.pk}")
    page.get_by_role("button", name="Next: budget and dates").click()
    page.fill("input[name=name]", "Kettle push")
    page.fill("input[name=daily_budget]", "40.00")
    page.get_by_role("button", name="Next: target ROI").click()

    # the ROI step: one forecast row per tier, from the product's own 30 days
    table = page.locator("#forecast-table")
    rows = table.locator("tbody tr")
    assert rows.count() == 3
    assert [rows.nth(i).locator("td").first.inner_text() for i in range(3)] == [
        "Low", "Recommended", "High",
    ]  # fmt: skip
    assert "last 30 days" in page.locator("#forecast-basis").inner_text()
    recommended = rows.nth(1).locator("td")
    # a 40.00 budget caps the 50.00 the history spent: 80 clicks, 1.6 orders, GMV 160.00
    assert [recommended.nth(i).inner_text() for i in range(1, 7)] == [
        "4.0", "40.00 whole budget", "80.0", "1.6", "160.00", "4.00",
    ]  # fmt: skip
    shot(page, "01-forecast-per-tier")

    # another value, estimated on the same page
    page.fill("#estimate", "5")
    page.get_by_role("button", name="Estimate").click()
    page.wait_for_load_state()
    assert page.locator("#forecast-estimate td").nth(1).inner_text() == "5.00"
    shot(page, "02-own-value-estimated")

    page.check("input[name=tier][value='4.0']")
    page.get_by_role("button", name="Start the plan").click()
    page.wait_for_load_state()
    assert "At a recommended tier: eligible for cost compensation" in page.content()
    shot(page, "03-plan-started")
    campaign = Campaign.objects.get(name="Kettle push")
    assert (campaign.target_roi, campaign.target_roi_was_tier) == (Decimal("4.00"), True)
    assert errors == []
