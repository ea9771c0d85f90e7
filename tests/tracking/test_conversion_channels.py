"""Conversions without JSON (issue 16): the thank-you-page pixel and the S2S postback run the
same code path as POST /conversions, so one order sent both ways counts once."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.tenants.scope import tenant_scope
from apps.tracking.models import Conversion, ConversionItem
from apps.tracking.services.keys import tracking_key_issue, tracking_key_revoke
from tests.api.factories import bearer, issue_key
from tests.conftest import client_for
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

CLICKED = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)
NOW = datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC)


@pytest.fixture
def world(tenant):
    shop = make_shop(tenant)
    click = ClickFactory(tenant=tenant, placement=shop.placement, product=shop.product,
                         clicked_at=CLICKED)  # fmt: skip
    with tenant_scope(tenant):
        pixel = tracking_key_issue(merchant=shop.merchant, kind="pixel")
        postback = tracking_key_issue(merchant=shop.merchant, kind="postback")
    return shop, click, pixel, postback


def order_params(click, **extra):
    return {"type": "order", "external_id": "O-77", "click_id": str(click.click_id),
            "amount": "120.00", **extra}  # fmt: skip


def conversions(tenant):
    with tenant_scope(tenant):
        return list(
            Conversion.objects.values_list("external_id", "source", "amount", "affiliate_id")
        )


@time_machine.travel(NOW, tick=False)
def test_pixel_and_get_postback_of_the_same_order_count_once(tenant, world):
    shop, click, pixel, postback = world
    client = client_for(tenant)
    # given the thank-you page fires the pixel
    first = client.get("/px/conv", {"token": pixel.plaintext, **order_params(click)})
    assert first.status_code == 200
    assert first["Content-Type"] == "image/gif"
    assert first["Alliance-Result"] == "created"
    # when the shop's server sends the same order by GET postback (and again by POST)
    again = client.get("/postback", {"key": postback.plaintext, **order_params(click)})
    posted = client.post(f"/postback?key={postback.plaintext}", order_params(click))
    # then it is one conversion, told "duplicate" the second and third time
    assert again.status_code == 200
    assert again.json() == {"external_id": "O-77", "type": "order", "status": "duplicate"}
    assert posted.json()["status"] == "duplicate"
    assert conversions(tenant) == [
        ("O-77", "pixel", Decimal("120.00"), shop.placement.site.affiliate_id)
    ]


@time_machine.travel(NOW, tick=False)
def test_postback_takes_order_lines_as_numbered_parameters(tenant, world):
    shop, click, _, postback = world
    response = client_for(tenant).get(
        "/postback",
        {"key": postback.plaintext, **order_params(click), "item1_sku": "SKU-1",
         "item1_quantity": "2", "item1_amount": "100.00", "item2_sku": "GIFT",
         "item2_quantity": "1", "item2_amount": "20.00", "item2_product_type": "gift"},
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "created"
    lines = list(
        ConversionItem.objects.order_by("sku").values_list(
            "sku", "quantity", "amount", "product_type"
        )
    )
    occurred = Conversion.objects.get().occurred_at
    assert lines == [
        ("GIFT", 1, Decimal("20.00"), "gift"),
        ("SKU-1", 2, Decimal("100.00"), shop.product.product_type),
    ]
    assert occurred == NOW  # no occurred_at: the time we received it


@time_machine.travel(NOW, tick=False)
def test_rejections_name_the_field_and_record_nothing(tenant, world):
    _, click, pixel, postback = world
    client = client_for(tenant)
    bad = client.get("/postback", {"key": postback.plaintext, **order_params(click, amount="1.234"),
                                   "item1_sku": "X", "item1_quantity": "two"})  # fmt: skip
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) >= {"amount", "items[0].quantity", "items[0].amount"}
    pixel_bad = client.get("/px/conv", {"token": pixel.plaintext, "type": "order"})
    assert pixel_bad.status_code == 400
    assert pixel_bad["Content-Type"] == "image/gif"
    assert pixel_bad["Alliance-Result"] == "rejected"
    assert "external_id" in pixel_bad["Alliance-Errors"]
    odd = client.get("/postback", {"key": postback.plaintext, **order_params(click),
                                   "external_id": "O-\x00"})  # fmt: skip
    assert odd.status_code == 400
    posted_nul = client.post(f"/postback?key={postback.plaintext}",
                             {**order_params(click), "item1_product_type": "a\x00b",
                              "item1_sku": "SKU-1", "item1_quantity": "1",
                              "item1_amount": "120.00"})  # fmt: skip
    assert posted_nul.status_code == 400
    assert list(posted_nul.json()["extra"]["fields"]) == ["item1_product_type"]
    assert conversions(tenant) == []


@time_machine.travel(NOW, tick=False)
def test_keys_work_only_on_their_own_channel_and_stop_when_revoked(tenant, world):
    shop, click, pixel, postback = world
    client = client_for(tenant)
    # the pixel token is not a postback key, and neither is an API key
    assert (
        client.get("/postback", {"key": pixel.plaintext, **order_params(click)}).status_code == 401
    )
    api_key = issue_key(shop.merchant)
    assert client.get("/postback", {"key": api_key.plaintext}).status_code == 401
    # a postback key is no Bearer key of the partner API
    me = client.get("/api/v1/me", **bearer(type("K", (), {"plaintext": postback.plaintext})))
    assert me.status_code == 401
    tracking_key_revoke(key=postback.key)
    assert (
        client.get("/postback", {"key": postback.plaintext, **order_params(click)}).status_code
        == 401
    )
    assert client.get("/px/conv", {"token": "px_nope", **order_params(click)}).status_code == 404
    assert conversions(tenant) == []


@time_machine.travel(NOW, tick=False)
def test_another_tenants_key_is_unknown_here(tenant, other_tenant, world):
    _, click, _, postback = world
    response = client_for(other_tenant).get("/postback", {"key": postback.plaintext,
                                                          **order_params(click)})  # fmt: skip
    assert response.status_code == 401
    assert conversions(tenant) == []
