"""Performance, tagging and auction inputs read from the roll-ups (tracking.performance)."""

import datetime
from decimal import Decimal

import pytest

from apps.campaigns.auction import BidInputs
from apps.campaigns.models import Product
from apps.core.pipeline import daily_steps
from apps.tracking.performance import (
    campaign_bid_inputs,
    campaign_daily_series,
    campaign_performance,
    product_tagging_step,
)
from tests.campaigns.factories import CampaignFactory, MerchantFactory, ProductFactory
from tests.tracking.factories import CampaignDayStatsFactory, ClickFactory, ImpressionFactory

pytestmark = pytest.mark.django_db
D1 = datetime.date(2026, 3, 1)


def _stats(campaign, day, product=None, **values):
    return CampaignDayStatsFactory(
        tenant=campaign.tenant, campaign=campaign, product=product, day=day, **values
    )


def test_performance_sums_the_window_and_computes_roi_and_attainment(scoped):
    campaign = CampaignFactory(
        tenant=scoped, type="full_site", bid=None, target_roi=Decimal("3.00")
    )
    _stats(campaign, D1, spend=Decimal("100.00"), gmv=Decimal("250.00"))
    _stats(campaign, D1 + datetime.timedelta(days=1), spend=Decimal("50.00"), gmv=Decimal("200.00"))
    _stats(campaign, D1 + datetime.timedelta(days=5), spend=Decimal("999.00"))  # outside
    result = campaign_performance(
        campaign=campaign, date_from=D1, date_to=D1 + datetime.timedelta(days=2)
    )
    assert (result["spend"], result["gmv"]) == (Decimal("150.00"), Decimal("450.00"))
    assert result["roi"] == Decimal("3.0000")
    assert result["target_roi"] == Decimal("3.00")
    assert result["attainment"] == Decimal("1.0000")


def test_performance_without_spend_or_target_has_no_ratios(scoped):
    campaign = CampaignFactory(tenant=scoped)
    result = campaign_performance(campaign=campaign, date_from=D1, date_to=D1)
    assert (result["spend"], result["gmv"], result["roi"], result["attainment"]) == (
        Decimal("0.00"),
        Decimal("0.00"),
        None,
        None,
    )
    _stats(campaign, D1, spend=Decimal("10.00"), gmv=Decimal("15.00"))
    result = campaign_performance(campaign=campaign, date_from=D1, date_to=D1)
    assert (result["roi"], result["attainment"]) == (Decimal("1.5000"), None)


def test_daily_series_fills_missing_days(scoped):
    campaign = CampaignFactory(tenant=scoped)
    _stats(campaign, D1, spend=Decimal("10.00"), gmv=Decimal("30.00"))
    series = campaign_daily_series(
        campaign=campaign, date_from=D1, date_to=D1 + datetime.timedelta(days=2)
    )
    assert [(r["day"], r["spend"], r["roi"]) for r in series] == [
        (D1, Decimal("10.00"), Decimal("3.0000")),
        (D1 + datetime.timedelta(days=1), Decimal("0.00"), None),
        (D1 + datetime.timedelta(days=2), Decimal("0.00"), None),
    ]


def test_tagging_step_uses_30_days_and_the_tenant_median(scoped):
    merchant = MerchantFactory(tenant=scoped)
    campaign = CampaignFactory(tenant=scoped, merchant=merchant)
    good = ProductFactory(tenant=scoped, merchant=merchant)
    poor = ProductFactory(tenant=scoped, merchant=merchant)
    mid = ProductFactory(tenant=scoped, merchant=merchant)
    day = datetime.date(2026, 3, 30)
    # good: 20 orders / 200 clicks = 10%, ROI 4000 / 1000 = 4
    _stats(
        campaign, day, good, orders=15, valid_clicks=150, gmv=Decimal("3000"), spend=Decimal("800")
    )
    _stats(
        campaign,
        day - datetime.timedelta(days=29),
        good,
        orders=5,
        valid_clicks=50,
        gmv=Decimal("1000"),
        spend=Decimal("200"),
    )
    # outside the window (day 31 back): not counted
    _stats(campaign, day - datetime.timedelta(days=30), good, orders=100, valid_clicks=100)
    # poor: 25 / 1000 = 2.5%; mid: 21 / 300 = 7% -> median of 10%, 2.5%, 7% is 7%
    _stats(campaign, day, poor, orders=25, valid_clicks=1000, gmv=Decimal("10"), spend=Decimal("5"))
    _stats(campaign, day, mid, orders=21, valid_clicks=300, gmv=Decimal("60"), spend=Decimal("20"))
    counts = product_tagging_step(day=day)
    assert counts == {"products": 3, "tagged": 2}
    rows = {p.pk: p for p in Product.objects.all()}
    assert (rows[good.pk].is_tagged, rows[good.pk].orders_30d) == (True, 20)
    assert rows[good.pk].roi_30d == Decimal("4.0000")
    assert rows[good.pk].conversion_rate_30d == Decimal("0.100000")
    assert rows[mid.pk].is_tagged is True  # at the median
    assert rows[poor.pk].is_tagged is False
    # idempotent
    assert product_tagging_step(day=day) == counts


