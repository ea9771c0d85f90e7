"""On the demo as a new merchant finds it, in real Chromium (issue 15): step 1 of the full-site
setup offers the demo's free tagged product and says why the others cannot join (the coffee is
in the active full-site plan, named); the merchant starts a plan on it at the recommended tier."""

import re
from decimal import Decimal

import pytest

from apps.campaigns.models import Campaign, CampaignType
from apps.demo.services import DEMO_PASSWORD, demo_seed
from apps.tenants.scope import tenant_scope

pytestmark = pytest.mark.django_db(transaction=True)


def test_merchant_starts_a_full_site_plan_on_the_demos_free_tagged_product(
    browser_page, tenant_live_url, shot
):
    tenant = demo_seed(days=3, log=lambda _: None).tenant
    base = tenant_live_url(tenant)
    page = browser_page
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "merchant@demo.localhost")
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()

    # step 1: the free tagged product is offered, with its tiers; the coffee says why not
    page.goto(base + "/merchant/full-site/")
    free = page.locator("#free-products tr[data-sku='ACME-TEA']")
    assert free.count() == 1
    assert "2.4 · 3.0 · 3.6" in free.inner_text()
    coffee = page.locator("#held-products tr[data-sku='ACME-006']")
    assert re.search(r"is in the active full-site plan “Full-site: coffee” \(#\d+\)",
                     coffee.inner_text())  # fmt: skip
    assert coffee.locator("input[type=radio]").count() == 0
    shot(page, "01-step-one-free-and-held")
    free.locator("input[type=radio]").check()
    page.get_by_role("button", name="Next: budget and dates").click()

    # step 2: budget
    page.fill("input[name=name]", "Tea push")
    page.fill("input[name=daily_budget]", "150.00")
    shot(page, "02-budget")
    page.get_by_role("button", name="Next: target ROI").click()

    # step 3: the recommended (middle) tier is preselected
    assert page.locator("input[name=tier][value='3.0']").is_checked()
    assert not page.locator("#not-tier-warning").is_visible()
    shot(page, "03-recommended-tier")
    page.get_by_role("button", name="Start the plan").click()
    page.wait_for_url(re.compile(r".*/merchant/campaigns/\d+/$"))
    assert "At a recommended tier: eligible for cost compensation" in page.content()
    shot(page, "04-plan-started")
    with tenant_scope(tenant):
        plan = Campaign.objects.get(name="Tea push")
        assert (plan.type, plan.status, plan.target_roi, plan.target_roi_was_tier) == (
            CampaignType.FULL_SITE,
            "active",
            Decimal("3.00"),
            True,
        )
        assert [p.sku for p in plan.products.all()] == ["ACME-TEA"]
    assert errors == []
