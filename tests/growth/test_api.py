"""``GET /api/v1/products/{sku}/forecast`` (API.md v1.1) for merchant keys."""

import datetime
from decimal import Decimal

import pytest

import tests.growth.cross_tenant  # noqa: F401 - registers the endpoint case
from apps.campaigns.models import Product
from apps.tenants.scope import tenant_scope
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import CampaignFactory, MerchantFactory, ProductFactory
from tests.conftest import client_for
from tests.growth.factories import roll_ups
from tests.tenancy.harness import ENDPOINT_CASES, check_endpoint

pytestmark = pytest.mark.django_db
NOW = datetime.datetime(2026, 4, 1, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture
def shop(tenant, time_machine):
    time_machine.move_to(NOW, tick=False)
    merchant = MerchantFactory(tenant=tenant, code="SHOP")
    product = ProductFactory(tenant=tenant, merchant=merchant, sku="KETTLE")
    campaign = CampaignFactory(tenant=tenant, merchant=merchant, type="full_site", bid=None,
                               target_roi=Decimal("4"))  # fmt: skip
    with tenant_scope(tenant):
        roll_ups(campaign=campaign, product=product, last=datetime.date(2026, 3, 31),
                 orders=[2] * 30, clicks_per_order=50)  # fmt: skip
    client = client_for(tenant)
    auth = bearer(issue_key(merchant))
    return lambda path, **query: client.get(f"/api/v1/products/{path}", query, **auth)


def test_the_forecast_answers_exactly_the_contracts_shape(shop):
    response = shop("KETTLE/forecast", daily_budget="30.00", target_roi="4")
    assert response.status_code == 200
    assert response.json() == {
        "daily": {
            "spend": "30.00",
            "clicks": 60.0,
            "orders": 1.2,
            "gmv": "120.00",
            "roi": "4.00",
        },
        "chance_of_target": 0.5,
        "basis": "product",
    }


def test_a_product_without_history_forecasts_nothing_and_says_so(shop, tenant):
    merchant = Product.objects.get(sku="KETTLE").merchant
    ProductFactory(tenant=tenant, merchant=merchant, sku="NEW", product_type="")
    response = shop("NEW/forecast", daily_budget="30.00", target_roi="4")
    assert response.status_code == 200
    assert response.json() == {
        "daily": {"spend": "0.00", "clicks": 0.0, "orders": 0.0, "gmv": "0.00", "roi": None},
        "chance_of_target": 0.0,
        "basis": "none",
    }


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"target_roi": "4"}, "daily_budget"),
        ({"daily_budget": "100"}, "target_roi"),
        ({"daily_budget": "-1", "target_roi": "4"}, "daily_budget"),
        ({"daily_budget": "ten", "target_roi": "4"}, "daily_budget"),
        ({"daily_budget": "100", "target_roi": "0"}, "target_roi"),
        ({"daily_budget": "100", "target_roi": "NaN"}, "target_roi"),
    ],
)
def test_a_missing_or_bad_parameter_is_a_400_naming_it(shop, query, field):
    response = shop("KETTLE/forecast", **query)
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["extra"]["fields"]) == [field]


def test_another_merchants_or_tenants_sku_is_a_404(shop, tenant, other_tenant):
    ProductFactory(tenant=tenant, sku="NEIGHBOUR")
    assert shop("NEIGHBOUR/forecast", daily_budget="1", target_roi="1").status_code == 404
    mine = ProductFactory(tenant=tenant)
    theirs = ProductFactory(tenant=other_tenant)
    case = ENDPOINT_CASES["api:product-forecast"]
    check_endpoint(client_for(tenant), case, mine, theirs, bearer(issue_key(mine.merchant)))
