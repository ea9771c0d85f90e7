"""Coupon attribution (issue 16): a coupon-only order is its webmaster's; with a click too,
the tenant's coupon_attribution decides; the roll-ups and commissions take coupon orders."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.models import Commission
from apps.commissions.services.accrual import commissions_accrue_day
from apps.tenants.scope import tenant_scope
from apps.tracking.errors import CouponError
from apps.tracking.models import Conversion, PlacementDayStats, PlacementSubDayStats
from apps.tracking.services.conversions import conversions_record
from apps.tracking.services.coupons import coupon_create, coupon_delete
from apps.tracking.services.rollup import traffic_rollup_day
from tests.commissions.factories import CommissionRuleFactory
from tests.sites.factories import PlacementFactory
from tests.tracking.conftest import make_shop
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)
UNKNOWN_CLICK = "8d6e1d1e-0000-4000-8000-000000000000"
CLICKED = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)


def order(external_id, *, click=None, coupon=None, amount="100.00"):
    event = {"type": "order", "external_id": external_id, "amount": amount,
             "occurred_at": "2026-03-02T10:30:00+08:00"}  # fmt: skip
    if click is not None:
        event["click_id"] = str(click.click_id)
    if coupon is not None:
        event["coupon"] = coupon
    return event


@pytest.fixture
def world(tenant):
    shop = make_shop(tenant)
    click = ClickFactory(tenant=tenant, placement=shop.placement, product=shop.product,
                         clicked_at=CLICKED)  # fmt: skip
    coupon_placement = PlacementFactory(tenant=tenant, code="CPN1")
    with tenant_scope(tenant):
        coupon = coupon_create(
            merchant=shop.merchant, code="Save10", affiliate=coupon_placement.site.affiliate,
            placement=coupon_placement, valid_from=datetime.date(2026, 3, 1),
        )  # fmt: skip
    return shop, click, coupon


def test_a_coupon_only_order_pays_the_coupons_webmaster(tenant, world):
    shop, _, coupon = world
    CommissionRuleFactory(tenant=tenant, value=Decimal("7.0000"))
    # given an order with the coupon (any letter case) and no click_id
    results = conversions_record(merchant=shop.merchant, events=[order("C-1", coupon="SAVE10")])
    assert results == [{"external_id": "C-1", "type": "order", "status": "created"}]
    conversion = Conversion.objects.get()
    assert conversion.click_id is None
    assert (conversion.affiliate_id, conversion.placement_id, conversion.coupon_id) == (
        coupon.affiliate_id, coupon.placement_id, coupon.pk,
    )  # fmt: skip
    # when the nightly run accrues and rolls up the day
    commissions_accrue_day(day=DAY)
    traffic_rollup_day(day=DAY)
    # then the coupon's webmaster earns the order's commission, on the coupon's placement
    assert list(Commission.objects.values_list("affiliate_id", "placement_id", "amount")) == [
        (coupon.affiliate_id, coupon.placement_id, Decimal("7.00"))
    ]
    stats = PlacementDayStats.objects.get(placement=coupon.placement)
    assert (stats.orders, stats.gmv, stats.clicks) == (1, Decimal("100.00"), 0)
    sub = PlacementSubDayStats.objects.get(placement=coupon.placement)
    assert (sub.sub, sub.orders) == ("", 1)


def test_click_first_by_default_and_coupon_first_when_the_tenant_says(tenant, world):
    shop, click, coupon = world
    conversions_record(merchant=shop.merchant, events=[order("B-1", click=click, coupon="save10")])
    tenant.coupon_attribution = "coupon_first"
    tenant.save(update_fields=["coupon_attribution"])
    conversions_record(merchant=shop.merchant, events=[order("B-2", click=click, coupon="save10")])
    rows = dict(Conversion.objects.values_list("external_id", "affiliate_id"))
    assert rows == {"B-1": click.affiliate_id, "B-2": coupon.affiliate_id}


def test_fallbacks_and_rejections(tenant, world):
    shop, click, coupon = world
    results = conversions_record(
        merchant=shop.merchant,
        events=[
            # a shop's own promotion code next to a usable click: the click attributes
            order("F-1", click=click, coupon="SPRING"),
            # an unknown click but a registered coupon: the coupon attributes
            {**order("F-2", coupon="save10"), "click_id": UNKNOWN_CLICK},
            # a coupon only, not registered: rejected naming coupon
            order("F-3", coupon="SPRING"),
            # neither: click_id is required
            order("F-4"),
        ],
    )  # fmt: skip
    assert [r["status"] for r in results] == ["created", "created", "rejected", "rejected"]
    assert set(results[2]["errors"]) == {"coupon"}
    assert set(results[3]["errors"]) == {"click_id"}
    rows = dict(Conversion.objects.values_list("external_id", "affiliate_id"))
    assert rows == {"F-1": click.affiliate_id, "F-2": coupon.affiliate_id}
    # a deleted coupon attributes nothing; one out of its dates neither
    coupon_delete(coupon=coupon)
    gone = conversions_record(merchant=shop.merchant, events=[order("F-5", coupon="save10")])
    assert gone[0]["status"] == "rejected"
    late = coupon_create(merchant=shop.merchant, code="LATER", affiliate=coupon.affiliate,
                         valid_from=datetime.date(2026, 4, 1))  # fmt: skip
    early = conversions_record(merchant=shop.merchant, events=[order("F-6", coupon=late.code)])
    assert "not valid on 2026-03-02" in early[0]["errors"]["coupon"]


def test_registration_rules(tenant, other_tenant, world):
    shop, click, coupon = world
    with pytest.raises(CouponError) as taken:
        coupon_create(merchant=shop.merchant, code="SAVE10", affiliate=coupon.affiliate)
    assert taken.value.fields == {"code": [taken.value.message]}
    with pytest.raises(CouponError) as foreign:
        coupon_create(merchant=shop.merchant, code="NEW1", affiliate=coupon.affiliate,
                      placement=shop.placement)  # fmt: skip
    assert list(foreign.value.fields) == ["placement"]
    with pytest.raises(CouponError) as bad:
        coupon_create(merchant=shop.merchant, code="no spaces", affiliate=coupon.affiliate)
    assert list(bad.value.fields) == ["code"]
    # once deleted, the code may be given to someone else
    coupon_delete(coupon=coupon)
    again = coupon_create(merchant=shop.merchant, code="save10", affiliate=click.affiliate)
    assert again.pk != coupon.pk


def test_another_tenants_coupon_never_attributes(tenant, other_tenant, world):
    shop, _, _ = world
    their = make_shop(other_tenant, code="THEIRS")
    with tenant_scope(other_tenant):
        coupon_create(
            merchant=their.merchant, code="BETA1", affiliate=their.placement.site.affiliate
        )
    result = conversions_record(merchant=shop.merchant, events=[order("X-1", coupon="BETA1")])
    assert result[0]["status"] == "rejected"
