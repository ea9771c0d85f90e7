"""Issue 21: an order on a click run_daily found invalid stays attributed (the merchant and the
funnel see it) but earns no commission."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.models import Commission, DailyEarning
from apps.commissions.selectors_reports import daily_report
from apps.commissions.services.accrual import commissions_accrue_day
from apps.commissions.services.earnings import earnings_compute_day
from tests.commissions.factories import CommissionRuleFactory
from tests.sites.factories import PlacementFactory
from tests.tracking.factories import ClickFactory, ConversionFactory, PlacementDayStatsFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)


def test_an_order_on_a_bot_click_earns_nothing_and_shows_in_the_funnel(scoped):
    CommissionRuleFactory(tenant=scoped, value=Decimal("2.00"))
    placement = PlacementFactory(tenant=scoped)
    bot = ClickFactory(tenant=scoped, placement=placement, verdict="bot", user_agent="curl/8")
    good = ClickFactory(tenant=scoped, placement=placement, verdict="valid")
    on_bot = ConversionFactory(tenant=scoped, click=bot)
    ConversionFactory(tenant=scoped, click=good)
    PlacementDayStatsFactory(
        tenant=scoped,
        placement=placement,
        day=DAY,
        clicks=2,
        valid_clicks=1,
        bot_clicks=1,
        orders=2,
    )

    commissions_accrue_day(day=DAY)
    commissions_accrue_day(day=DAY)  # a rerun pays the bot's order nothing either
    earnings_compute_day(day=DAY)
    rows = daily_report(affiliate=placement.site.affiliate, date_from=DAY, date_to=DAY)

    assert not Commission.objects.filter(conversion=on_bot).exists()
    assert Commission.objects.get().amount == Decimal("2.00")
    assert DailyEarning.objects.get(placement=placement).order_commission == Decimal("2.00")
    (row,) = rows
    assert row["orders"] == 2
    assert row["orders_on_invalid_clicks"] == 1
    assert row["orders_on_invalid_clicks_by_reason"] == {"bot": 1}
    assert row["earnings"]["orders"] == Decimal("2.00")
