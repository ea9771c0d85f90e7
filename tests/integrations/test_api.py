"""/api/v1/webhooks (merchant and webmaster keys) and /api/v1/coupons (merchant keys)."""

import datetime

import pytest
import time_machine

from apps.integrations.models import Delivery, WebhookEndpoint
from apps.tracking.models import Coupon
from apps.tracking.services.conversions import conversions_record
from tests.api.factories import bearer, issue_key
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC)


def post(client, body, key):
    return client.post("/api/v1/webhooks", body, content_type="application/json", **key)


@pytest.fixture
def shop(tenant):
    return make_shop(tenant)


def test_merchant_manages_its_webhooks(tenant, shop, receiver):
    key = bearer(issue_key(shop.merchant))
    client = client_for(tenant)
    created = client.post(
        "/api/v1/webhooks",
        {"url": receiver.url(), "events": ["conversion.created", "commission.approved"]},
        content_type="application/json", **key,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["secret"].startswith("whsec_")
    assert body["secret_hint"] == body["secret"][:10]
    listed = client.get("/api/v1/webhooks", **key).json()["results"]
    assert [row["id"] for row in listed] == [body["id"]]
    assert "secret" not in listed[0]  # shown once
    detail = client.get(f"/api/v1/webhooks/{body['id']}", **key).json()
    assert detail["events"] == ["conversion.created", "commission.approved"]
    rotated = client.post(f"/api/v1/webhooks/{body['id']}/rotate", **key).json()
    assert rotated["secret"] != body["secret"]
    assert client.delete(f"/api/v1/webhooks/{body['id']}", **key).status_code == 204
    assert client.get("/api/v1/webhooks", **key).json()["results"] == []
    assert client.get(f"/api/v1/webhooks/{body['id']}", **key).status_code == 404


def test_refusals_name_their_field(tenant, shop, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    key = bearer(issue_key(shop.merchant))
    client = client_for(tenant)
    bad_url = post(client, {"url": "http://10.0.0.1/x", "events": ["conversion.created"]}, key)
    assert bad_url.status_code == 400
    assert list(bad_url.json()["extra"]["fields"]) == ["url"]
    # statements are webmasters' events: a merchant cannot subscribe to them
    wrong = post(client, {"url": "https://h.partner.example/x", "events": ["statement.paid"]}, key)
    assert wrong.status_code == 400
    assert list(wrong.json()["extra"]["fields"]) == ["events"]
    assert WebhookEndpoint.objects.count() == 0


@time_machine.travel(T0, tick=False)
def test_webmaster_key_sees_only_its_own_endpoints_and_deliveries(
    tenant, shop, receiver, django_capture_on_commit_callbacks
):
    webmaster = shop.placement.site.affiliate
    other = PlacementFactory(tenant=tenant).site.affiliate
    mine, theirs = bearer(issue_key(webmaster)), bearer(issue_key(other))
    client = client_for(tenant)
    created = post(client, {"url": receiver.url(), "events": ["conversion.created"]}, mine).json()
    click = ClickFactory(tenant=tenant, placement=shop.placement, product=shop.product,
                         clicked_at=T0 - datetime.timedelta(hours=1))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        conversions_record(merchant=shop.merchant, events=[{
            "type": "registration", "external_id": "U-1", "click_id": str(click.click_id),
            "occurred_at": "2026-03-02T10:30:00+08:00"}])  # fmt: skip
    deliveries = client.get(f"/api/v1/webhooks/{created['id']}/deliveries", **mine).json()
    [delivery] = deliveries["results"]
    assert delivery["status"] == "succeeded"
    assert delivery["log"][0]["status_code"] == 200
    replayed = client.post(
        f"/api/v1/webhooks/{created['id']}/deliveries/{delivery['id']}/replay", **mine
    )
    assert replayed.status_code == 202
    # another webmaster of the same network: 404 everywhere, and lists nothing
    assert client.get(f"/api/v1/webhooks/{created['id']}", **theirs).status_code == 404
    assert client.get(f"/api/v1/webhooks/{created['id']}/deliveries", **theirs).status_code == 404
    assert (
        client.post(
            f"/api/v1/webhooks/{created['id']}/deliveries/{delivery['id']}/replay", **theirs
        ).status_code
        == 404
    )
    assert client.get("/api/v1/webhooks", **theirs).json()["results"] == []


def test_replay_of_a_disabled_endpoint_is_a_conflict(tenant, shop):
    from tests.integrations.factories import DeliveryFactory

    delivery = DeliveryFactory(tenant=tenant, endpoint__merchant=shop.merchant,
                               endpoint__is_active=False)  # fmt: skip
    key = bearer(issue_key(shop.merchant))
    response = client_for(tenant).post(
        f"/api/v1/webhooks/{delivery.endpoint_id}/deliveries/{delivery.pk}/replay", **key
    )
    assert response.status_code == 409
    assert Delivery.objects.get().status == "pending"


def test_keys_need_the_webhook_scopes(tenant, shop):
    key = bearer(issue_key(shop.merchant, scopes=["products:read"]))
    assert client_for(tenant).get("/api/v1/webhooks", **key).status_code == 403


def test_merchant_registers_lists_and_deletes_coupons(tenant, shop):
    webmaster = shop.placement.site.affiliate
    key = bearer(issue_key(shop.merchant))
    client = client_for(tenant)
    created = client.post(
        "/api/v1/coupons",
        {"code": "Spring25", "webmaster": webmaster.email.upper(), "placement": shop.placement.code,
         "valid_from": "2026-03-01", "valid_to": "2026-03-31"},
        content_type="application/json", **key,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    assert created.json() == {
        "code": "Spring25", "webmaster": webmaster.email, "placement": shop.placement.code,
        "valid_from": "2026-03-01", "valid_to": "2026-03-31",
        "created_at": created.json()["created_at"],
    }  # fmt: skip
    again = client.post("/api/v1/coupons", {"code": "SPRING25", "webmaster": webmaster.email},
                        content_type="application/json", **key)  # fmt: skip
    assert again.status_code == 400
    assert list(again.json()["extra"]["fields"]) == ["code"]
    nobody = client.post("/api/v1/coupons", {"code": "X1", "webmaster": "nobody@example.net"},
                         content_type="application/json", **key)  # fmt: skip
    assert list(nobody.json()["extra"]["fields"]) == ["webmaster"]
    listed = client.get("/api/v1/coupons", **key).json()["results"]
    assert [c["code"] for c in listed] == ["Spring25"]
    assert client.delete("/api/v1/coupons/spring25", **key).status_code == 204
    assert client.delete("/api/v1/coupons/spring25", **key).status_code == 404
    assert client.get("/api/v1/coupons", **key).json()["results"] == []
    assert Coupon.objects.get().deleted_at is not None


def test_webmaster_keys_have_no_coupons(tenant, shop):
    key = bearer(issue_key(shop.placement.site.affiliate))
    assert client_for(tenant).get("/api/v1/coupons", **key).status_code == 403
