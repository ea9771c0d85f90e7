"""Webhooks against a real HTTP receiver on 127.0.0.1 (issue 16 "What it must show").

Loopback is reachable only because config/settings/test.py re-allows 127.0.0.0/8 for these
receivers; the SSRF tests switch that off again to show the refusal.
"""

import datetime
import json

import pytest
import time_machine
from django.core import mail

from apps.integrations import crypto, outbound
from apps.integrations.errors import WebhookError
from apps.integrations.models import Delivery, DeliveryStatus, WebhookEndpoint
from apps.integrations.services.deliveries import RETRY_FOR, delivery_replay
from apps.integrations.services.webhooks import (
    target_enable,
    webhook_endpoint_create,
    webhook_endpoint_rotate,
)
from apps.integrations.tasks import deliveries_due_task
from apps.tenants.scope import tenant_scope
from apps.tracking.services.conversions import conversions_record
from tests.campaigns.factories import MerchantFactory, MerchantUserFactory
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC)
CLICKED = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)


@pytest.fixture
def shop(tenant):
    shop = make_shop(tenant)
    shop.click = ClickFactory(tenant=tenant, placement=shop.placement, product=shop.product,
                              clicked_at=CLICKED)  # fmt: skip
    return shop


def hook(tenant, shop, url, events=("conversion.created",)):
    with tenant_scope(tenant):
        return webhook_endpoint_create(url=url, events=list(events), merchant=shop.merchant)


def sell(tenant, shop, capture, external_id="O-1"):
    """An order posted by the merchant; on-commit work (the delivery) runs as in production."""
    event = {"type": "order", "external_id": external_id, "click_id": str(shop.click.click_id),
             "occurred_at": "2026-03-02T10:30:00+08:00", "amount": "99.00",
             "customer_ref": "cust-1"}  # fmt: skip
    with tenant_scope(tenant), capture(execute=True):
        return conversions_record(merchant=shop.merchant, events=[event])


def run_due(tenant, traveller, after):
    traveller.shift(after)
    with tenant_scope(tenant):
        deliveries_due_task.delay(tenant_id=tenant.pk)


def the_delivery(tenant):
    with tenant_scope(tenant):
        return Delivery.objects.get()


@time_machine.travel(T0, tick=False)
def test_signature_verifies_with_the_shown_secret_and_fails_after_rotation(
    tenant, shop, receiver, django_capture_on_commit_callbacks
):
    issued = hook(tenant, shop, receiver.url())
    sell(tenant, shop, django_capture_on_commit_callbacks)
    [request] = receiver.requests
    body = json.loads(request.body)
    assert request.method == "POST"
    assert set(body) == {"id", "type", "created_at", "data"}
    assert body["type"] == "conversion.created"
    assert body["data"]["external_id"] == "O-1"  # the merchant's own endpoint sees its refs
    assert request.headers["Alliance-Event-Id"] == body["id"]
    signature = request.headers["Alliance-Signature"]
    assert signature.startswith(f"t={int(T0.timestamp())},v1=")
    assert crypto.signature_verify(secret=issued.secret, body=request.body, header=signature)
    # rotating gives a new secret; what is signed from then on fails with the old one
    rotated = webhook_endpoint_rotate(endpoint=issued.endpoint)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_replay(delivery=Delivery.objects.get())
    replayed = receiver.requests[1]
    assert replayed.body == request.body
    header = replayed.headers["Alliance-Signature"]
    assert not crypto.signature_verify(secret=issued.secret, body=replayed.body, header=header)
    assert crypto.signature_verify(secret=rotated.secret, body=replayed.body, header=header)
    # and a tampered body never verifies
    assert not crypto.signature_verify(secret=rotated.secret, body=b"{}", header=header)


def test_secret_is_stored_encrypted(tenant, shop, receiver):
    issued = hook(tenant, shop, receiver.url())
    stored = WebhookEndpoint.objects.get()
    assert issued.secret not in stored.secret_encrypted
    assert crypto.secret_decrypt(stored.secret_encrypted) == issued.secret
    assert stored.secret_hint == issued.secret[:10]


@time_machine.travel(T0, tick=False)
def test_a_receiver_answering_500_three_times_gets_the_event_on_the_fourth_try(
    tenant, shop, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 500, 500, 200]
    hook(tenant, shop, receiver.url())
    with time_machine.travel(T0, tick=False) as traveller:
        sell(tenant, shop, django_capture_on_commit_callbacks)
        # each retry waits longer: 1, 2, 4 minutes (plus at most 9 %)
        for minutes in (1, 2, 4):
            run_due(tenant, traveller, datetime.timedelta(minutes=minutes * 1.1))
        run_due(tenant, traveller, datetime.timedelta(hours=1))  # nothing left to send
    assert len(receiver.requests) == 4
    bodies = {r.body for r in receiver.requests}
    assert len(bodies) == 1  # the same event id and body on every try
    ids = {r.headers["Alliance-Event-Id"] for r in receiver.requests}
    assert ids == {json.loads(bodies.pop())["id"]}
    delivery = the_delivery(tenant)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("succeeded", 4, 200)
    assert [a.status_code for a in delivery.log.order_by("number")] == [500, 500, 500, 200]


