import datetime
from decimal import Decimal

import factory

from apps.tracking.models import (
    BlockRule,
    BudgetExhaustion,
    CampaignDayStats,
    CampaignSpend,
    Click,
    Conversion,
    ConversionItem,
    Coupon,
    DailyRun,
    Impression,
    PlacementDayStats,
    PlacementSubDayStats,
)
from apps.tracking.services.keys import PREFIX, tracking_key_hash
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.factories import TenantOwnedFactory
from tests.sites.factories import PlacementFactory

DAY = datetime.date(2026, 3, 2)
AT = datetime.datetime(2026, 3, 2, 4, 0, tzinfo=datetime.UTC)


class ClickFactory(TenantOwnedFactory):
    class Meta:
        model = Click

    placement = factory.SubFactory(PlacementFactory, tenant=factory.SelfAttribute("..tenant"))
    affiliate = factory.SelfAttribute("placement.site.affiliate")
    product = factory.SubFactory(ProductFactory, tenant=factory.SelfAttribute("..tenant"))
    merchant = factory.SelfAttribute("product.merchant")
    clicked_at = AT
    ip = factory.Sequence(lambda n: f"203.0.113.{n % 250 + 1}")
    user_agent = "Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0"


class ImpressionFactory(TenantOwnedFactory):
    class Meta:
        model = Impression

    placement = factory.SubFactory(PlacementFactory, tenant=factory.SelfAttribute("..tenant"))
    campaign = factory.SubFactory(CampaignFactory, tenant=factory.SelfAttribute("..tenant"))
    product = factory.SubFactory(
        ProductFactory,
        tenant=factory.SelfAttribute("..tenant"),
        merchant=factory.SelfAttribute("..campaign.merchant"),
    )
    merchant = factory.SelfAttribute("campaign.merchant")
    served_at = AT
    price_cpm = Decimal("15.1000")


class ConversionFactory(TenantOwnedFactory):
    class Meta:
        model = Conversion

    click = factory.SubFactory(ClickFactory, tenant=factory.SelfAttribute("..tenant"))
    merchant = factory.SelfAttribute("click.merchant")
    placement = factory.SelfAttribute("click.placement")
    affiliate = factory.SelfAttribute("click.affiliate")
    product = factory.SelfAttribute("click.product")
    type = "order"
    external_id = factory.Sequence(lambda n: f"ORD-{n:06d}")
    occurred_at = AT
    day = DAY
    amount = Decimal("200.00")
    customer_type = "new"


class ConversionItemFactory(TenantOwnedFactory):
    class Meta:
        model = ConversionItem

    conversion = factory.SubFactory(ConversionFactory, tenant=factory.SelfAttribute("..tenant"))
    sku = factory.Sequence(lambda n: f"SKU-I{n:05d}")
    product_type = "electronics"
    quantity = 1
    amount = Decimal("200.00")


class PlacementDayStatsFactory(TenantOwnedFactory):
    class Meta:
        model = PlacementDayStats

    placement = factory.SubFactory(PlacementFactory, tenant=factory.SelfAttribute("..tenant"))
    site = factory.SelfAttribute("placement.site")
    affiliate = factory.SelfAttribute("placement.site.affiliate")
    day = DAY
    clicks = 10
    valid_clicks = 8


class PlacementSubDayStatsFactory(TenantOwnedFactory):
    class Meta:
        model = PlacementSubDayStats

    placement = factory.SubFactory(PlacementFactory, tenant=factory.SelfAttribute("..tenant"))
    affiliate = factory.SelfAttribute("placement.site.affiliate")
    day = DAY
    sub = "newsletter"
    clicks = 3


class CampaignDayStatsFactory(TenantOwnedFactory):
    class Meta:
        model = CampaignDayStats

    campaign = factory.SubFactory(CampaignFactory, tenant=factory.SelfAttribute("..tenant"))
    merchant = factory.SelfAttribute("campaign.merchant")
    day = DAY
    impressions = 1000
    spend = Decimal("15.10")


class DailyRunFactory(TenantOwnedFactory):
    class Meta:
        model = DailyRun

    day = DAY
    status = "done"


class CouponFactory(TenantOwnedFactory):
    class Meta:
        model = Coupon

    merchant = factory.SubFactory(
        "tests.campaigns.factories.MerchantFactory", tenant=factory.SelfAttribute("..tenant")
    )
    affiliate = factory.SelfAttribute("placement.site.affiliate")
    placement = factory.SubFactory(PlacementFactory, tenant=factory.SelfAttribute("..tenant"))
    code = factory.Sequence(lambda n: f"SAVE{n:04d}")
    valid_from = datetime.date(2026, 1, 1)


class MerchantTrackingKeyFactory(TenantOwnedFactory):
    """A postback key (``plaintext`` is kept on the instance for tests)."""

    class Meta:
        model = "tracking.MerchantTrackingKey"
        exclude = ["plaintext"]

    merchant = factory.SubFactory(
        "tests.campaigns.factories.MerchantFactory", tenant=factory.SelfAttribute("..tenant")
    )
    kind = "postback"
    plaintext = factory.Sequence(lambda n: f"{PREFIX['postback']}test-key-{n:06d}")
    token_hash = factory.LazyAttribute(lambda o: tracking_key_hash(o.plaintext))
    hint = factory.LazyAttribute(lambda o: o.plaintext[:10])


class BlockRuleFactory(TenantOwnedFactory):
    class Meta:
        model = BlockRule

    kind = "ip_range"
    value = factory.Sequence(lambda n: f"198.18.{n % 250}.0/24")
    reason = "click farm"


class CampaignSpendFactory(TenantOwnedFactory):
    class Meta:
        model = CampaignSpend

    campaign = factory.SubFactory(CampaignFactory, tenant=factory.SelfAttribute("..tenant"))
    day = DAY
    slot = 0
    amount = Decimal("1.5000000")


class BudgetExhaustionFactory(TenantOwnedFactory):
    class Meta:
        model = BudgetExhaustion

    campaign = factory.SubFactory(CampaignFactory, tenant=factory.SelfAttribute("..tenant"))
    day = DAY
    spend = Decimal("5.0000000")
    daily_budget = Decimal("5.00")


# --- today's provisional roll-up (issue 15) ------------------------------------------------
from apps.tracking.models import (  # noqa: E402
    ProvisionalCampaignDay,
    ProvisionalPlacementDay,
    ProvisionalPlacementSubDay,
    ProvisionalRun,
)


class ProvisionalPlacementDayFactory(PlacementDayStatsFactory):
    class Meta:
        model = ProvisionalPlacementDay


class ProvisionalPlacementSubDayFactory(PlacementSubDayStatsFactory):
    class Meta:
        model = ProvisionalPlacementSubDay


class ProvisionalCampaignDayFactory(CampaignDayStatsFactory):
    class Meta:
        model = ProvisionalCampaignDay


class ProvisionalRunFactory(TenantOwnedFactory):
    class Meta:
        model = ProvisionalRun

    day = DAY
    counted_at = AT
