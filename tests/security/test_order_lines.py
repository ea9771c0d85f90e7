"""Order lines that add up (issue 22): lines above the order's amount are refused naming
``items``; refunds shrink the lines with the order, so lines and GMV agree."""

import datetime
import json
from decimal import Decimal

import pytest

from apps.core.reconcile import reconcile_run
from apps.tracking.models import Conversion, ConversionItem
from apps.tracking.services import conversion_status_set
from tests.api.factories import bearer, issue_key
from tests.conftest import client_for
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory, ConversionFactory, ConversionItemFactory

pytestmark = pytest.mark.django_db

CLICKED = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture
def world(tenant):
    shop = make_shop(tenant)
    click = ClickFactory(
        tenant=tenant, placement=shop.placement, product=shop.product, clicked_at=CLICKED
    )
    return click, issue_key(shop.merchant)


def order(click, external_id: str, amount: str, *line_amounts: str) -> dict:
    return {
        "type": "order",
        "external_id": external_id,
        "click_id": str(click.click_id),
        "occurred_at": "2026-03-02T10:30:00+08:00",
        "amount": amount,
        "items": [
            {"sku": f"SKU-{n}", "quantity": 1, "amount": line}
            for n, line in enumerate(line_amounts)
        ],
    }


def post(tenant, key, *events):
    response = client_for(tenant).post(
        "/api/v1/conversions",
        json.dumps({"events": list(events)}),
        content_type="application/json",
        **bearer(key),
    )
    assert response.status_code == 200
    return response.json()["results"]


def test_an_order_with_items_above_its_amount_is_rejected_naming_items(tenant, world):
    click, key = world
    # when an order of 10.00 claims a line of 999,999.00, next to an honest one
    results = post(
        tenant,
        key,
        order(click, "O-BIG", "10.00", "999999.00"),
        order(click, "O-OK", "10.00", "6.00", "4.00"),
    )
    # then that one is rejected naming items, the honest one is created
    assert results[0]["status"] == "rejected"
    assert list(results[0]["errors"]) == ["items"]
    assert "999999.00" in results[0]["errors"]["items"]
    assert results[1]["status"] == "created"
    # and nothing of the refused order was stored
    assert list(Conversion.objects.values_list("external_id", flat=True)) == ["O-OK"]
    assert ConversionItem.objects.count() == 2


def test_lines_may_round_by_a_cent_each(tenant, world):
    click, key = world
    results = post(
        tenant,
        key,
        order(click, "O-ROUND", "10.00", "3.34", "3.34", "3.34"),  # 10.02: 2 cents over, 3 lines
        order(click, "O-OVER", "10.00", "5.03", "5.00"),  # 10.03: 3 cents over, 2 lines
    )
    assert [r["status"] for r in results] == ["created", "rejected"]


def test_a_refund_shrinks_the_lines_with_the_order(tenant):
    conversion = ConversionFactory(tenant=tenant, amount=Decimal("100.00"))
    lines = [
        ConversionItemFactory(tenant=tenant, conversion=conversion, amount=Decimal(a))
        for a in ("33.33", "33.33", "33.34")
    ]
    # when a third of the order is refunded
    conversion_status_set(conversion=conversion, status="refunded", refund_amount=Decimal("33.33"))
    refunded = [ConversionItem.objects.get(pk=line.pk).refunded_amount for line in lines]
    # then the lines give back exactly that, proportionally, and their net is the GMV
    assert sum(refunded) == Decimal("33.33")
    assert refunded == [Decimal("11.11"), Decimal("11.11"), Decimal("11.11")]
    # when it is cancelled, every line is refunded whole
    conversion_status_set(conversion=conversion, status="cancelled")
    assert [ConversionItem.objects.get(pk=line.pk).refunded_amount for line in lines] == [
        Decimal("33.33"),
        Decimal("33.33"),
        Decimal("33.34"),
    ]


def test_reconcile_reports_orders_whose_lines_exceed_their_gmv(tenant):
    # an order accepted before the rule: lines of 999,999.00 on an order of 10.00
    legacy = ConversionFactory(tenant=tenant, amount=Decimal("10.00"))
    ConversionItemFactory(tenant=tenant, conversion=legacy, amount=Decimal("999999.00"))
    fine = ConversionFactory(tenant=tenant, amount=Decimal("10.00"))
    ConversionItemFactory(tenant=tenant, conversion=fine, amount=Decimal("10.00"))
    period = legacy.day.strftime("%Y-%m")
    found = [d for d in reconcile_run(period=period) if d.check == "tracking.order_lines"]
    assert [(d.found, d.expected) for d in found] == [(Decimal("999999.00"), "at most 10.01")]
    assert legacy.external_id in found[0].where


@pytest.mark.parametrize(
    "field",
    ["type", "external_id", "click_id", "occurred_at", "amount", "customer_type",
     "customer_ref", "coupon", "currency", "items.sku", "items.product_type", "items.amount"],
)  # fmt: skip
def test_a_nul_in_any_event_field_is_a_rejection_not_a_500(tenant, world, field):
    click, key = world
    event = order(click, "O-NUL", "10.00", "10.00")
    if field.startswith("items."):
        event["items"][0][field.split(".")[1]] = "a\x00b"
    else:
        event[field] = "a\x00b"
    [result] = post(tenant, key, event)
    assert result["status"] == "rejected"
    assert Conversion.objects.count() == 0
