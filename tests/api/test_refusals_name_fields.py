"""Every service refusal the partner API can reach names its field(s) in ``extra.fields``
(API.md v1.1 "Errors", issue 20), and nothing is written.

One case per refusal: the world it needs, the request, and the answer's status, code and
field names. The endpoints' own tests cover the rules; this one covers the shape.
"""

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import jsonschema
import pytest
import time_machine

from apps.api.schema import ERROR_SCHEMA
from apps.campaigns.models import Merchant
from apps.tenants.models import Tenant
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignProductFactory,
    MerchantFactory,
    ProductFactory,
)
from tests.conftest import client_for
from tests.disputes.factories import ClaimFactory, DisputeFactory, FullSitePlanFactory, spread
from tests.sites.factories import SiteFactory
from tests.tenancy.harness import tenant_rows
from tests.tracking.factories import ConversionFactory

pytestmark = pytest.mark.django_db

#: the request time of every case: a week after the plans' windows ended
NOW = datetime.datetime(2026, 3, 8, 4, 0, tzinfo=datetime.UTC)
TODAY = datetime.date(2026, 3, 8)
#: rows a refused request may still touch: the key's last use, the webmaster's address
TOUCHED_BY_ANY_REQUEST = {"api.ApiKey", "affiliates.AffiliateIp"}


@dataclass
class Request:
    principal: Any
    url: str
    body: Any


@dataclass
class Refusal:
    make: Callable[[Tenant], Request]
    status: int
    code: str
    fields: set[str]


def plan_body(product, **values: Any) -> dict[str, Any]:
    return {
        "name": "Spring",
        "type": "cps",
        "products": [product.sku],
        "daily_budget": "100.00",
        "starts_at": "2026-03-01T00:00:00Z",
        "status": "draft",
        **values,
    }


def campaign_post(**values: Any) -> Callable[[Tenant], Request]:
    def make(tenant: Tenant) -> Request:
        product = ProductFactory(tenant=tenant)
        return Request(product.merchant, "/api/v1/campaigns", plan_body(product, **values))

    return make


def two_products_full_site(tenant: Tenant) -> Request:
    product = ProductFactory(tenant=tenant)
    other = ProductFactory(tenant=tenant, merchant=product.merchant)
    body = plan_body(product, type="full_site", target_roi="3.00")
    body["products"].append(other.sku)
    return Request(product.merchant, "/api/v1/campaigns", body)


def over_the_quota(tenant: Tenant) -> Request:
    merchant = MerchantFactory(tenant=tenant, plan_quota=1)
    CampaignProductFactory(tenant=tenant, campaign__merchant=merchant)
    product = ProductFactory(tenant=tenant, merchant=merchant)
    return Request(merchant, "/api/v1/campaigns", plan_body(product, status="active"))


def product_in_a_full_site_plan(tenant: Tenant) -> Request:
    link = CampaignProductFactory(
        tenant=tenant, campaign=FullSitePlanFactory(tenant=tenant, status="active")
    )
    body = plan_body(link.product, status="active")
    return Request(link.campaign.merchant, "/api/v1/campaigns", body)


def ended_plan_activated(tenant: Tenant) -> Request:
    plan = CampaignFactory(tenant=tenant, status="ended")
    return Request(plan.merchant, f"/api/v1/campaigns/{plan.pk}/status", {"status": "active"})


def order_status(now: str, **body: Any) -> Callable[[Tenant], Request]:
    def make(tenant: Tenant) -> Request:
        order = ConversionFactory(tenant=tenant, status=now)
        url = f"/api/v1/orders/{order.external_id}/status"
        return Request(order.merchant, url, body)

    return make


def site_taken(tenant: Tenant) -> Request:
    SiteFactory(tenant=tenant, url="https://deals.example.org/")
    body = {"url": "https://deals.example.org/", "name": "Deals", "category": "deals"}
    return Request(AffiliateFactory(tenant=tenant), "/api/v1/sites", body)


def claim(plan_of: Callable[[Tenant], Any], **body: Any) -> Callable[[Tenant], Request]:
    def make(tenant: Tenant) -> Request:
        plan = plan_of(tenant)
        return Request(plan.merchant, "/api/v1/claims", {"campaign": plan.pk, **body})

    return make


def spent_plan(tenant: Tenant, **values: Any) -> Any:
    plan = FullSitePlanFactory(tenant=tenant, **values)
    spread(plan, spend="10000.00", gmv="25000.00")
    return plan


def claimed_plan(tenant: Tenant) -> Any:
    return ClaimFactory(tenant=tenant, campaign=spent_plan(tenant)).campaign


