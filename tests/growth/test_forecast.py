"""Forecast before launch: the price landscape, the model's worked numbers, the basis."""

import dataclasses
import datetime
from decimal import Decimal

import pytest

from apps.campaigns.services.products import ProductTaggingStats, product_tagging_apply
from apps.growth.clearing import EDGES, Landscape, bucket_of, clearing_rollup_day
from apps.growth.forecast import (
    History,
    forecast_from,
    normal_cdf,
    product_forecast,
    tier_forecasts,
)
from apps.growth.models import ClearingPriceDayStats
from tests.campaigns.factories import CampaignFactory, MerchantFactory, ProductFactory
from tests.growth.factories import roll_ups
from tests.tracking.factories import ImpressionFactory

pytestmark = pytest.mark.django_db
YESTERDAY = datetime.date(2026, 3, 31)
TODAY = datetime.datetime(2026, 4, 1, 3, 0, tzinfo=datetime.UTC)  # 11:00 in Shanghai

# 30 product-days, 3,000 valid clicks, 60 orders, GMV 12,000, spend 3,000: a ROI of 4, a click
# worth 4.00 and costing 1.00, 100 clicks and 2 orders a day.
STEADY = History(
    product_days=30, impressions=150_000, clicks=3000, orders=60,
    gmv=Decimal("12000.00"), spend=Decimal("3000.00"),
    paid_days=30, paid_impressions=150_000, paid_clicks=3000,
)  # fmt: skip
NO_PRICES = Landscape()


def _forecast(history=STEADY, budget="1000.00", target="4", recent=NO_PRICES, past=NO_PRICES):
    return forecast_from(
        history=history,
        basis="product",
        daily_budget=Decimal(budget),
        target_roi=Decimal(target),
        product_price=Decimal("200.00"),
        recent=recent,
        past=past,
    )


def _uniform_market(low, high):
    """100 impressions cleared at each whole price from ``low`` to ``high`` per mille."""
    counts, sums = [0] * 121, [Decimal(0)] * 121
    for price in range(low, high + 1):
        k = bucket_of(Decimal(price))
        counts[k] += 100
        sums[k] += Decimal(price) * 100
    return Landscape(counts=tuple(counts), sums=tuple(sums))


class TestLandscape:
    def test_buckets_follow_the_edges(self):
        assert bucket_of(Decimal("0.001")) == 0
        assert bucket_of(EDGES[7]) == 7
        assert bucket_of(EDGES[8] - Decimal("0.0001")) == 7
        assert bucket_of(Decimal("10") ** 9) == 120

    def test_share_and_mean_below_spread_a_bucket_evenly(self):
        k = bucket_of(Decimal("10"))
        low, high = EDGES[k], EDGES[k + 1]
        counts = [0] * (k + 1)
        sums = [Decimal(0)] * (k + 1)
        counts[k], sums[k] = 100, (low + high) / 2 * 100
        landscape = Landscape(counts=tuple(counts), sums=tuple(sums))
        middle = (low + high) / 2
        assert landscape.share_below(middle) == Decimal("0.5")
        assert landscape.share_below(high) == 1
        assert landscape.share_below(low) == 0
        assert landscape.mean_below(high) == middle
        assert landscape.mean_below(low) is None
        assert landscape.median() == middle


