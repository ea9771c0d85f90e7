"""Products and campaigns through the partner API (merchant keys), refusals included."""

import datetime
from decimal import Decimal

import pytest

import tests.campaigns.cross_tenant  # noqa: F401 - registers the endpoint cases
from apps.campaigns.models import Campaign, Product
from apps.campaigns.services.products import ProductTaggingStats, product_tagging_apply
from apps.tenants.scope import tenant_scope
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import (
    CampaignFactory,
    MerchantDomainFactory,
    MerchantFactory,
    ProductFactory,
)
from tests.conftest import client_for
from tests.tenancy.harness import ENDPOINT_CASES, check_endpoint, rows_unchanged
from tests.tracking.factories import CampaignDayStatsFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def merchant(tenant):
    merchant = MerchantFactory(tenant=tenant, code="SHOP")
    MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="shop.example.com")
    return merchant


@pytest.fixture
def api(tenant, merchant):
    client = client_for(tenant)
    auth = bearer(issue_key(merchant))

    class Api:
        def get(self, path, data=None):
            return client.get(f"/api/v1{path}", data or {}, **auth)

        def post(self, path, body):
            return client.post(f"/api/v1{path}", body, content_type="application/json", **auth)

    return Api()


def _product(merchant, sku="KETTLE", **kwargs):
    return ProductFactory(tenant=merchant.tenant, merchant=merchant, sku=sku, **kwargs)


def _plan(**overrides):
    body = {
        "name": "Kettle push",
        "type": "full_site",
        "products": ["KETTLE"],
        "daily_budget": "100.00",
        "target_roi": "3.00",
        "starts_at": "2026-01-01T00:00:00+08:00",
    }
    body.update(overrides)
    return body


def _count(tenant, model):
    with tenant_scope(tenant):
        return model.objects.count()


# --- products --------------------------------------------------------------------------------


def test_post_products_upserts_by_sku_and_answers_per_item(api, tenant, merchant):
    _product(merchant, sku="OLD", price=Decimal("1.00"))
    response = api.post(
        "/products",
        [
            {"sku": "NEW", "title": "Kettle", "url": "https://shop.example.com/k", "price": "199"},
            {
                "sku": "OLD",
                "title": "Toaster",
                "url": "https://shop.example.com/t",
                "price": "49.90",
                "product_type": "home",
                "image_url": "https://img.example.com/t.png",
            },
            {"sku": "BAD", "title": "x", "url": "nope", "price": "-1"},
        ],
    )
    assert response.status_code == 200
    results = response.json()["results"]
    assert [(r["sku"], r["status"]) for r in results] == [
        ("NEW", "created"),
        ("OLD", "updated"),
        ("BAD", "rejected"),
    ]
    assert set(results[2]["errors"]) == {"url", "price"}
    old = Product.objects.get(sku="OLD")
    assert (old.title, old.price, old.product_type) == ("Toaster", Decimal("49.90"), "home")
    assert Product.objects.count() == 2


def test_post_products_needs_a_list_of_at_most_1000(api):
    response = api.post("/products", {"sku": "X"})
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    response = api.post("/products", [{"sku": str(i)} for i in range(1001)])
    assert response.status_code == 400


def test_get_products_lists_only_the_keys_merchant(api, tenant, merchant):
    _product(merchant, sku="MINE")
    ProductFactory(tenant=tenant, sku="NEIGHBOUR")
    response = api.get("/products")
    assert response.status_code == 200
    assert [row["sku"] for row in response.json()["results"]] == ["MINE"]
    assert response.json()["results"][0]["price"] == "100.00"


def test_roi_tiers_of_tagged_and_untagged_products(api, tenant, merchant):
    tagged = _product(merchant, sku="KETTLE")
    _product(merchant, sku="PLAIN")
    product_tagging_apply(
        day=datetime.date(2026, 3, 1),
        stats={tagged.pk: ProductTaggingStats(20, 400, Decimal("5000"), Decimal("1600"))},
        median_conversion_rate=Decimal("0.01"),
    )
    assert api.get("/products/KETTLE/roi-tiers").json() == {
        "tagged": True,
        "tiers": ["2.5", "3.1", "3.8"],
    }
    assert api.get("/products/PLAIN/roi-tiers").json() == {"tagged": False, "tiers": []}
    assert api.get("/products/MISSING/roi-tiers").status_code == 404


