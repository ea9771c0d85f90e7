"""A merchant sets up a full-site promotion in three steps in real Chromium: a tagged product,
a budget, then one of the three recommended ROI tiers (a free value is flagged as not eligible
for compensation by merchant.js); the plan page then shows its performance chart."""

import datetime
from decimal import Decimal

import pytest
from allauth.account.models import EmailAddress

from apps.campaigns.models import Campaign
from apps.campaigns.services.products import ProductTaggingStats, product_tagging_apply
from tests.campaigns.factories import MerchantFactory, MerchantUserFactory, ProductFactory
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-Battery-42"


def test_merchant_starts_a_full_site_plan_at_a_recommended_tier(
    tenant, browser_page, tenant_live_url, shot
):
    base = tenant_live_url(tenant)
    merchant = MerchantFactory(tenant=tenant, code="SHOP", name="Shop Ltd")
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="KETTLE", title="Kettle")
    ProductFactory(tenant=tenant, merchant=merchant, sku="TOASTER", title="Toaster")
    product_tagging_apply(
        day=datetime.date(2026, 3, 1),
        stats={product.pk: ProductTaggingStats(20, 400, Decimal("5000"), Decimal("1600"))},
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
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None
        ),
    )
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    page.goto(base + "/merchant/dashboard/")
    shot(page, "01-dashboard")

    # step 1: the product
    page.get_by_role("link", name="Full-site promotion").first.click()
    page.check(f"#product-{product.pk}")
    shot(page, "02-product")
    page.get_by_role("button", name="Next: budget and dates").click()
    # step 2: budget and dates
    page.fill("input[name=name]", "Kettle push")
    page.fill("input[name=daily_budget]", "200.00")
    shot(page, "03-budget")
    page.get_by_role("button", name="Next: target ROI").click()
    # step 3: the tiers; the middle one is preselected and the warning hidden
    warning = page.locator("#not-tier-warning")
    assert page.locator("input[name=tier]").count() == 4
    assert page.locator("input[name=tier][value='3.1']").is_checked()
    assert not warning.is_visible()
    page.fill("#custom_roi", "4.2")
    assert page.locator("#tier-custom").is_checked()
    assert warning.is_visible()
    assert warning.inner_text() == "Not a recommended tier: not eligible for compensation."
    shot(page, "04-free-value-flagged")
    page.fill("#custom_roi", "3.8")  # typing a tier's value is that tier
    assert not warning.is_visible()
    page.fill("#custom_roi", "")
    page.check("input[name=tier][value='3.1']")
    assert not warning.is_visible()
    shot(page, "05-tier-chosen")
    page.get_by_role("button", name="Start the plan").click()
    page.wait_for_load_state()

    # then the plan runs at a tier and its page draws the chart
    assert "At a recommended tier: eligible for cost compensation" in page.content()
    assert page.locator("svg.chart rect.mc-bar").count() == 30
    shot(page, "06-plan")
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.target_roi, campaign.target_roi_was_tier) == (
        "active",
        Decimal("3.10"),
        True,
    )
    assert errors == []
