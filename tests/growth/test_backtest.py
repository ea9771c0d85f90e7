"""The forecast back-test (bench/forecast_backtest.py) on a worked history, so it does not rot."""

import datetime
from decimal import Decimal

import pytest

from bench.forecast_backtest import backtest, section
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.growth.factories import roll_ups

pytestmark = pytest.mark.django_db
LAST = datetime.date(2026, 11, 29)


def test_days_31_to_60_are_forecast_from_days_1_to_30(tenant):
    # given two products with 60 days, orders stepping from 2 to 3 a day, and one with 40
    campaign = CampaignFactory(tenant=tenant, type="full_site", bid=None, target_roi=Decimal(4))
    for sku in ("STEP-A", "STEP-B"):
        product = ProductFactory(tenant=tenant, merchant=campaign.merchant, sku=sku)
        roll_ups(campaign=campaign, product=product, last=LAST, orders=[2] * 30 + [3] * 30)
    young = ProductFactory(tenant=tenant, merchant=campaign.merchant, sku="YOUNG")
    roll_ups(campaign=campaign, product=young, last=LAST, orders=[5] * 40)

    # when
    result = backtest(slug=tenant.slug)

    # then only the 60-day products count; each forecasts 2 a day's GMV and spend against 3
    assert result["products"] == 2
    assert result["by_basis"] == {"product": 2}
    assert (result["history"], result["actual"]) == (
        ["2026-10-01", "2026-10-30"], ["2026-10-31", "2026-11-29"],
    )  # fmt: skip
    assert (result["mape_gmv_pct"], result["mape_spend_pct"]) == (33.3, 33.3)
    assert "| MAPE | 33.3% | 33.3% |" in section(result, "test")
