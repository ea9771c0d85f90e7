"""POST /api/v1/conversions: attribution, idempotency (also under 20 concurrent posts),
per-event rejections, and the envelope's limits."""

import datetime
import json
import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.tenants.scope import tenant_scope
from apps.tracking.models import Conversion, ConversionItem
from tests.api.factories import bearer, issue_key
from tests.conftest import client_for
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

CLICKED = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)
URL = "/api/v1/conversions"


def post(client, key, body):
    payload = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post(URL, payload, content_type="application/json", **bearer(key))


def stored(tenant):
    with tenant_scope(tenant):
        return list(
            Conversion.objects.order_by("type", "external_id").values_list(
                "type", "external_id", "amount", "customer_type", "day", "click_id"
            )
        )


def items_of(tenant):
    with tenant_scope(tenant):
        return list(
            ConversionItem.objects.order_by("sku").values_list(
                "sku", "product_type", "quantity", "amount", "product_id"
            )
        )


@pytest.fixture
def world(tenant):
    shop = make_shop(tenant)
    click = ClickFactory(tenant=tenant, placement=shop.placement, product=shop.product,
                         clicked_at=CLICKED)  # fmt: skip
    key = issue_key(shop.merchant)
    return shop, click, key


def batch(click, *, prefix=""):
    return {
        "events": [
            {
                "type": "registration",
                "external_id": f"{prefix}U-1",
                "click_id": str(click.click_id),
                "occurred_at": "2026-03-02T10:05:00+08:00",
            },
            {
                "type": "order",
                "external_id": f"{prefix}O-1",
                "click_id": str(click.click_id),
                "occurred_at": "2026-03-02T10:30:00+08:00",
                "amount": 199.90,
                "customer_ref": "cust-7",
                "unknown_field": "ignored",
                "items": [
                    {"sku": "SKU-1", "quantity": 1, "amount": "149.90"},
                    {"sku": "GIFT", "product_type": "gift", "quantity": 2, "amount": "50.00"},
                ],
            },
        ]
    }


class TestRecording:
    def test_events_are_attributed_and_kept_with_their_items(self, tenant, world):
        shop, click, key = world
        response = post(client_for(tenant), key, batch(click))
        assert response.status_code == 200
        assert response.json() == {
            "results": [
                {"external_id": "U-1", "type": "registration", "status": "created"},
                {"external_id": "O-1", "type": "order", "status": "created"},
            ]
        }
        day = datetime.date(2026, 3, 2)
        assert stored(tenant) == [
            ("order", "O-1", Decimal("199.90"), "new", day, click.pk),
            ("registration", "U-1", None, "", day, click.pk),
        ]
        order = Conversion.objects.get(type="order")
        assert (order.placement_id, order.affiliate_id, order.product_id) == (
            click.placement_id,
            click.affiliate_id,
            shop.product.pk,
        )
        assert order.status == "pending"
        assert items_of(tenant) == [
            ("GIFT", "gift", 2, Decimal("50.00"), None),
            ("SKU-1", "electronics", 1, Decimal("149.90"), shop.product.pk),
        ]

    def test_the_same_events_posted_twice_count_once(self, tenant, world):
        _, click, key = world
        client = client_for(tenant)
        post(client, key, batch(click))
        again = post(client, key, batch(click))
        assert again.status_code == 200
        assert [r["status"] for r in again.json()["results"]] == ["duplicate", "duplicate"]
        assert len(stored(tenant)) == 2
        assert len(items_of(tenant)) == 2

    def test_a_repeat_inside_one_batch_is_a_duplicate(self, tenant, world):
        _, click, key = world
        events = batch(click)["events"]
        response = post(client_for(tenant), key, {"events": [events[1], events[1], events[0]]})
        assert [r["status"] for r in response.json()["results"]] == [
            "created",
            "duplicate",
            "created",
        ]
        assert len(stored(tenant)) == 2

    def test_day_is_the_tenant_local_date(self, tenant, world):
        _, click, key = world
        event = {"type": "registration", "external_id": "late", "click_id": str(click.click_id),
                 "occurred_at": "2026-03-02T17:30:00+00:00"}  # fmt: skip
        post(client_for(tenant), key, {"events": [event]})
        assert stored(tenant)[0][4] == datetime.date(2026, 3, 3)  # 01:30 in Shanghai

    def test_customer_type_new_then_returning_by_customer_ref(self, tenant, world):
        _, click, key = world
        client = client_for(tenant)

        def order(external_id, occurred, **extra):
            return {"type": "order", "external_id": external_id, "click_id": str(click.click_id),
                    "occurred_at": occurred, "amount": "10.00", **extra}  # fmt: skip

        post(client, key, {"events": [order("A", "2026-03-02T12:00:00+08:00", customer_ref="c1")]})
        post(client, key, {"events": [
            order("B", "2026-03-03T12:00:00+08:00", customer_ref="c1"),
            order("C", "2026-03-02T11:00:00+08:00", customer_ref="c2"),
            order("D", "2026-03-02T13:00:00+08:00", customer_ref="c2"),
            order("E", "2026-03-03T12:00:00+08:00", customer_ref="c1", customer_type="new"),
            order("F", "2026-03-03T12:00:00+08:00"),
        ]})  # fmt: skip
        kinds = {row[1]: row[3] for row in stored(tenant)}
        assert kinds == {
            "A": "new",
            "B": "returning",
            "C": "new",
            "D": "returning",
            "E": "new",
            "F": "new",
        }