class TestModel:
    def test_at_the_historical_roi_the_forecast_is_the_history(self):
        forecast = _forecast()
        assert (forecast.spend, forecast.clicks, forecast.orders, forecast.gmv) == (
            Decimal("100.00"), Decimal("100.0"), Decimal("2.0"), Decimal("400.00"),
        )  # fmt: skip
        assert forecast.roi == Decimal("4.00")
        assert forecast.bid_cpc == Decimal("1.0000")  # 4.00 a click / target 4
        assert forecast.budget_bound is False

    def test_the_budget_caps_spend_and_everything_bought_with_it(self):
        forecast = _forecast(budget="50.00")
        assert (forecast.spend, forecast.clicks, forecast.orders, forecast.gmv) == (
            Decimal("50.00"), Decimal("50.0"), Decimal("1.0"), Decimal("200.00"),
        )  # fmt: skip
        assert forecast.budget_bound is True

    def test_without_clearing_prices_a_lower_bid_pays_it_and_buys_proportionally_less(self):
        forecast = _forecast(target="5")  # bids 0.80 a click, the history paid 1.00
        assert forecast.cpc == Decimal("0.8000")
        assert (forecast.clicks, forecast.spend, forecast.gmv, forecast.roi) == (
            Decimal("80.0"), Decimal("64.00"), Decimal("320.00"), Decimal("5.00"),
        )  # fmt: skip
        # a higher bid buys no more than the history did, at the history's price
        cheap = _forecast(target="2")
        assert (cheap.clicks, cheap.cpc) == (Decimal("100.0"), Decimal("1.0000"))

    def test_a_cheaper_target_buys_more_dearer_clicks_and_a_dearer_one_fewer(self):
        market = _uniform_market(10, 60)  # the same then and now
        low, mid, high = (
            _forecast(target=t, recent=market, past=market) for t in ("3.2", "4", "4.8")
        )
        # the middle tier is the history's own price level: the history again
        assert (mid.clicks, mid.spend) == (Decimal("100.0"), Decimal("100.00"))
        assert low.clicks > mid.clicks > high.clicks
        assert low.cpc > mid.cpc > high.cpc
        assert low.roi < mid.roi < high.roi
        assert low.roi >= Decimal("3.2")
        assert high.roi >= Decimal("4.8")

    def test_a_history_that_beat_its_target_bids_less_at_its_own_roi(self):
        # the history's plans targeted 3 (bid 4.00 / 3 a click, 26.67 per mille at a 2% CTR)
        # and reached 4: targeting 4 now bids 1.00, wins less and pays less per click
        market = _uniform_market(10, 60)
        beat = dataclasses.replace(STEADY, bid_ecpm=Decimal("26.67"))
        again = _forecast(history=beat, target="3", recent=market, past=market)
        assert (again.clicks, again.roi) == (Decimal("99.9"), Decimal("4.00"))
        at_roi = _forecast(history=beat, target="4", recent=market, past=market)
        assert at_roi.clicks < again.clicks
        assert at_roi.cpc < again.cpc
        assert at_roi.roi > Decimal("4.00")
        assert at_roi.chance_of_target > Decimal("0.5")

    def test_prices_risen_since_the_history_buy_fewer_clicks_at_a_higher_price(self):
        def market(shift):
            return _uniform_market(10 + shift, 60 + shift)

        steady = _forecast(target="3.2", recent=market(0), past=market(0))
        risen = _forecast(target="3.2", recent=market(10), past=market(0))
        assert risen.clicks < steady.clicks
        assert risen.cpc > steady.cpc
        # at the middle tier the bid is the history's price: it cannot pay more, so it buys less
        middle = _forecast(target="4", recent=market(10), past=market(0))
        assert middle.cpc == Decimal("1.0000")
        assert middle.clicks < Decimal("100.0")

    def test_a_bid_under_every_clearing_price_buys_nothing(self):
        k = bucket_of(Decimal("500"))
        market = Landscape(counts=(0,) * k + (100,), sums=(Decimal(0),) * k + (Decimal(50000),))
        forecast = _forecast(target="4", recent=market, past=Landscape())
        assert (forecast.spend, forecast.clicks, forecast.roi) == (
            Decimal("0.00"), Decimal("0.0"), None,
        )  # fmt: skip
        assert forecast.chance_of_target == 0

    def test_too_little_history_forecasts_nothing(self):
        thin = History(product_days=30, impressions=5000, clicks=99, orders=3,
                       gmv=Decimal("300"), spend=Decimal("75"))  # fmt: skip
        forecast = _forecast(history=thin)
        assert forecast.basis == "none"
        assert (forecast.spend, forecast.clicks, forecast.gmv, forecast.roi) == (
            Decimal("0.00"), Decimal("0.0"), Decimal("0.00"), None,
        )  # fmt: skip


class TestChance:
    def test_normal_cdf(self):
        assert abs(normal_cdf(Decimal(0)) - Decimal("0.5")) < Decimal("0.000001")
        assert abs(normal_cdf(Decimal("1.96")) - Decimal("0.975")) < Decimal("0.0001")
        assert abs(normal_cdf(Decimal("-1")) - Decimal("0.158655")) < Decimal("0.000001")

    def test_the_chance_rises_with_headroom_and_is_small_without_orders(self):
        at_target = _forecast(target="5").chance_of_target  # the ROI equals the target
        comfortable = _forecast(target="2").chance_of_target
        assert Decimal("0.45") <= at_target <= Decimal("0.5")
        assert comfortable > Decimal("0.95")
        sparse = History(product_days=30, impressions=150_000, clicks=3000, orders=3,
                         gmv=Decimal("600"), spend=Decimal("150"), paid_days=30,
                         paid_impressions=150_000, paid_clicks=3000)  # fmt: skip
        assert _forecast(history=sparse, target="2").chance_of_target < comfortable


@pytest.fixture
def shop(scoped):
    merchant = MerchantFactory(tenant=scoped)
    campaign = CampaignFactory(tenant=scoped, merchant=merchant, type="full_site", bid=None,
                               target_roi=Decimal("4"))  # fmt: skip
    return merchant, campaign


