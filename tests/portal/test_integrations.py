"""Portal pages of integrations (issue 16): webhooks for both roles, postbacks for
webmasters, tracking keys and coupons for merchants; another owner's ids are 404."""

import re

import pytest

from apps.integrations.models import PostbackTemplate, WebhookEndpoint
from apps.tracking.models import Coupon, MerchantTrackingKey
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantUserFactory
from tests.conftest import client_for
from tests.integrations.factories import DeliveryFactory, WebhookEndpointFactory
from tests.sites.factories import PlacementFactory
from tests.tenancy.harness import rows_unchanged
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def webmaster(tenant):
    user = UserFactory()
    affiliate = AffiliateFactory(tenant=tenant, user=user, email=user.email)
    placement = PlacementFactory(tenant=tenant, site__affiliate=affiliate, code="WMP1")
    return client_for(tenant, user), affiliate, placement


@pytest.fixture
def merchant(tenant):
    link = MerchantUserFactory(tenant=tenant)
    return client_for(tenant, link.user), link.merchant


def test_webmaster_adds_a_webhook_and_sees_its_secret_once(tenant, webmaster):
    client, affiliate, _ = webmaster
    response = client.post("/webmaster/integrations/", {
        "form": "webhook", "url": "https://hooks.tracker.example/in",
        "events": ["conversion.created", "commission.approved"]})  # fmt: skip
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-secret">([^<]+)<', response.content.decode()).group(1)
    again = client.get("/webmaster/integrations/").content.decode()
    assert "hooks.tracker.example" in again
    assert secret not in again  # shown once
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.affiliate_id == affiliate.pk
    assert secret.startswith(endpoint.secret_hint)
    # a merchant-only event is refused for a webmaster, naming the field
    refused = client.post("/webmaster/integrations/", {
        "form": "webhook", "url": "https://x.example/in", "events": ["claim.decided"]})  # fmt: skip
    assert refused.status_code == 400


def test_webmaster_sets_postbacks_for_the_account_and_a_placement(tenant, webmaster):
    client, _, placement = webmaster
    for target in ("", placement.code):
        response = client.post("/webmaster/integrations/", {
            "form": "postback", "placement": target,
            "url_template": "https://t.example/pb?cid={click_id}&p={commission}",
            "events": ["conversion.created", "commission.reversed"]})  # fmt: skip
        assert response.status_code == 302
    bad = client.post("/webmaster/integrations/", {
        "form": "postback", "placement": "", "url_template": "https://t.example/?x={nope}",
        "events": ["conversion.created"]})  # fmt: skip
    assert bad.status_code == 400
    assert "Unknown macro" in bad.content.decode()
    rows = list(PostbackTemplate.objects.values_list("placement_id", "events"))
    assert sorted(rows, key=str) == sorted(
        [(None, ["conversion.created", "commission.reversed"]),
         (placement.pk, ["conversion.created", "commission.reversed"])], key=str,
    )  # fmt: skip


def test_webhook_detail_rotate_and_replay(tenant, webmaster):
    client, affiliate, _ = webmaster
    delivery = DeliveryFactory(
        tenant=tenant, endpoint__merchant=None, endpoint__affiliate=affiliate
    )
    endpoint = delivery.endpoint
    page = client.get(f"/webmaster/integrations/webhooks/{endpoint.pk}/")
    assert page.status_code == 200
    assert str(delivery.event.event_id) in page.content.decode()
    rotated = client.post(f"/webmaster/integrations/webhooks/{endpoint.pk}/rotate")
    assert rotated.status_code == 200
    assert rotated["Cache-Control"] == "no-store"
    assert "whsec_" in rotated.content.decode()
    replay = client.post(
        f"/webmaster/integrations/webhooks/{endpoint.pk}/replay", {"delivery": delivery.pk}
    )
    assert replay.status_code == 302
    assert client.post(f"/webmaster/integrations/webhooks/{endpoint.pk}/explode").status_code == 404


def test_other_owners_webhooks_are_404(tenant, other_tenant, webmaster, merchant):
    client, _, _ = webmaster
    merchant_client, shop = merchant
    theirs = WebhookEndpointFactory(tenant=tenant, merchant=shop)  # the merchant's, same tenant
    foreign = WebhookEndpointFactory(tenant=other_tenant)
    with rows_unchanged(tenant, other_tenant):
        for endpoint in (theirs, foreign):
            url = f"/webmaster/integrations/webhooks/{endpoint.pk}/"
            assert client.get(url).status_code == 404
            assert client.post(f"{url}delete").status_code == 404
    assert merchant_client.get(f"/merchant/integrations/webhooks/{theirs.pk}/").status_code == 200
    assert merchant_client.get(f"/merchant/integrations/webhooks/{foreign.pk}/").status_code == 404


def test_merchant_issues_tracking_keys_and_registers_coupons(tenant, merchant, webmaster):
    client, shop = merchant
    _, affiliate, placement = webmaster
    issued = client.post("/merchant/integrations/", {"form": "tracking-key", "kind": "postback"})
    assert issued.status_code == 200
    assert issued["Cache-Control"] == "no-store"
    assert "pbk_" in issued.content.decode()
    pixel = client.post("/merchant/integrations/", {"form": "tracking-key", "kind": "pixel"})
    token = MerchantTrackingKey.objects.get(kind="pixel").public_token
    assert f"/px/conv?token={token}" in client.get("/merchant/integrations/").content.decode()
    assert pixel.status_code == 200
    added = client.post("/merchant/integrations/", {
        "form": "coupon", "code": "SAVE5", "webmaster": affiliate.email,
        "placement": placement.code})  # fmt: skip
    assert added.status_code == 302
    dup = client.post("/merchant/integrations/", {"form": "coupon", "code": "save5",
                                                  "webmaster": affiliate.email})  # fmt: skip
    assert dup.status_code == 400
    coupon = Coupon.objects.get()
    key = MerchantTrackingKey.objects.get(kind="postback")
    assert (coupon.merchant_id, coupon.affiliate_id, coupon.placement_id) == (
        shop.pk, affiliate.pk, placement.pk,
    )  # fmt: skip
    assert client.post(f"/merchant/integrations/keys/{key.pk}/revoke").status_code == 302
    assert client.post(f"/merchant/integrations/coupons/{coupon.pk}/delete").status_code == 302
    assert MerchantTrackingKey.objects.get(pk=key.pk).revoked_at is not None
    assert Coupon.objects.get().deleted_at is not None


def test_merchant_cannot_touch_another_merchants_keys_or_coupons(tenant, merchant):
    client, _ = merchant
    other = MerchantUserFactory(tenant=tenant).merchant
    from tests.tracking.factories import CouponFactory, MerchantTrackingKeyFactory

    coupon = CouponFactory(tenant=tenant, merchant=other)
    key = MerchantTrackingKeyFactory(tenant=tenant, merchant=other)
    assert client.post(f"/merchant/integrations/coupons/{coupon.pk}/delete").status_code == 404
    assert client.post(f"/merchant/integrations/keys/{key.pk}/revoke").status_code == 404