class TestRejections:
    def test_each_bad_event_is_rejected_alone_naming_its_fields(self, tenant, world):
        shop, click, key = world
        other_merchants_click = ClickFactory(tenant=tenant, placement=shop.placement,
                                             clicked_at=CLICKED)  # fmt: skip
        ok = batch(click)["events"][1]
        events = [
            {**ok, "external_id": "neg", "amount": "-1.00"},
            {**ok, "external_id": "mills", "amount": "10.005"},
            {**ok, "external_id": "txt", "amount": "ten"},
            {**ok, "external_id": "naive", "occurred_at": "2026-03-02T10:30:00"},
            {**ok, "external_id": "unknown", "click_id": "8d3c9c8e-0000-4000-8000-000000000000"},
            {**ok, "external_id": "other", "click_id": str(other_merchants_click.click_id)},
            {**ok, "external_id": "old", "occurred_at": "2026-04-02T10:30:00+08:00"},
            {**ok, "external_id": "before", "occurred_at": "2026-03-01T10:30:00+08:00"},
            {**ok, "type": "refund", "external_id": "type"},
            {**ok, "external_id": ""},
            {**ok, "external_id": "item", "items": [{"sku": "X", "quantity": 0, "amount": "-2"}]},
            "not an object",
            ok,
        ]
        response = post(client_for(tenant), key, {"events": events})
        assert response.status_code == 200
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["rejected"] * 12 + ["created"]
        errors = [set(r.get("errors", {})) for r in results]
        assert errors == [
            {"amount"}, {"amount"}, {"amount"}, {"occurred_at"}, {"click_id"}, {"click_id"},
            {"click_id"}, {"occurred_at"}, {"type"}, {"external_id"},
            {"items[0].quantity", "items[0].amount"}, {"event"}, set(),
        ]  # fmt: skip
        assert "30 days" in results[6]["errors"]["click_id"]
        assert [row[1] for row in stored(tenant)] == ["O-1"]

    def test_more_than_1000_events_is_400_and_records_nothing(self, tenant, world):
        _, click, key = world
        event = batch(click)["events"][0]
        events = [{**event, "external_id": f"U-{n}"} for n in range(1001)]
        response = post(client_for(tenant), key, {"events": events})
        assert response.status_code == 400
        assert "events" in response.json()["extra"]["fields"]
        assert stored(tenant) == []

    def test_1000_events_are_fine(self, tenant, world):
        _, click, key = world
        event = batch(click)["events"][0]
        events = [{**event, "external_id": f"U-{n}"} for n in range(1000)]
        response = post(client_for(tenant), key, {"events": events})
        assert response.status_code == 200
        assert len(stored(tenant)) == 1000

    @pytest.mark.parametrize(
        "body", ['{"events": [', "not json", '["events"]', '{"events": {}}', '{"events": NaN}']
    )
    def test_malformed_bodies_are_400(self, tenant, world, body):
        _, _, key = world
        response = post(client_for(tenant), key, body)
        assert response.status_code == 400
        assert response.json()["code"] in {"parse_error", "invalid"}
        assert stored(tenant) == []

    def test_a_key_without_the_scope_is_403(self, tenant, world):
        shop, click, _ = world
        key = issue_key(shop.merchant, scopes=["products:read"])
        assert post(client_for(tenant), key, batch(click)).status_code == 403
        assert stored(tenant) == []

    def test_a_webmaster_key_is_403(self, tenant, world):
        shop, click, _ = world
        key = issue_key(shop.placement.site.affiliate)
        assert post(client_for(tenant), key, batch(click)).status_code == 403


class TestCrossTenant:
    def test_another_tenants_click_id_is_rejected(self, tenant, other_tenant, world):
        _, _, key = world
        theirs = make_shop(other_tenant)
        their_click = ClickFactory(tenant=other_tenant, placement=theirs.placement,
                                   product=theirs.product, clicked_at=CLICKED)  # fmt: skip
        response = post(client_for(tenant), key, batch(their_click))
        results = response.json()["results"]
        assert [r["status"] for r in results] == ["rejected", "rejected"]
        assert results[0]["errors"] == {"click_id": f"Unknown click_id {their_click.click_id}."}
        assert stored(tenant) == []
        assert stored(other_tenant) == []

    def test_a_key_on_another_tenants_host_is_401(self, tenant, other_tenant, world):
        _, click, key = world
        make_shop(other_tenant)
        assert post(client_for(other_tenant), key, batch(click)).status_code == 401
        assert stored(other_tenant) == []


@pytest.mark.django_db(transaction=True)
def test_20_concurrent_posts_of_one_batch_create_each_conversion_once(tenant):
    shop = make_shop(tenant)
    click = ClickFactory(tenant=tenant, placement=shop.placement, product=shop.product,
                         clicked_at=CLICKED)  # fmt: skip
    key = issue_key(shop.merchant)
    body = batch(click)
    ok = body["events"][1]
    body["events"] += [{**ok, "external_id": f"O-{n}"} for n in range(2, 10)]
    barrier = threading.Barrier(20)
    answers: list[list[str]] = []
    failures: list[BaseException] = []

    def worker():
        try:
            client = client_for(tenant)
            barrier.wait(timeout=30)
            response = post(client, key, body)
            assert response.status_code == 200, response.content
            answers.append([r["status"] for r in response.json()["results"]])
        except BaseException as exc:  # collected and re-raised in the main thread
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert len(answers) == 20
    # each of the 10 events is created by exactly one of the posts, duplicate in the 19 others
    for position in range(10):
        statuses = sorted(answer[position] for answer in answers)
        assert statuses == ["created"] + ["duplicate"] * 19
    assert len(stored(tenant)) == 10
    assert len(items_of(tenant)) == 18  # 9 orders x 2 items
