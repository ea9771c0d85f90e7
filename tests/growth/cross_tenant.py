from apps.campaigns.models import Product
from apps.growth.models import ClearingPriceDayStats
from tests.growth.factories import ClearingPriceDayStatsFactory
from tests.tenancy.harness import register_endpoint, register_model

register_model(ClearingPriceDayStats, make=lambda t: ClearingPriceDayStatsFactory(tenant=t))

# Partner API (merchant keys): B's sku answers 404 before any parameter is read.
register_endpoint(
    "api:product-forecast",
    principal="merchant",
    model=Product,
    kwargs=lambda o: {"sku": o.sku},
    owner=lambda o: o.merchant,
)