def test_another_merchants_product_is_404(api, tenant):
    ProductFactory(tenant=tenant, sku="NEIGHBOUR")
    assert api.get("/products/NEIGHBOUR/roi-tiers").status_code == 404


# --- campaigns -------------------------------------------------------------------------------


def test_post_campaign_creates_an_active_plan(api, tenant, merchant):
    _product(merchant)
    response = api.post("/campaigns", _plan())
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["type"], body["status"], body["products"]) == ("full_site", "active", ["KETTLE"])
    assert (body["target_roi"], body["daily_budget"], body["bid"]) == ("3.00", "100.00", None)
    assert body["product_was_tagged"] is False
    assert body["target_roi_was_tier"] is False
    detail = api.get(f"/campaigns/{body['id']}").json()
    assert detail == body
    assert [row["id"] for row in api.get("/campaigns").json()["results"]] == [body["id"]]


def test_full_site_without_target_roi_is_refused_through_the_api(api, tenant, merchant):
    _product(merchant)
    response = api.post("/campaigns", _plan(target_roi=None))
    assert response.status_code == 400
    assert response.json()["code"] == "full_site_needs_target_roi"
    assert "needs a target ROI" in response.json()["message"]
    assert _count(tenant, Campaign) == 0


def test_exclusivity_is_refused_through_the_api_both_ways(api, tenant, merchant):
    _product(merchant)
    first = api.post("/campaigns", _plan()).json()
    # a CPC plan on the full-site product
    response = api.post("/campaigns", _plan(name="CPC", type="cpc", bid="0.50", target_roi=None))
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "product_in_full_site_plan"
    assert f"“Kettle push” (#{first['id']})" in body["message"]
    assert body["extra"] == {
        "product": "KETTLE",
        "plan": first["id"],
        "field": "products",
        "fields": {"products": [body["message"]]},
    }
    assert _count(tenant, Campaign) == 1
    # the reverse: pause the full-site plan, run a CPM plan, resume the full-site plan
    assert api.post(f"/campaigns/{first['id']}/status", {"status": "paused"}).status_code == 200
    cpm = api.post("/campaigns", _plan(name="CPM", type="cpm", bid="20.00", target_roi=None))
    assert cpm.status_code == 201
    response = api.post(f"/campaigns/{first['id']}/status", {"status": "active"})
    assert response.status_code == 400
    assert response.json()["code"] == "full_site_product_in_other_plan"
    assert api.get(f"/campaigns/{first['id']}").json()["status"] == "paused"


def test_quota_is_refused_through_the_api(api, tenant, merchant):
    merchant.plan_quota = 1
    merchant.save(update_fields=["plan_quota"])
    _product(merchant)
    _product(merchant, sku="TOASTER")
    assert api.post("/campaigns", _plan()).status_code == 201
    response = api.post("/campaigns", _plan(name="Second", products=["TOASTER"]))
    assert response.status_code == 400
    assert response.json()["code"] == "plan_quota_exceeded"
    assert "quota of 1" in response.json()["message"]
    assert _count(tenant, Campaign) == 1
    # a draft is stored, and cannot be activated either
    draft = api.post("/campaigns", _plan(name="Draft", products=["TOASTER"], status="draft"))
    assert draft.status_code == 201
    response = api.post(f"/campaigns/{draft.json()['id']}/status", {"status": "active"})
    assert response.json()["code"] == "plan_quota_exceeded"


