"""The back office: the network's own endpoints (secret shown once on its own page), rotate,
replay, enable; coupons added through the service."""

import re

import pytest

from apps.integrations.models import Delivery, WebhookEndpoint
from apps.tracking.models import Coupon
from tests.campaigns.factories import MerchantFactory
from tests.conftest import client_for, make_staff
from tests.integrations.factories import DeliveryFactory
from tests.sites.factories import PlacementFactory

pytestmark = pytest.mark.django_db

ENDPOINTS = "/admin/integrations/webhookendpoint/"


@pytest.fixture
def admin_client(tenant):
    return client_for(tenant, make_staff(tenant, "tenant_admin"))


def test_staff_add_a_network_endpoint_and_see_its_secret_once(tenant, admin_client):
    response = admin_client.post(f"{ENDPOINTS}add/", {
        "url": "https://ops.network.example/hook", "events": ["conversion.created"],
        "description": "data warehouse"})  # fmt: skip
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert re.search(r'id="webhook-secret"[^>]*>whsec_', response.content.decode())
    endpoint = WebhookEndpoint.objects.get()
    assert (endpoint.merchant_id, endpoint.affiliate_id) == (None, None)
    refused = admin_client.post(f"{ENDPOINTS}add/", {
        "url": "http://169.254.169.254/", "events": ["conversion.created"]})  # fmt: skip
    assert refused.status_code == 200  # the form again, with the error
    assert "is not a public address" in refused.content.decode()
    assert WebhookEndpoint.objects.count() == 1


def test_rotate_and_replay_actions(tenant, admin_client):
    delivery = DeliveryFactory(tenant=tenant, status="failed")
    selected = {"action": "rotate_secret", "_selected_action": [delivery.endpoint_id]}
    rotated = admin_client.post(ENDPOINTS, selected)
    assert rotated.status_code == 200
    assert "whsec_" in rotated.content.decode()
    replay = admin_client.post("/admin/integrations/delivery/", {
        "action": "replay_deliveries", "_selected_action": [delivery.pk]})  # fmt: skip
    assert replay.status_code == 302
    assert Delivery.objects.get().status == "pending"
    page = admin_client.get(f"/admin/integrations/delivery/{delivery.pk}/change/")
    assert page.status_code == 200


def test_staff_register_a_coupon_through_the_service(tenant, admin_client):
    merchant = MerchantFactory(tenant=tenant)
    placement = PlacementFactory(tenant=tenant)
    affiliate = placement.site.affiliate
    response = admin_client.post("/admin/tracking/coupon/add/", {
        "merchant": merchant.pk, "code": "STAFF1", "affiliate": affiliate.pk,
        "placement": placement.pk, "valid_from": "2026-03-01"})  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    duplicate = admin_client.post("/admin/tracking/coupon/add/", {
        "merchant": merchant.pk, "code": "staff1", "affiliate": affiliate.pk,
        "valid_from": "2026-03-01"})  # fmt: skip
    assert duplicate.status_code == 200
    assert "already registered" in duplicate.content.decode()
    assert Coupon.objects.count() == 1
