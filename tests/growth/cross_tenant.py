from apps.campaigns.models import CampaignPhase, Product
from apps.growth.models import ClearingPriceDayStats
from tests.growth.factories import CampaignPhaseFactory, ClearingPriceDayStatsFactory
from tests.tenancy.harness import register_endpoint, register_model

register_model(ClearingPriceDayStats, make=lambda t: ClearingPriceDayStatsFactory(tenant=t))
register_model(CampaignPhase, make=lambda t: CampaignPhaseFactory(tenant=t))

# Partner API (merchant keys): B's sku answers 404 before any parameter is read.
register_endpoint(
    "api:product-forecast",
    principal="merchant",
    model=Product,
    kwargs=lambda o: {"sku": o.sku},
    owner=lambda o: o.merchant,
)