def test_campaign_input_errors_name_each_field(api, merchant):
    _product(merchant)
    response = api.post("/campaigns", _plan(type="banner", products=["NOPE"], daily_budget="x"))
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"type", "daily_budget"}
    response = api.post("/campaigns", _plan(products=["NOPE"]))
    assert response.json()["extra"]["fields"] == {
        "products": ["Unknown sku(s) for your merchant: NOPE."]
    }
    response = api.post("/campaigns", _plan(type="cpc", target_roi=None))
    assert response.json()["code"] == "bid_required"


def test_another_merchants_product_cannot_be_put_in_a_plan(api, tenant):
    ProductFactory(tenant=tenant, sku="NEIGHBOUR")
    response = api.post("/campaigns", _plan(products=["NEIGHBOUR"]))
    assert response.status_code == 400
    assert "NEIGHBOUR" in str(response.json()["extra"]["fields"]["products"])


def test_status_moves_not_allowed_answer_409(api, merchant):
    _product(merchant)
    plan = api.post("/campaigns", _plan()).json()
    assert api.post(f"/campaigns/{plan['id']}/status", {"status": "ended"}).status_code == 200
    response = api.post(f"/campaigns/{plan['id']}/status", {"status": "active"})
    assert response.status_code == 409
    assert response.json()["code"] == "campaign_state_conflict"


def test_performance_reads_the_roll_ups(api, tenant, merchant):
    campaign = CampaignFactory(
        tenant=tenant, merchant=merchant, type="full_site", bid=None, target_roi=Decimal("4.00")
    )
    for day, spend, gmv in [(1, "100.00", "300.00"), (2, "50.00", "300.00"), (9, "7.00", "0")]:
        CampaignDayStatsFactory(
            tenant=tenant,
            campaign=campaign,
            day=datetime.date(2026, 3, day),
            spend=Decimal(spend),
            gmv=Decimal(gmv),
        )
    response = api.get(
        f"/campaigns/{campaign.pk}/performance", {"from": "2026-03-01", "to": "2026-03-02"}
    )
    assert response.status_code == 200
    body = response.json()
    assert {k: body[k] for k in ("spend", "gmv", "roi", "target_roi", "attainment")} == {
        "spend": "150.00",
        "gmv": "600.00",
        "roi": "4.0000",
        "target_roi": "4.00",
        "attainment": "1.0000",
    }
    assert (body["from"], body["to"]) == ("2026-03-01", "2026-03-02")
    bad = api.get(
        f"/campaigns/{campaign.pk}/performance", {"from": "2026-03-05", "to": "2026-03-01"}
    )
    assert bad.status_code == 400


def test_scopes_are_required(tenant, merchant):
    key = issue_key(merchant, scopes=["products:read"])
    client = client_for(tenant)
    assert client.get("/api/v1/products", **bearer(key)).status_code == 200
    assert client.get("/api/v1/campaigns", **bearer(key)).status_code == 403
    response = client.post("/api/v1/products", [], content_type="application/json", **bearer(key))
    assert response.status_code == 403


def test_another_merchants_campaign_is_404(api, tenant):
    neighbour = CampaignFactory(tenant=tenant)
    assert api.get(f"/campaigns/{neighbour.pk}").status_code == 404
    assert api.get(f"/campaigns/{neighbour.pk}/performance").status_code == 404
    assert api.post(f"/campaigns/{neighbour.pk}/status", {"status": "paused"}).status_code == 404
    assert [row["id"] for row in api.get("/campaigns").json()["results"]] == []


def test_other_tenants_objects_are_404_or_absent(tenant, other_tenant):
    """The harness cases of this module's endpoints, run here too (cross-tenant)."""
    names = [
        name
        for name in ENDPOINT_CASES
        if name.startswith(("api:product", "api:campaign"))
        and name != "api:product-forecast"  # tests/growth/test_api.py runs that case
    ]
    assert len(names) == 6
    for name in names:
        case = ENDPOINT_CASES[name]
        factory = ProductFactory if case.model is Product else CampaignFactory
        mine, theirs = factory(tenant=tenant), factory(tenant=other_tenant)
        key = issue_key(case.owner(mine))
        with rows_unchanged(other_tenant):
            check_endpoint(client_for(tenant), case, mine, theirs, bearer(key))
