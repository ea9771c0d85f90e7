"""Generated histories for the growth tools: days of roll-ups in one bulk insert."""

import datetime
from collections.abc import Sequence
from decimal import Decimal

import factory

from apps.campaigns.models import Campaign, CampaignPhase, CampaignProduct, Product
from apps.growth.models import ClearingPriceDayStats
from apps.tracking.models import CampaignDayStats
from tests.factories import TenantOwnedFactory


def roll_ups(
    *,
    campaign: Campaign,
    product: Product,
    last: datetime.date,
    orders: Sequence[int],
    clicks_per_order: int = 20,
    value_per_order: Decimal = Decimal("100.00"),
    roi: Decimal = Decimal("4"),
    clicks: Sequence[int] | None = None,
) -> list[CampaignDayStats]:
    """One roll-up row per day ending ``last`` (oldest first): ``orders[i]`` orders, clicks at
    ``clicks_per_order`` per order (or ``clicks[i]``), GMV at ``value_per_order`` per order and
    spend = GMV / ``roi``. Call it inside the tenant's scope."""
    CampaignProduct.objects.get_or_create(
        tenant_id=campaign.tenant_id, campaign=campaign, product=product
    )
    first = last - datetime.timedelta(days=len(orders) - 1)
    rows = []
    for index, count in enumerate(orders):
        day_clicks = clicks[index] if clicks is not None else count * clicks_per_order
        gmv = value_per_order * count
        rows.append(
            CampaignDayStats(
                tenant_id=campaign.tenant_id,
                day=first + datetime.timedelta(days=index),
                campaign=campaign,
                merchant_id=campaign.merchant_id,
                product=product,
                impressions=day_clicks * 50,
                clicks=day_clicks,
                valid_clicks=day_clicks,
                orders=count,
                gmv=gmv,
                spend=(gmv / roi).quantize(Decimal("0.01")),
            )
        )
    return CampaignDayStats.objects.bulk_create(rows)


class ClearingPriceDayStatsFactory(TenantOwnedFactory):
    class Meta:
        model = ClearingPriceDayStats

    day = datetime.date(2026, 3, 2)
    bucket = factory.Sequence(lambda n: n % 100)
    impressions = 10
    price_sum = Decimal("151.0000")


class CampaignPhaseFactory(TenantOwnedFactory):
    class Meta:
        model = CampaignPhase

    campaign = factory.SubFactory(
        "tests.campaigns.factories.CampaignFactory",
        tenant=factory.SelfAttribute("..tenant"),
        type="full_site",
        bid=None,
        target_roi=Decimal("3.00"),
    )
    kind = "burst"
    first_day = datetime.date(2026, 3, 1)
    last_day = datetime.date(2026, 3, 7)
    daily_budget = Decimal("500.00")
    target_roi = Decimal("3.00")
