"""The merchant portal: products, campaigns, the three-step full-site setup, performance."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages

from apps.campaigns.models import Campaign, MerchantDomain
from apps.campaigns.services.products import ProductTaggingStats, product_tagging_apply
from apps.tenants.clock import tenant_today
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignProductFactory,
    MerchantFactory,
    MerchantUserFactory,
    ProductFactory,
)
from tests.conftest import client_for
from tests.tenants.factories import UserFactory
from tests.tracking.factories import (
    CampaignDayStatsFactory,
    ProvisionalCampaignDayFactory,
    ProvisionalRunFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(tenant):
    return MerchantFactory(tenant=tenant, code="SHOP", name="Shop Ltd")


@pytest.fixture
def portal(tenant, merchant):
    link = MerchantUserFactory(tenant=tenant, merchant=merchant)
    return client_for(tenant, link.user)


def _product(merchant, sku, **kwargs):
    return ProductFactory(tenant=merchant.tenant, merchant=merchant, sku=sku, **kwargs)


def _tag(tenant, product):
    """ROI 3.125 -> tiers 2.5 / 3.1 / 3.8."""
    with tenant_scope(tenant):
        product_tagging_apply(
            day=datetime.date(2026, 3, 1),
            stats={product.pk: ProductTaggingStats(20, 400, Decimal("5000"), Decimal("1600"))},
            median_conversion_rate=Decimal("0.01"),
        )


def _messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def _campaigns(tenant):
    with tenant_scope(tenant):
        return list(Campaign.objects.order_by("pk"))


def test_dashboard_shows_the_merchant_and_its_nav(portal, merchant):
    response = portal.get("/merchant/dashboard/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "Shop Ltd" in content
    for url in ("/merchant/products/", "/merchant/campaigns/", "/merchant/full-site/"):
        assert f'href="{url}"' in content
    assert "<script" not in content.split("</head>")[1]  # no inline script in the body
    assert 'src="/static/js/merchant.js"' in content


def test_portal_needs_a_merchant_user_of_this_tenant(tenant, other_tenant):
    stranger = client_for(tenant, UserFactory())
    assert stranger.get("/merchant/dashboard/").status_code == 302
    outsider = MerchantUserFactory(tenant=other_tenant)
    response = client_for(tenant, outsider.user).get("/merchant/campaigns/")
    assert response.status_code == 302
    assert client_for(tenant).get("/merchant/dashboard/")["Location"].startswith("/accounts/")


def test_products_lists_own_products_with_tiers(portal, tenant, merchant):
    tagged = _product(merchant, "KETTLE")
    _tag(tenant, tagged)
    ProductFactory(tenant=tenant, sku="NEIGHBOUR")
    content = portal.get("/merchant/products/").content.decode()
    assert "KETTLE" in content
    assert "2.5 · 3.1 · 3.8" in content
    assert "NEIGHBOUR" not in content


def _new_plan(portal, product, **overrides):
    data = {
        "name": "Clicks",
        "type": "cpc",
        "products": [product.pk],
        "bid": "0.50",
        "daily_budget": "100.00",
        "starts_at": "2026-01-01T00:00",
        "min_site_weight": "1",
        "activate": "on",
    }
    data.update(overrides)
    return portal.post("/merchant/campaigns/new/", data, follow=True)


def test_create_a_cpc_plan(portal, tenant, merchant):
    product = _product(merchant, "KETTLE")
    response = _new_plan(portal, product)
    [campaign] = _campaigns(tenant)
    assert (campaign.type, campaign.status, campaign.bid) == ("cpc", "active", Decimal("0.5000"))
    assert response.redirect_chain[-1][0] == f"/merchant/campaigns/{campaign.pk}/"


def test_quota_refusal_is_shown_and_creates_nothing(portal, tenant, merchant):
    merchant.plan_quota = 1
    merchant.save(update_fields=["plan_quota"])
    product = _product(merchant, "KETTLE")
    _new_plan(portal, product)
    response = _new_plan(portal, product, name="Second")
    assert response.status_code == 200
    errors = [text for level, text in _messages(response) if level == "error"]
    assert len(errors) == 1
    assert "quota of 1" in errors[0]
    assert len(_campaigns(tenant)) == 1


def test_a_neighbours_product_is_not_a_choice(portal, tenant, merchant):
    theirs = ProductFactory(tenant=tenant, sku="NEIGHBOUR")
    response = _new_plan(portal, theirs)
    assert "products" in response.context["form"].errors
    assert _campaigns(tenant) == []


def _wizard(portal, product, roi_post):
    assert portal.post("/merchant/full-site/", {"product": product.pk}).status_code == 302
    response = portal.post(
        "/merchant/full-site/budget/",
        {
            "name": "Kettle push",
            "daily_budget": "200.00",
            "starts_at": "2026-01-01T00:00",
            "ends_at": "",
            "min_site_weight": "3",
        },
    )
    assert response["Location"] == "/merchant/full-site/roi/"
    return portal.post("/merchant/full-site/roi/", roi_post, follow=True)


def test_full_site_setup_offers_three_tiers_for_a_tagged_product(portal, tenant, merchant):
    product = _product(merchant, "KETTLE")
    _tag(tenant, product)
    portal.post("/merchant/full-site/", {"product": product.pk})
    portal.post(
        "/merchant/full-site/budget/",
        {"name": "Push", "daily_budget": "200.00", "starts_at": "2026-01-01T00:00",
         "min_site_weight": "1"},
    )  # fmt: skip
    page = portal.get("/merchant/full-site/roi/").content.decode()
    for tier in ("2.5", "3.1", "3.8"):
        assert f'name="tier" value="{tier}"' in page
    assert "Not a recommended tier: not eligible for compensation" in page
    # choosing the middle tier starts an active plan that claims may rely on
    response = portal.post("/merchant/full-site/roi/", {"tier": "3.1"}, follow=True)
    [campaign] = _campaigns(tenant)
    assert (campaign.type, campaign.status, campaign.target_roi) == (
        "full_site",
        "active",
        Decimal("3.10"),
    )
    assert (campaign.product_was_tagged, campaign.target_roi_was_tier) == (True, True)
    assert campaign.roi_tiers_at_start == ["2.5", "3.1", "3.8"]
    assert campaign.daily_budget == Decimal("200.00")
    assert any("eligible for cost compensation" in text for _, text in _messages(response))


def test_full_site_setup_allows_a_free_value_marked_not_eligible(portal, tenant, merchant):
    product = _product(merchant, "KETTLE")
    _tag(tenant, product)
    response = _wizard(portal, product, {"tier": "custom", "custom_roi": "4.2"})
    [campaign] = _campaigns(tenant)
    assert (campaign.target_roi, campaign.target_roi_was_tier) == (Decimal("4.20"), False)
    assert campaign.min_site_weight == 3
    assert any("not eligible for compensation" in text for _, text in _messages(response))


def test_full_site_setup_for_an_untagged_product_asks_a_value(portal, tenant, merchant):
    product = _product(merchant, "PLAIN")
    portal.post("/merchant/full-site/", {"product": product.pk})
    portal.post(
        "/merchant/full-site/budget/",
        {"name": "Push", "daily_budget": "50.00", "starts_at": "2026-01-01T00:00",
         "min_site_weight": "1"},
    )  # fmt: skip
    page = portal.get("/merchant/full-site/roi/").content.decode()
    assert 'name="tier" value="custom"' in page
    assert "is not tagged" in page
    portal.post("/merchant/full-site/roi/", {"tier": "custom", "custom_roi": "2"})
    [campaign] = _campaigns(tenant)
    assert (campaign.product_was_tagged, campaign.target_roi_was_tier) == (False, False)


def test_step_one_lists_which_products_can_join_and_why_the_others_cannot(portal, tenant, merchant):
    # given a tagged free product, one in another active plan, an inactive one and one whose
    # URL is on a domain the merchant has not verified
    free = _product(merchant, "KETTLE")
    _tag(tenant, free)
    held = _product(merchant, "TOASTER")
    other = CampaignFactory(tenant=tenant, merchant=merchant, name="Shelf")
    CampaignProductFactory(tenant=tenant, campaign=other, product=held)
    _product(merchant, "OLD", is_active=False)
    _product(merchant, "FAR", url="https://far.example.net/p/FAR", verified_domain=False)
    # when the merchant opens step 1
    response = portal.get("/merchant/full-site/")
    # then only the free product is offered, and each other one says why, naming the plan
    free_rows = [c.product.sku for c in response.context["free"]]
    held_rows = {c.product.sku: [r.code for r in c.refusals] for c in response.context["held"]}
    assert free_rows == ["KETTLE"]
    assert held_rows == {
        "FAR": ["product_off_verified_domain"],
        "OLD": ["product_inactive"],
        "TOASTER": ["full_site_product_in_other_plan"],
    }
    page = response.content.decode()
    assert f"Product TOASTER is in the active plan “Shelf” (#{other.pk})" in page
    assert f'href="/merchant/campaigns/{other.pk}/"' in page
    assert "2.5 · 3.1 · 3.8" in page
    assert "100.00 CNY" in page


def test_step_one_refuses_a_held_product_with_the_last_steps_words(portal, tenant, merchant):
    product = _product(merchant, "KETTLE")
    other = CampaignFactory(tenant=tenant, merchant=merchant, name="Shelf")
    CampaignProductFactory(tenant=tenant, campaign=other, product=product)
    response = portal.post("/merchant/full-site/", {"product": product.pk}, follow=True)
    errors = [text for level, text in _messages(response) if level == "error"]
    assert errors == [
        f"Product KETTLE is in the active plan “Shelf” (#{other.pk}); a full-site plan needs a "
        "product that is in no other active plan."
    ]
    assert portal.get("/merchant/full-site/budget/")["Location"] == "/merchant/full-site/"


def test_full_site_setup_refuses_a_product_taken_after_step_one(portal, tenant, merchant):
    # given a product free at step 1 that another plan takes before the last step
    product = _product(merchant, "KETTLE")
    portal.post("/merchant/full-site/", {"product": product.pk})
    other = CampaignFactory(tenant=tenant, merchant=merchant, name="Shelf")
    CampaignProductFactory(tenant=tenant, campaign=other, product=product)
    portal.post(
        "/merchant/full-site/budget/",
        {"name": "Push", "daily_budget": "50.00", "starts_at": "2026-01-01T00:00",
         "min_site_weight": "1"},
    )  # fmt: skip
    response = portal.post(
        "/merchant/full-site/roi/", {"tier": "custom", "custom_roi": "3"}, follow=True
    )
    errors = [text for level, text in _messages(response) if level == "error"]
    assert errors == [
        f"Product KETTLE is in the active plan “Shelf” (#{other.pk}); a full-site plan needs a "
        "product that is in no other active plan."
    ]
    assert len(_campaigns(tenant)) == 1
    assert response.request["PATH_INFO"] == "/merchant/full-site/roi/"


def test_step_one_says_when_the_quota_is_used_up(portal, tenant, merchant):
    merchant.plan_quota = 1
    merchant.save(update_fields=["plan_quota"])
    CampaignFactory(tenant=tenant, merchant=merchant)
    product = _product(merchant, "KETTLE")
    page = portal.get("/merchant/full-site/").content.decode()
    assert "already runs 1 active plans, its quota of 1" in page
    response = portal.post("/merchant/full-site/", {"product": product.pk}, follow=True)
    assert [level for level, _ in _messages(response)] == ["error"]


def test_full_site_steps_cannot_be_skipped(portal):
    assert portal.get("/merchant/full-site/roi/")["Location"] == "/merchant/full-site/"
    assert portal.get("/merchant/full-site/budget/")["Location"] == "/merchant/full-site/"


def test_campaign_page_shows_performance_and_a_chart(portal, tenant, merchant):
    campaign = CampaignFactory(
        tenant=tenant, merchant=merchant, type="full_site", bid=None, target_roi=Decimal("4.00")
    )
    CampaignDayStatsFactory(
        tenant=tenant,
        campaign=campaign,
        day=datetime.date(2026, 3, 2),
        spend=Decimal("150.00"),
        gmv=Decimal("450.00"),
    )
    response = portal.get(f"/merchant/campaigns/{campaign.pk}/?from=2026-03-01&to=2026-03-07")
    assert response.status_code == 200
    performance = response.context["performance"]
    assert (performance["spend"], performance["roi"], performance["attainment"]) == (
        Decimal("150.00"),
        Decimal("3.0000"),
        Decimal("0.7500"),
    )
    content = response.content.decode()
    assert "<svg" in content
    assert content.count('class="mc-bar"') == 7
    assert ">75%<" in content
    # amounts carry the network's currency, ROI two places with its target beside it
    assert 'id="perf-spend">150.00 CNY<' in content
    assert 'id="perf-roi">3.00 <span class="muted small" id="perf-target">target 4.00</span>' in (
        content
    )
    # spend, GMV and ROI each on its own chart; the ROI chart draws the target
    assert [p["key"] for p in response.context["chart"]["panels"]] == ["spend", "gmv", "roi"]
    assert content.count('class="mc-target"') == 1
    assert "target ROI 4.00 (dashed)" in content


def test_each_series_has_its_own_scale(portal, tenant, merchant):
    # given spend of about 25 a day beside GMV of about 5,000
    campaign = CampaignFactory(tenant=tenant, merchant=merchant, name="Banner")
    for day, spend, gmv in ((2, "25.00", "5000.00"), (3, "12.50", "2500.00")):
        CampaignDayStatsFactory(tenant=tenant, campaign=campaign, day=datetime.date(2026, 3, day),
                                spend=Decimal(spend), gmv=Decimal(gmv))  # fmt: skip
    response = portal.get(f"/merchant/campaigns/{campaign.pk}/?from=2026-03-02&to=2026-03-03")
    spend, gmv, roi = response.context["chart"]["panels"]
    # then the highest spend bar reaches the top of its chart, like the highest GMV point
    assert (spend["top_label"], gmv["top_label"], roi["top_label"]) == (
        "25.00 CNY",
        "5,000.00 CNY",
        "200.00",
    )
    assert spend["bars"][0]["h"] == 104
    assert gmv["points"].split()[0].endswith(",28.0")


def test_plan_times_show_in_the_networks_zone_named(portal, tenant, merchant):
    campaign = CampaignFactory(
        tenant=tenant, merchant=merchant,
        starts_at=datetime.datetime(2026, 3, 1, 16, 30, tzinfo=datetime.UTC),
    )  # fmt: skip
    content = portal.get(f"/merchant/campaigns/{campaign.pk}/").content.decode()
    assert "2026-03-02 00:30 UTC+8" in content
    form = portal.get("/merchant/campaigns/new/").content.decode()
    assert "Network time: Asia/Shanghai (UTC+8)." in form


def test_performance_page_lists_each_plan(portal, tenant, merchant):
    campaign = CampaignFactory(tenant=tenant, merchant=merchant, name="Banner")
    CampaignDayStatsFactory(
        tenant=tenant, campaign=campaign, day=datetime.date(2026, 3, 2), spend=Decimal("15.10")
    )
    response = portal.get("/merchant/performance/?from=2026-03-01&to=2026-03-31")
    assert response.status_code == 200
    assert [(row["campaign"].name, row["spend"]) for row in response.context["rows"]] == [
        ("Banner", Decimal("15.10"))
    ]
    assert response.context["spend"] == Decimal("15.10")


def test_pause_resume_and_end(portal, tenant, merchant):
    product = _product(merchant, "KETTLE")
    _new_plan(portal, product)
    [campaign] = _campaigns(tenant)
    url = f"/merchant/campaigns/{campaign.pk}/status"
    portal.post(url, {"to": "paused"})
    assert _campaigns(tenant)[0].status == "paused"
    portal.post(url, {"to": "active"})
    portal.post(url, {"to": "ended"})
    response = portal.post(url, {"to": "active"}, follow=True)
    assert any("cannot become active" in text for _, text in _messages(response))
    assert _campaigns(tenant)[0].status == "ended"


def test_another_merchants_or_tenants_campaign_is_404(portal, tenant, other_tenant):
    neighbour = CampaignFactory(tenant=tenant)
    foreign = CampaignFactory(tenant=other_tenant)
    for campaign in (neighbour, foreign):
        assert portal.get(f"/merchant/campaigns/{campaign.pk}/").status_code == 404
        response = portal.post(f"/merchant/campaigns/{campaign.pk}/status", {"to": "paused"})
        assert response.status_code == 404
    with tenant_scope(other_tenant):
        assert Campaign.objects.get(pk=foreign.pk).status == "active"


def test_domains_can_be_added_and_removed(portal, tenant, merchant):
    portal.post("/merchant/domains/", {"domain": "https://Shop.Example.com/path"})
    assert list(MerchantDomain.objects.values_list("domain", flat=True)) == ["shop.example.com"]
    portal.post("/merchant/domains/", {"remove": "shop.example.com"})
    assert MerchantDomain.objects.count() == 0


def test_times_typed_in_forms_are_the_networks_local_time(portal, tenant, merchant):
    # the tenant is on Asia/Shanghai (UTC+8)
    product = _product(merchant, "KETTLE")
    _new_plan(portal, product, starts_at="2026-01-01T08:00")
    [campaign] = _campaigns(tenant)
    assert campaign.starts_at == datetime.datetime(2026, 1, 1, 0, 0, tzinfo=datetime.UTC)


def test_dashboard_shows_today_so_far_from_the_intraday_count(
    portal, tenant, other_tenant, merchant
):
    """Issue 15: today's provisional delivery and results, as of the last count; another
    tenant's count for the same day never shows."""
    today = tenant_today(tenant)
    campaign = CampaignFactory(tenant=tenant, merchant=merchant)
    ProvisionalCampaignDayFactory(
        tenant=tenant,
        campaign=campaign,
        day=today,
        clicks=30,
        valid_clicks=25,
        orders=2,
        spend=Decimal("12.50"),
        gmv=Decimal("40.00"),
    )
    yesterday = today - datetime.timedelta(days=1)
    CampaignDayStatsFactory(tenant=tenant, campaign=campaign, day=yesterday)
    with tenant_scope(other_tenant):
        ProvisionalCampaignDayFactory(tenant=other_tenant, day=today, spend=Decimal("999.00"))
    ProvisionalRunFactory(tenant=tenant, day=today)

    response = portal.get("/merchant/dashboard/")

    assert response.status_code == 200
    figures = response.context["today_so_far"]
    assert (figures["spend"], figures["gmv"], figures["roi"]) == (
        Decimal("12.50"),
        Decimal("40.00"),
        Decimal("3.2000"),
    )
    assert (figures["clicks"], figures["valid_clicks"], figures["orders"]) == (30, 25, 2)
    card = response.content.decode().split('id="today-so-far"')[1].split("</div>\n")[0]
    assert "12.50" in card
    assert "3.20" in card
    assert "25 valid clicks of 30" in card
    assert "provisional, as of" in card
    assert "999" not in card
