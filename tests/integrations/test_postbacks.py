"""Webmaster postbacks (issue 16): a GET with macros to the webmaster's tracker when a
conversion is attributed to them and when its commission is approved or reversed."""

import datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine

from apps.core.events import event_emit
from apps.integrations.errors import WebhookError
from apps.integrations.models import Delivery
from apps.integrations.services.deliveries import delivery_replay
from apps.integrations.services.postbacks import postback_template_set
from apps.tracking.models import Conversion
from apps.tracking.services.conversions import conversions_record
from apps.tracking.services.coupons import coupon_create
from tests.commissions.factories import CommissionFactory
from tests.sites.factories import PlacementFactory
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

T0 = datetime.datetime(2026, 3, 2, 3, 0, tzinfo=datetime.UTC)
TEMPLATE = (
    "{base}?cid={{click_id}}&sub={{sub}}&event={{event}}&amount={{amount}}"
    "&payout={{commission}}&status={{status}}&cur={{currency}}&conv={{conversion_id}}"
)


@pytest.fixture
def world(tenant):
    shop = make_shop(tenant)
    click = ClickFactory(tenant=tenant, placement=shop.placement, product=shop.product,
                         clicked_at=T0 - datetime.timedelta(hours=1), sub="fb ads/7")  # fmt: skip
    return shop, click, shop.placement.site.affiliate


def order(click=None, external_id="O-1", coupon=None):
    event = {"type": "order", "external_id": external_id, "amount": "88.50",
             "occurred_at": "2026-03-02T10:30:00+08:00"}  # fmt: skip
    if click is not None:
        event["click_id"] = str(click.click_id)
    if coupon:
        event["coupon"] = coupon
    return event


def emit(type_, commission, shop, webmaster):
    event_emit(type_, data={"id": commission.pk, "conversion_id": commission.conversion_id},
               merchant_id=shop.merchant.pk, affiliate_id=webmaster.pk)  # fmt: skip


def query(request):
    return {
        k: v[0] for k, v in parse_qs(urlsplit(request.path).query, keep_blank_values=True).items()
    }


@time_machine.travel(T0, tick=False)
def test_postback_fires_on_attribution_approval_and_reversal(
    tenant, world, receiver, django_capture_on_commit_callbacks
):
    shop, click, webmaster = world
    postback_template_set(
        affiliate=webmaster, url_template=TEMPLATE.format(base=receiver.url("/pb"))
    )
    with django_capture_on_commit_callbacks(execute=True):
        conversions_record(merchant=shop.merchant, events=[order(click)])
    conversion = Conversion.objects.get()
    line_1 = CommissionFactory(tenant=tenant, conversion=conversion, affiliate=webmaster,
                               amount=Decimal("5.00"), status="approved")  # fmt: skip
    line_2 = CommissionFactory(tenant=tenant, conversion=conversion, affiliate=webmaster,
                               amount=Decimal("3.00"), status="approved")  # fmt: skip
    # two commission lines of one order approved together: one "approved" postback
    with django_capture_on_commit_callbacks(execute=True):
        for line in (line_1, line_2):
            emit("commission.approved", line, shop, webmaster)
    created, approved = (query(r) for r in receiver.requests)
    assert all(r.method == "GET" for r in receiver.requests)
    assert created == {
        "cid": str(click.click_id), "sub": "fb ads/7", "event": "conversion.created",
        "amount": "88.50", "payout": "0.00", "status": "pending", "cur": tenant.currency,
        "conv": str(conversion.pk),
    }  # fmt: skip
    assert (approved["event"], approved["status"], approved["payout"]) == (
        "commission.approved", "approved", "8.00",
    )  # fmt: skip
    line_1.reversed_amount, line_1.status = Decimal("5.00"), "reversed"
    line_1.save()
    with django_capture_on_commit_callbacks(execute=True):
        emit("commission.reversed", line_1, shop, webmaster)
    reversed_ = query(receiver.requests[2])
    assert (reversed_["status"], reversed_["payout"]) == ("reversed", "5.00")
    # replay sends the very same URL
    with django_capture_on_commit_callbacks(execute=True):
        delivery_replay(delivery=Delivery.objects.order_by("id").first())
    assert receiver.requests[3].path == receiver.requests[0].path


@time_machine.travel(T0, tick=False)
def test_a_placements_own_template_wins_over_the_accounts(
    tenant, world, receiver, django_capture_on_commit_callbacks
):
    shop, click, webmaster = world
    other_placement = PlacementFactory(tenant=tenant, site=shop.placement.site, code="PLACE9")
    postback_template_set(affiliate=webmaster, url_template=receiver.url("/account?c={click_id}"))
    postback_template_set(affiliate=webmaster, placement=shop.placement,
                          url_template=receiver.url("/placement?c={click_id}"))  # fmt: skip
    other_click = ClickFactory(tenant=tenant, placement=other_placement, product=shop.product,
                               clicked_at=T0 - datetime.timedelta(hours=1))  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        events = [order(click), order(other_click, external_id="O-2")]
        conversions_record(merchant=shop.merchant, events=events)
    assert sorted(urlsplit(r.path).path for r in receiver.requests) == ["/account", "/placement"]


@time_machine.travel(T0, tick=False)
def test_coupon_orders_post_back_with_an_empty_click_id(
    tenant, world, receiver, django_capture_on_commit_callbacks
):
    shop, _, webmaster = world
    coupon_create(merchant=shop.merchant, code="WM10", affiliate=webmaster,
                  placement=shop.placement)  # fmt: skip
    postback_template_set(affiliate=webmaster, url_template=TEMPLATE.format(base=receiver.url()))
    with django_capture_on_commit_callbacks(execute=True):
        conversions_record(merchant=shop.merchant, events=[order(coupon="wm10")])
    [request] = receiver.requests
    assert (query(request)["cid"], query(request)["sub"]) == ("", "")


@time_machine.travel(T0, tick=False)
def test_other_webmasters_conversions_never_post_back(
    tenant, world, receiver, django_capture_on_commit_callbacks
):
    shop, click, _ = world
    stranger = PlacementFactory(tenant=tenant).site.affiliate
    postback_template_set(affiliate=stranger, url_template=receiver.url())
    with django_capture_on_commit_callbacks(execute=True):
        conversions_record(merchant=shop.merchant, events=[order(click)])
    assert receiver.requests == []


@pytest.mark.parametrize(
    ("template", "field"),
    [("https://t.example/pb?x={payout}", "url_template"),
     ("https://t.example/pb?x={click_id", "url_template"),
     ("http://169.254.169.254/{click_id}", "url_template"),
     ("ftp://t.example/{click_id}", "url_template")],
)  # fmt: skip
def test_bad_templates_are_refused(tenant, world, settings, template, field):
    settings.OUTBOUND_ALLOWED_NETWORKS = []
    _, _, webmaster = world
    with pytest.raises(WebhookError) as refused:
        postback_template_set(affiliate=webmaster, url_template=template)
    assert list(refused.value.fields) == [field]


def test_a_placement_of_another_webmaster_is_refused(tenant, world):
    shop, _, _ = world
    stranger = PlacementFactory(tenant=tenant).site.affiliate
    with pytest.raises(WebhookError) as refused:
        postback_template_set(affiliate=stranger, placement=shop.placement,
                              url_template="https://t.example/{click_id}")  # fmt: skip
    assert list(refused.value.fields) == ["placement"]
