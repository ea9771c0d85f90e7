from apps.campaigns.models import Merchant, MerchantDomain, MerchantUser
from tests.campaigns.factories import MerchantDomainFactory, MerchantFactory, MerchantUserFactory
from tests.tenancy.harness import register_model

register_model(Merchant, make=lambda t: MerchantFactory(tenant=t), search=lambda o: o.code)
register_model(
    MerchantDomain, make=lambda t: MerchantDomainFactory(tenant=t), search=lambda o: o.domain
)
register_model(
    MerchantUser, make=lambda t: MerchantUserFactory(tenant=t), search=lambda o: o.user.email
)

from apps.campaigns.models import Campaign, CampaignProduct, Product  # noqa: E402
from tests.campaigns.factories import (  # noqa: E402
    CampaignFactory,
    CampaignProductFactory,
    ProductFactory,
)

register_model(Product, make=lambda t: ProductFactory(tenant=t), search=lambda o: o.sku)
register_model(Campaign, make=lambda t: CampaignFactory(tenant=t), search=lambda o: o.name)
register_model(CampaignProduct, make=lambda t: CampaignProductFactory(tenant=t))

# Partner API (merchant keys): A's key is issued for the owner of A's object.
from tests.tenancy.harness import register_endpoint  # noqa: E402

register_endpoint(
    "api:products",
    principal="merchant",
    model=Product,
    identify=lambda o: o.sku,
    id_field="sku",
    owner=lambda o: o.merchant,
)
register_endpoint(
    "api:product-roi-tiers",
    principal="merchant",
    model=Product,
    kwargs=lambda o: {"sku": o.sku},
    owner=lambda o: o.merchant,
)
register_endpoint("api:campaigns", principal="merchant", model=Campaign, owner=lambda o: o.merchant)
register_endpoint(
    "api:campaign-detail",
    principal="merchant",
    model=Campaign,
    kwargs=lambda o: {"pk": o.pk},
    owner=lambda o: o.merchant,
)
register_endpoint(
    "api:campaign-status",
    principal="merchant",
    model=Campaign,
    kwargs=lambda o: {"pk": o.pk},
    owner=lambda o: o.merchant,
    method="post",
    body=lambda o: {"status": "paused"},
)
register_endpoint(
    "api:campaign-performance",
    principal="merchant",
    model=Campaign,
    kwargs=lambda o: {"pk": o.pk},
    owner=lambda o: o.merchant,
)