def test_tagging_step_is_registered_with_run_daily():
    assert ("campaigns.tagging", "apps.tracking.performance.product_tagging_step", 60) in [
        (s.name, s.path, s.order) for s in daily_steps()
    ]


def test_bid_inputs_read_history_30_days_and_today(scoped):
    scoped.timezone = "UTC"
    campaign = CampaignFactory(tenant=scoped)
    idle = CampaignFactory(tenant=scoped)
    now = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC)
    today = now.date()
    _stats(
        campaign,
        today - datetime.timedelta(days=60),
        impressions=1000,
        valid_clicks=10,
        gmv=Decimal("500"),
    )
    _stats(
        campaign,
        today - datetime.timedelta(days=3),
        impressions=900,
        valid_clicks=19,
        gmv=Decimal("300"),
    )
    _stats(campaign, today, impressions=100, valid_clicks=1, spend=Decimal("12.50"))
    inputs = campaign_bid_inputs(campaign_ids=[campaign.pk, idle.pk], now=now)
    assert inputs[campaign.pk] == BidInputs(
        clicks=30,
        impressions=2000,
        gmv_30d=Decimal("300.00"),
        clicks_30d=19,
        spend_today=Decimal("12.50"),
    )
    assert inputs[idle.pk] == BidInputs()


def test_bid_inputs_can_read_todays_raw_charges(scoped):
    scoped.timezone = "UTC"
    campaign = CampaignFactory(tenant=scoped, type="cpc", bid=Decimal("0.50"))
    now = datetime.datetime(2026, 3, 31, 12, 0, tzinfo=datetime.UTC)
    cpm = CampaignFactory(tenant=scoped)
    for _ in range(2):
        ImpressionFactory(
            tenant=scoped,
            campaign=cpm,
            served_at=now,
            rendered_at=now,
            price_cpm=Decimal("15.1000"),
        )
    ImpressionFactory(tenant=scoped, campaign=cpm, served_at=now, price_cpm=Decimal("15.1"))
    impression = ImpressionFactory(
        tenant=scoped,
        campaign=campaign,
        served_at=now,
        price_cpm=Decimal("20.10"),
        cpc_price=Decimal("0.6700"),
    )
    for _ in range(3):
        ClickFactory(
            tenant=scoped, campaign=campaign, clicked_at=now, impression_id=impression.impression_id
        )
    inputs = campaign_bid_inputs(campaign_ids=[campaign.pk, cpm.pk], now=now, raw_today=True)
    assert inputs[campaign.pk].spend_today == Decimal("2.01")
    assert inputs[cpm.pk].spend_today == Decimal("0.03")  # 2 x 15.10 / 1000 = 0.0302
    assert campaign_bid_inputs(campaign_ids=[cpm.pk], now=now)[cpm.pk].spend_today == 0


def test_performance_of_other_tenants_rows_is_never_counted(tenant, other_tenant):
    theirs = CampaignFactory(tenant=other_tenant)
    CampaignDayStatsFactory(tenant=other_tenant, campaign=theirs, day=D1, spend=Decimal("5.00"))
    mine = CampaignFactory(tenant=tenant)
    inputs = campaign_bid_inputs(
        campaign_ids=[theirs.pk, mine.pk],
        now=datetime.datetime(2026, 3, 2, tzinfo=datetime.UTC),
    )
    assert inputs[theirs.pk] == BidInputs()
    assert product_tagging_step(day=D1) == {"products": 0, "tagged": 0}