def dispute(*, active: bool = True, **values: Any) -> Callable[[Tenant], Request]:
    def make(tenant: Tenant) -> Request:
        merchant = MerchantFactory(tenant=tenant, is_active=active)
        body = {
            "merchant": merchant.code,
            "order_reference": "ORD-1",
            "order_date": "2026-03-02",
            "amount": "30.00",
            **values,
        }
        return Request(AffiliateFactory(tenant=tenant), "/api/v1/disputes", body)

    return make


def disputed_already(tenant: Tenant) -> Request:
    request = dispute()(tenant)
    DisputeFactory(
        tenant=tenant,
        affiliate=request.principal,
        merchant=Merchant.objects.get(code=request.body["merchant"]),
        order_reference="ORD-1",
    )
    return request


REFUSALS = {
    # campaigns
    "cpc plan without a bid": Refusal(campaign_post(type="cpc"), 400, "bid_required", {"bid"}),
    "full-site plan without a target ROI": Refusal(
        campaign_post(type="full_site"), 400, "full_site_needs_target_roi", {"target_roi"}
    ),
    "full-site plan with two products": Refusal(
        two_products_full_site, 400, "full_site_needs_one_product", {"products"}
    ),
    "activation over the plan quota": Refusal(
        over_the_quota, 400, "plan_quota_exceeded", {"status"}
    ),
    "product already in a full-site plan": Refusal(
        product_in_a_full_site_plan, 400, "product_in_full_site_plan", {"products"}
    ),
    "ended plan activated": Refusal(
        ended_plan_activated, 409, "campaign_state_conflict", {"status"}
    ),
    # orders
    "refund above the order's amount": Refusal(
        order_status("pending", status="refunded", refund_amount="999.00"),
        400,
        "invalid_refund",
        {"refund_amount"},
    ),
    "cancelled order confirmed": Refusal(
        order_status("cancelled", status="confirmed"), 409, "conversion_state_conflict", {"status"}
    ),
    # sites
    "site already registered": Refusal(site_taken, 400, "site_url_taken", {"url"}),
    # claims
    "claim window of 16 days": Refusal(
        claim(spent_plan, window_days=16), 400, "bad_window", {"window_days"}
    ),
    "claim on a cps plan": Refusal(
        claim(lambda t: CampaignFactory(tenant=t, type="cps", bid=None)),
        400,
        "not_eligible",
        {"campaign"},
    ),
    "claim before a 15-day window ends": Refusal(
        claim(spent_plan, window_days=15), 400, "too_early", {"window_days"}
    ),
    "claim filed twice": Refusal(claim(claimed_plan), 400, "already_claimed", {"campaign"}),
    "claim on a plan that met its target": Refusal(
        claim(lambda t: spent_plan(t, target_roi=Decimal("2.00"))),
        400,
        "nothing_to_compensate",
        {"campaign"},
    ),
    # disputes
    "dispute 120 days after the order": Refusal(
        dispute(order_date=(TODAY - datetime.timedelta(days=120)).isoformat()),
        400,
        "too_late",
        {"order_date"},
    ),
    "dispute of a future order": Refusal(
        dispute(order_date="2026-03-09"), 400, "order_in_future", {"order_date"}
    ),
    "dispute against an inactive merchant": Refusal(
        dispute(active=False), 400, "merchant_inactive", {"merchant"}
    ),
    "order disputed twice": Refusal(disputed_already, 400, "already_disputed", {"order_reference"}),
}


def _rows(tenant: Tenant) -> dict[str, list[dict[str, Any]]]:
    rows = tenant_rows(tenant)
    for label in TOUCHED_BY_ANY_REQUEST:
        rows.pop(label, None)
    return rows


@pytest.mark.parametrize("case", REFUSALS.values(), ids=REFUSALS.keys())
def test_refusal_names_its_fields_and_changes_nothing(tenant, case):
    # given the world the refusal needs
    request = case.make(tenant)
    key = issue_key(request.principal)
    before = _rows(tenant)
    # when the partner sends the request
    with time_machine.travel(NOW, tick=False):
        response = client_for(tenant).post(
            request.url, request.body, content_type="application/json", **bearer(key)
        )
    # then the answer names the refusal and each field to fix, and nothing was written
    body = response.json()
    assert (response.status_code, body["code"]) == (case.status, case.code), body
    jsonschema.validate(body, ERROR_SCHEMA)
    fields = body["extra"]["fields"]
    assert set(fields) == case.fields
    for messages in fields.values():
        assert messages
        assert all(isinstance(message, str) and message for message in messages)
    assert _rows(tenant) == before


def test_schema_declares_the_error_body_on_every_operation(tenant):
    schema = client_for(tenant).get("/api/schema/", {"format": "json"}).json()
    assert schema["components"]["schemas"]["Error"] == ERROR_SCHEMA
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            ref = operation["responses"]["400"]["content"]["application/json"]["schema"]
            assert ref == {"$ref": "#/components/schemas/Error"}, (method, path)
            assert ("409" in operation["responses"]) == (method != "get"), (method, path)
