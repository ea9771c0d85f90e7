"""Products and campaigns in the back office: refusals shown as error messages."""

from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.campaigns.models import Campaign, CampaignProduct, Product
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignProductFactory,
    MerchantDomainFactory,
    MerchantFactory,
    ProductFactory,
)
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/campaigns/campaign/"
INLINE = "-1"


@pytest.fixture
def bd(tenant):
    return client_for(tenant, make_staff(tenant, "bd"))


@pytest.fixture
def merchant(tenant):
    merchant = MerchantFactory(tenant=tenant, code="SHOP")
    MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="shop.example.com")
    return merchant


def _product(merchant, sku):
    return ProductFactory(tenant=merchant.tenant, merchant=merchant, sku=sku)


def _plan(merchant, product, **kwargs):
    kwargs.setdefault("status", "draft")
    campaign = CampaignFactory(tenant=merchant.tenant, merchant=merchant, **kwargs)
    CampaignProductFactory(tenant=merchant.tenant, campaign=campaign, product=product)
    return campaign


def _status(tenant, campaign):
    with tenant_scope(tenant):
        return Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk)


def _act(client, action, campaigns, apply=True):
    data = {"action": action, "_selected_action": [c.pk for c in campaigns]}
    if apply:
        data["apply"] = "1"
    return client.post(CHANGELIST, data, follow=True)


def _messages(response):
    return [(m.level_tag, str(m)) for m in get_messages(response.wsgi_request)]


def test_activation_asks_for_confirmation_first(tenant, bd, merchant):
    plan = _plan(merchant, _product(merchant, "KETTLE"))
    response = _act(bd, "activate_selected", [plan], apply=False)
    assert response.status_code == 200
    assert b"Confirm: Activate plans" in response.content
    assert _status(tenant, plan) == "draft"
    response = _act(bd, "activate_selected", [plan])
    assert ("success", "1 plan(s) now active.") in _messages(response)
    assert _status(tenant, plan) == "active"


def test_exclusivity_refusal_is_an_error_message_and_changes_nothing(tenant, bd, merchant):
    kettle = _product(merchant, "KETTLE")
    full = _plan(
        merchant, kettle, type="full_site", bid=None, target_roi=Decimal("3.00"), name="Push"
    )
    cpc = _plan(merchant, kettle, type="cpc", bid=Decimal("0.50"), name="Clicks")
    _act(bd, "activate_selected", [full])
    response = _act(bd, "activate_selected", [cpc])
    errors = [text for level, text in _messages(response) if level == "error"]
    assert errors == [
        f"Product KETTLE is in the active full-site plan “Push” (#{full.pk}); a product in a "
        "full-site plan can be in no other active plan."
    ]
    assert _status(tenant, cpc) == "draft"
    # the reverse direction: pause the full-site plan, run the CPC plan, resume the full-site
    _act(bd, "pause_selected", [full])
    _act(bd, "activate_selected", [cpc])
    response = _act(bd, "activate_selected", [full])
    errors = [text for level, text in _messages(response) if level == "error"]
    assert len(errors) == 1
    assert "a full-site plan needs a product that is in no other active plan" in errors[0]
    assert _status(tenant, full) == "paused"


def test_quota_refusal_is_an_error_message(tenant, bd, merchant):
    merchant.plan_quota = 1
    merchant.save(update_fields=["plan_quota"])
    first = _plan(merchant, _product(merchant, "A"))
    second = _plan(merchant, _product(merchant, "B"))
    response = _act(bd, "activate_selected", [first, second])
    messages = _messages(response)
    assert ("success", "1 plan(s) now active.") in messages
    errors = [text for level, text in messages if level == "error"]
    assert len(errors) == 1
    assert "Merchant SHOP already runs 1 active plans, its quota of 1" in errors[0]
    assert Campaign.objects.filter(status="active").count() == 1