@time_machine.travel(T0, tick=False)
def test_retries_too_early_send_nothing_and_a_second_worker_cannot_double_send(
    tenant, shop, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [500, 200]
    hook(tenant, shop, receiver.url())
    with time_machine.travel(T0, tick=False) as traveller:
        sell(tenant, shop, django_capture_on_commit_callbacks)
        run_due(tenant, traveller, datetime.timedelta(seconds=30))  # not due yet
        assert len(receiver.requests) == 1
        traveller.shift(datetime.timedelta(minutes=2))
        from apps.integrations.services.deliveries import delivery_attempt

        delivery = Delivery.objects.get()
        Delivery.objects.filter(pk=delivery.pk).update(lease_until=T0 + datetime.timedelta(hours=1))
        assert delivery_attempt(delivery_id=delivery.pk) is None  # held by another worker
    assert len(receiver.requests) == 1


@pytest.mark.parametrize(
    "answer",
    [["127.0.0.1"], ["10.1.2.3"], ["169.254.169.254"], ["93.184.216.34", "10.0.0.7"],
     ["::ffff:127.0.0.1"], ["fd00:ec2::254"]],
)  # fmt: skip
@time_machine.travel(T0, tick=False)
def test_urls_resolving_to_internal_addresses_are_refused(
    tenant, shop, receiver, settings, monkeypatch, django_capture_on_commit_callbacks, answer
):
    settings.OUTBOUND_ALLOWED_NETWORKS = []  # production: nothing re-allowed
    lookups = []

    def fake_dns(host, port):
        lookups.append(host)
        import ipaddress

        return [ipaddress.ip_address(a) for a in answer]

    monkeypatch.setattr(outbound, "resolve", fake_dns)
    hook(tenant, shop, f"http://hooks.partner.example:{receiver.port}/hook")
    sell(tenant, shop, django_capture_on_commit_callbacks)
    assert receiver.requests == []
    assert lookups == ["hooks.partner.example"]
    delivery = the_delivery(tenant)
    assert delivery.status == DeliveryStatus.PENDING  # retried: DNS answers can change
    assert delivery.last_error.startswith("refused:")
    assert "not a public address" in delivery.last_error


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "http://10.0.0.8/x", "http://169.254.169.254/latest/meta-data",
     "http://[::1]/x", "http://localhost:8000/x", "http://metadata.google.internal/x",
     "https://user:pw@hooks.partner.example/x", "ftp://hooks.partner.example/x",
     "http://0.0.0.0/x"],
)  # fmt: skip
def test_literal_internal_urls_are_refused_when_saved(tenant, shop, settings, url):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    with pytest.raises(WebhookError) as refused:
        webhook_endpoint_create(url=url, events=["conversion.created"], merchant=shop.merchant)
    assert list(refused.value.fields) == ["url"]


