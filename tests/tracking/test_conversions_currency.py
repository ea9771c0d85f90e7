"""Orders in another currency (issue 17): converted at the rate of their tenant-local day and
kept as sent; no rate for that day is a rejection naming ``currency``; refunds come in the
order's own currency."""

import datetime
import json
from decimal import Decimal

import pytest

from apps.commissions.models import Commission
from apps.commissions.services.accrual import commissions_accrue_day
from apps.commissions.services.orders import order_status_change
from apps.tracking.models import Conversion, ConversionItem
from tests.api.factories import bearer, issue_key
from tests.commissions.money_helpers import rule
from tests.conftest import client_for
from tests.fx.factories import FxRateFactory
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def world(tenant):
    shop = make_shop(tenant)
    click = ClickFactory(
        tenant=tenant, placement=shop.placement, product=shop.product,
        clicked_at=datetime.datetime(2026, 3, 2, 1, 0, tzinfo=datetime.UTC),
    )  # fmt: skip
    return shop, click, issue_key(shop.merchant)


def order(click, external_id, amount, *, currency=None, when="2026-03-02T10:30:00+08:00",
          items=None):  # fmt: skip
    event = {
        "type": "order", "external_id": external_id, "click_id": str(click.click_id),
        "occurred_at": when, "amount": amount,
    }  # fmt: skip
    if currency:
        event["currency"] = currency
    if items:
        event["items"] = items
    return event


def post(tenant, key, *events):
    response = client_for(tenant).post(
        "/api/v1/conversions", json.dumps({"events": list(events)}),
        content_type="application/json", **bearer(key),
    )  # fmt: skip
    assert response.status_code == 200
    return response.json()["results"]


def test_a_usd_order_of_100_at_7_2_accrues_5_percent_as_36_cny(tenant, world):
    _shop, click, key = world
    FxRateFactory(tenant=tenant, day=DAY, base="USD", quote="CNY", rate=Decimal("7.2000"))
    rule(event="order", rate_type="percent", value=5)
    [result] = post(tenant, key, order(click, "O-USD", "100.00", currency="usd"))
    assert result["status"] == "created"
    conversion = Conversion.objects.get()
    assert (conversion.amount, conversion.currency, conversion.original_amount,
            conversion.fx_rate) == (Decimal("720.00"), "USD", Decimal("100.00"),
                                    Decimal("7.2"))  # fmt: skip
    commissions_accrue_day(day=DAY)
    commission = Commission.objects.get()
    assert commission.base_amount == Decimal("720.00")
    assert commission.amount == Decimal("36.00")
    assert tenant.currency == "CNY"


def test_no_rate_for_the_day_is_rejected_naming_currency(tenant, world):
    _shop, click, key = world
    # a rate of the day before and the day after: never used for this day
    FxRateFactory(tenant=tenant, day=DAY - datetime.timedelta(days=1), rate=Decimal("7.1"))
    FxRateFactory(tenant=tenant, day=DAY + datetime.timedelta(days=1), rate=Decimal("7.3"))
    results = post(
        tenant, key,
        order(click, "O-1", "100.00", currency="USD"),
        order(click, "O-2", "100.00"),  # the merchant's currency: the tenant's, no rate needed
    )  # fmt: skip
    assert results[0]["status"] == "rejected"
    assert list(results[0]["errors"]) == ["currency"]
    assert "No exchange rate from USD to CNY for 2026-03-02" in results[0]["errors"]["currency"]
    assert results[1]["status"] == "created"
    assert list(Conversion.objects.values_list("external_id", "currency", "amount")) == [
        ("O-2", "CNY", Decimal("100.00"))
    ]


def test_a_merchant_in_usd_reports_usd_by_default_and_lines_are_converted(tenant, world):
    shop, click, key = world
    shop.merchant.currency = "USD"
    shop.merchant.save(update_fields=["currency"])
    FxRateFactory(tenant=tenant, day=DAY, base="CNY", quote="USD", rate=Decimal("0.125"))
    items = [{"sku": "SKU-1", "quantity": 1, "amount": "60.00"},
             {"sku": "B", "quantity": 1, "amount": "40.00"}]  # fmt: skip
    [result] = post(tenant, key, order(click, "O-1", "100.00", items=items))
    assert result["status"] == "created"
    conversion = Conversion.objects.get()
    assert (conversion.currency, conversion.amount, conversion.fx_rate) == (
        "USD", Decimal("800.00"), Decimal("8"),
    )  # fmt: skip
    assert sorted(ConversionItem.objects.values_list("original_amount", "amount")) == [
        (Decimal("40.00"), Decimal("320.00")), (Decimal("60.00"), Decimal("480.00")),
    ]  # fmt: skip


def test_a_refund_is_sent_in_the_orders_currency(tenant, world):
    shop, click, key = world
    FxRateFactory(tenant=tenant, day=DAY, rate=Decimal("7.2"))
    rule(event="order", rate_type="percent", value=5)
    post(tenant, key, order(click, "O-1", "100.00", currency="USD"))
    commissions_accrue_day(day=DAY)
    order_status_change(merchant=shop.merchant, external_id="O-1", status="refunded",
                        refund_amount=Decimal("25.00"))  # fmt: skip
    conversion = Conversion.objects.get()
    assert (conversion.original_refund_amount, conversion.refund_amount) == (
        Decimal("25.00"), Decimal("180.00"),
    )  # fmt: skip
    assert Commission.objects.get().reversed_amount == Decimal("9.00")
    order_status_change(merchant=shop.merchant, external_id="O-1", status="refunded")
    conversion.refresh_from_db()
    assert conversion.refund_amount == Decimal("720.00")
    assert Commission.objects.get().status == "reversed"