def test_ending_an_ended_plan_is_a_noop_and_reactivating_is_refused(tenant, bd, merchant):
    plan = _plan(merchant, _product(merchant, "A"), status="active")
    _act(bd, "end_selected", [plan])
    _act(bd, "end_selected", [plan])
    response = _act(bd, "activate_selected", [plan])
    assert any("cannot become active" in text for _, text in _messages(response))
    assert _status(tenant, plan) == "ended"


def _add_form(merchant, product=None, **overrides):
    data = {
        "merchant": merchant.pk,
        "name": "From the admin",
        "type": "full_site",
        "bid": "",
        "daily_budget": "100.00",
        "target_roi": "3.00",
        "min_site_weight": "1",
        "starts_at_0": "2026-01-01",
        "starts_at_1": "00:00:00",
        "ends_at_0": "",
        "ends_at_1": "",
        f"{INLINE}-TOTAL_FORMS": "1" if product else "0",
        f"{INLINE}-INITIAL_FORMS": "0",
        f"{INLINE}-MIN_NUM_FORMS": "0",
        f"{INLINE}-MAX_NUM_FORMS": "1000",
    }
    if product:
        data[f"{INLINE}-0-product"] = product.pk
    data.update(overrides)
    return data


def test_add_a_plan_with_its_product_through_the_admin(tenant, bd, merchant):
    kettle = _product(merchant, "KETTLE")
    response = bd.post("/admin/campaigns/campaign/add/", _add_form(merchant, kettle))
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert (campaign.status, campaign.target_roi) == ("draft", Decimal("3.00"))
    assert list(
        CampaignProduct.objects.filter(campaign=campaign).values_list("product_id", flat=True)
    ) == [kettle.pk]
    assert campaign.history.count() == 1


def test_full_site_without_target_roi_is_a_form_error(tenant, bd, merchant):
    response = bd.post("/admin/campaigns/campaign/add/", _add_form(merchant, target_roi=""))
    assert response.status_code == 200
    assert "is a full-site plan and needs a target ROI" in response.content.decode()
    assert Campaign.objects.count() == 0


def test_inline_refuses_another_merchants_product(tenant, bd, merchant):
    theirs = ProductFactory(tenant=tenant, sku="THEIRS")
    response = bd.post("/admin/campaigns/campaign/add/", _add_form(merchant, theirs))
    assert response.status_code == 200
    assert "belongs to merchant" in response.content.decode()
    assert Campaign.objects.count() == 0


def test_product_admin_saves_through_the_upsert(tenant, bd, merchant):
    response = bd.post(
        "/admin/campaigns/product/add/",
        {
            "merchant": merchant.pk,
            "sku": "NEW",
            "title": "Kettle",
            "url": "https://shop.example.com/k",
            "price": "199.00",
            "product_type": "home",
            "image_url": "",
            "is_active": "on",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Product.objects.get(sku="NEW").price == Decimal("199.00")


def test_finance_staff_see_plans_but_cannot_act(tenant, merchant):
    plan = _plan(merchant, _product(merchant, "A"))
    finance = client_for(tenant, make_staff(tenant, "finance"))
    assert finance.get(CHANGELIST).status_code == 200
    _act(finance, "activate_selected", [plan])
    assert _status(tenant, plan) == "draft"


def test_changelists_use_a_constant_number_of_queries(tenant, bd, merchant):
    def count(url):
        with CaptureQueriesContext(connection) as ctx:
            assert bd.get(url).status_code == 200
        return len(ctx.captured_queries)

    _plan(merchant, _product(merchant, "A"))
    few = (count(CHANGELIST), count("/admin/campaigns/product/"))
    for i in range(6):
        other = MerchantFactory(tenant=tenant)
        _plan(other, _product(other, f"X{i}"))
    assert (count(CHANGELIST), count("/admin/campaigns/product/")) == few


def test_other_tenants_plans_are_404(tenant, other_tenant, bd):
    theirs = CampaignFactory(tenant=other_tenant)
    assert bd.get(f"/admin/campaigns/campaign/{theirs.pk}/change/").status_code == 404
    _act(bd, "end_selected", [theirs])
    with tenant_scope(other_tenant):
        assert Campaign.objects.get(pk=theirs.pk).status == "active"