def test_webhooks_need_https_outside_tests(tenant, shop, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    with pytest.raises(WebhookError, match="https"):
        webhook_endpoint_create(
            url="http://hooks.partner.example/x", events=["conversion.created"],
            merchant=shop.merchant,
        )  # fmt: skip


@time_machine.travel(T0, tick=False)
def test_we_connect_to_the_address_we_checked_not_a_second_lookup(
    tenant, shop, receiver, monkeypatch, django_capture_on_commit_callbacks
):
    import ipaddress

    lookups = []

    def fake_dns(host, port):
        lookups.append(host)
        return [ipaddress.ip_address("127.0.0.1")]  # (re-allowed for tests only)

    monkeypatch.setattr(outbound, "resolve", fake_dns)
    hook(tenant, shop, f"http://receiver.test:{receiver.port}/hook")
    sell(tenant, shop, django_capture_on_commit_callbacks)
    [request] = receiver.requests  # receiver.test exists in no DNS: we dialled the checked IP
    assert request.headers["Host"] == f"receiver.test:{receiver.port}"
    assert lookups == ["receiver.test"]


@time_machine.travel(T0, tick=False)
def test_a_redirect_to_an_internal_address_is_not_followed(
    tenant, shop, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [("redirect", "http://169.254.169.254/latest/meta-data/")]
    hook(tenant, shop, receiver.url())
    sell(tenant, shop, django_capture_on_commit_callbacks)
    assert len(receiver.requests) == 1
    delivery = the_delivery(tenant)
    assert delivery.last_status_code == 302
    assert "not followed" in delivery.last_error
    assert delivery.status == DeliveryStatus.PENDING  # a failed attempt, to be retried


@time_machine.travel(T0, tick=False)
def test_replay_resends_the_same_body(tenant, shop, receiver, django_capture_on_commit_callbacks):
    hook(tenant, shop, receiver.url())
    sell(tenant, shop, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        delivery_replay(delivery=Delivery.objects.get())
    first, again = receiver.requests
    assert again.body == first.body
    delivery = the_delivery(tenant)
    log = list(delivery.log.order_by("number").values_list("number", "is_replay", "status_code"))
    assert log == [(1, False, 200), (2, True, 200)]


@time_machine.travel(T0, tick=False)
def test_an_endpoint_failing_for_a_day_is_disabled_and_its_owner_emailed(
    tenant, shop, receiver, django_capture_on_commit_callbacks
):
    receiver.answers = [503]
    MerchantUserFactory(tenant=tenant, merchant=shop.merchant, user__email="ops@shop.example")
    issued = hook(tenant, shop, receiver.url())
    with time_machine.travel(T0, tick=False) as traveller:
        sell(tenant, shop, django_capture_on_commit_callbacks)
        sell(tenant, shop, django_capture_on_commit_callbacks, external_id="O-2")
        # retry until one delivery gives up, a little over 24 hours on
        while True:
            due = Delivery.objects.filter(status=DeliveryStatus.PENDING).order_by("next_attempt_at")
            if not due.exists():
                break
            next_at = due.first().next_attempt_at
            traveller.move_to(next_at + datetime.timedelta(seconds=1))
            with django_capture_on_commit_callbacks(execute=True):
                deliveries_due_task.delay(tenant_id=tenant.pk)
    # the one that gave up first disabled the endpoint and so cancelled the other
    gave_up = Delivery.objects.get(status=DeliveryStatus.FAILED)
    assert gave_up.updated_at - gave_up.created_at >= RETRY_FOR
    assert 10 <= gave_up.attempts <= 14  # exponential: 1, 2, 4 ... minutes, then 8-hour steps
    endpoint = WebhookEndpoint.objects.get()
    statuses = set(Delivery.objects.values_list("status", flat=True))
    assert endpoint.is_active is False
    assert "No successful delivery since" in endpoint.disabled_reason
    assert statuses == {DeliveryStatus.FAILED, DeliveryStatus.CANCELLED}
    [email] = mail.outbox
    assert email.to == ["ops@shop.example"]
    assert issued.endpoint.url in email.body
    # re-enabled, it hears new events again
    receiver.answers = [200]
    target_enable(target=endpoint)
    sell(tenant, shop, django_capture_on_commit_callbacks, external_id="O-3")
    assert receiver.requests[-1].headers["Alliance-Event-Type"] == "conversion.created"
    assert json.loads(receiver.requests[-1].body)["data"]["external_id"] == "O-3"


@time_machine.travel(T0, tick=False)
def test_each_owner_hears_only_its_own_events_and_webmasters_never_the_merchants_refs(
    tenant, other_tenant, shop, receiver, django_capture_on_commit_callbacks
):
    other_merchant = MerchantFactory(tenant=tenant)
    webmaster = shop.placement.site.affiliate
    webhook_endpoint_create(url=receiver.url("/merchant"), events=["conversion.created"],
                            merchant=shop.merchant)  # fmt: skip
    webhook_endpoint_create(url=receiver.url("/other"), events=["conversion.created"],
                            merchant=other_merchant)  # fmt: skip
    webhook_endpoint_create(url=receiver.url("/webmaster"), events=["conversion.created"],
                            affiliate=webmaster)  # fmt: skip
    webhook_endpoint_create(url=receiver.url("/network"), events=["conversion.created"])
    webhook_endpoint_create(url=receiver.url("/deaf"), events=["commission.approved"])
    their = make_shop(other_tenant, code="THEIRS")
    with tenant_scope(other_tenant):
        webhook_endpoint_create(url=receiver.url("/beta"), events=["conversion.created"])
    sell(tenant, shop, django_capture_on_commit_callbacks)
    heard = {r.path: json.loads(r.body)["data"] for r in receiver.requests}
    assert set(heard) == {"/merchant", "/webmaster", "/network"}
    assert heard["/merchant"]["customer_ref"] == "cust-1"
    assert "external_id" not in heard["/webmaster"]
    assert "customer_ref" not in heard["/webmaster"]
    assert heard["/webmaster"]["click_id"] == str(shop.click.click_id)
    assert their.merchant.pk  # the other tenant's endpoint heard nothing


def test_a_rolled_back_write_delivers_nothing(tenant, shop, receiver):
    hook(tenant, shop, receiver.url())
    event = {"type": "registration", "external_id": "U-1", "click_id": str(shop.click.click_id),
             "occurred_at": "2026-03-02T10:30:00+08:00"}  # fmt: skip
    conversions_record(merchant=shop.merchant, events=[event])  # never committed
    assert receiver.requests == []


def test_a_batch_nobody_listens_to_costs_no_query_per_event(tenant, shop):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    cache.clear()
    events = [
        {"type": "registration", "external_id": f"U-{n}", "click_id": str(shop.click.click_id),
         "occurred_at": "2026-03-02T10:30:00+08:00"}
        for n in range(50)
    ]  # fmt: skip
    with CaptureQueriesContext(connection) as queries:
        results = conversions_record(merchant=shop.merchant, events=events)
    assert {r["status"] for r in results} == {"created"}
    ours = [q["sql"] for q in queries.captured_queries if "integrations_" in q["sql"]]
    assert len(ours) == 2  # who listens (endpoints, postbacks), read once and cached