class TestReading:
    def test_the_products_own_30_days_are_the_basis(self, shop, time_machine):
        time_machine.move_to(TODAY, tick=False)
        merchant, campaign = shop
        product = ProductFactory(tenant=merchant.tenant, merchant=merchant)
        roll_ups(campaign=campaign, product=product, last=YESTERDAY, orders=[2] * 30,
                 clicks_per_order=50)  # fmt: skip
        # a day before the window does not count
        roll_ups(campaign=campaign, product=product, last=YESTERDAY - datetime.timedelta(days=30),
                 orders=[50])  # fmt: skip
        forecast = product_forecast(
            product=product, daily_budget=Decimal("1000"), target_roi=Decimal("4")
        )
        assert forecast.basis == "product"
        assert (forecast.clicks, forecast.orders, forecast.spend, forecast.gmv) == (
            Decimal("100.0"), Decimal("2.0"), Decimal("50.00"), Decimal("200.00"),
        )  # fmt: skip
        assert forecast.product_days == 30

    def test_a_new_product_is_averaged_from_its_first_day_only(self, shop, time_machine):
        time_machine.move_to(TODAY, tick=False)
        merchant, campaign = shop
        product = ProductFactory(tenant=merchant.tenant, merchant=merchant)
        roll_ups(campaign=campaign, product=product, last=YESTERDAY, orders=[2] * 10,
                 clicks_per_order=50)  # fmt: skip
        forecast = product_forecast(
            product=product, daily_budget=Decimal("1000"), target_roi=Decimal("4")
        )
        assert (forecast.basis, forecast.product_days, forecast.clicks) == (
            "product", 10, Decimal("100.0"),
        )  # fmt: skip

    def test_too_little_history_widens_to_the_merchants_products_of_the_type(
        self, shop, time_machine
    ):
        time_machine.move_to(TODAY, tick=False)
        merchant, campaign = shop
        new = ProductFactory(tenant=merchant.tenant, merchant=merchant, product_type="kettles")
        roll_ups(campaign=campaign, product=new, last=YESTERDAY, orders=[1, 1])
        for _ in range(2):
            sibling = ProductFactory(tenant=merchant.tenant, merchant=merchant,
                                     product_type="kettles")  # fmt: skip
            roll_ups(campaign=campaign, product=sibling, last=YESTERDAY, orders=[3] * 30)
        # another type and another merchant's kettles are not similar products
        other_type = ProductFactory(tenant=merchant.tenant, merchant=merchant, product_type="toys")
        roll_ups(campaign=campaign, product=other_type, last=YESTERDAY, orders=[40] * 30)
        stranger = CampaignFactory(tenant=merchant.tenant)
        theirs = ProductFactory(tenant=merchant.tenant, merchant=stranger.merchant,
                                product_type="kettles")  # fmt: skip
        roll_ups(campaign=stranger, product=theirs, last=YESTERDAY, orders=[40] * 30)

        forecast = product_forecast(product=new, daily_budget=Decimal("1000"),
                                    target_roi=Decimal("4"))  # fmt: skip
        assert forecast.basis == "product_type"
        assert forecast.product_days == 60
        assert (forecast.orders, forecast.clicks) == (Decimal("3.0"), Decimal("60.0"))

    def test_no_history_anywhere_says_so(self, shop, time_machine):
        time_machine.move_to(TODAY, tick=False)
        merchant, _ = shop
        product = ProductFactory(tenant=merchant.tenant, merchant=merchant, product_type="")
        forecast = product_forecast(
            product=product, daily_budget=Decimal("100"), target_roi=Decimal("3")
        )
        assert (forecast.basis, forecast.spend, forecast.roi) == ("none", Decimal("0.00"), None)

    def test_each_tier_of_a_tagged_product(self, shop, time_machine):
        time_machine.move_to(TODAY, tick=False)
        merchant, campaign = shop
        product = ProductFactory(tenant=merchant.tenant, merchant=merchant)
        roll_ups(campaign=campaign, product=product, last=YESTERDAY, orders=[2] * 30)
        assert tier_forecasts(product=product, daily_budget=Decimal("100")) == []
        product_tagging_apply(
            day=YESTERDAY,
            stats={product.pk: ProductTaggingStats(60, 2400, Decimal("6000"), Decimal("1500"))},
            median_conversion_rate=Decimal("0.01"),
        )
        product.refresh_from_db()
        forecasts = tier_forecasts(product=product, daily_budget=Decimal("100"))
        assert [f.target_roi for f in forecasts] == [Decimal("3.2"), Decimal("4.0"), Decimal("4.8")]
        assert all(f.basis == "product" for f in forecasts)


class TestClearingRollup:
    def test_the_days_prices_land_in_their_buckets_and_a_rerun_changes_nothing(self, scoped):
        day = datetime.date(2026, 3, 2)  # the factory's impressions are served 12:00 Shanghai
        for price in ("15.1000", "15.2000", "40.0000"):
            ImpressionFactory(tenant=scoped, price_cpm=Decimal(price))
        ImpressionFactory(
            tenant=scoped,
            price_cpm=Decimal("99"),
            served_at=datetime.datetime(2026, 3, 2, 16, 0, tzinfo=datetime.UTC),
        )
        first = clearing_rollup_day(day=day)
        assert first == {"buckets": 2, "impressions": 3, "buckets_deleted": 0}
        rows = {r.bucket: (r.impressions, r.price_sum) for r in ClearingPriceDayStats.objects.all()}
        assert rows == {
            bucket_of(Decimal(15)): (2, Decimal("30.3000")),
            bucket_of(Decimal(40)): (1, Decimal("40.0000")),
        }
        assert clearing_rollup_day(day=day) == first
        assert ClearingPriceDayStats.objects.count() == 2
