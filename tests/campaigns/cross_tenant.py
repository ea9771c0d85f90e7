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
