import datetime
from decimal import Decimal

import factory
from django.utils import timezone

from apps.campaigns.models import (
    Campaign,
    CampaignProduct,
    Merchant,
    MerchantDomain,
    MerchantUser,
    Product,
)
from tests.factories import TenantOwnedFactory
from tests.tenants.factories import UserFactory


class MerchantFactory(TenantOwnedFactory):
    class Meta:
        model = Merchant

    code = factory.Sequence(lambda n: f"M{n:04d}")
    name = factory.Sequence(lambda n: f"Merchant {n}")
    tier = "smb"
    contact_email = factory.Sequence(lambda n: f"merchant{n}@shop.example")


class MerchantDomainFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantDomain

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    domain = factory.Sequence(lambda n: f"shop{n}.example.com")
    # verified as staff and imports create them; pass verified_at=None for a pending one
    verified_at = factory.LazyFunction(timezone.now)
    verification_method = "import"


class MerchantUserFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantUser

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    user = factory.SubFactory(UserFactory)


class ProductFactory(TenantOwnedFactory):
    class Meta:
        model = Product
        skip_postgeneration_save = True

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    title = factory.Sequence(lambda n: f"Product {n}")
    url = factory.LazyAttribute(lambda o: f"https://shop.example.com/p/{o.sku}")
    price = Decimal("100.00")
    product_type = "electronics"

    @factory.post_generation
    def verified_domain(obj, create, extracted, **kwargs):  # noqa: N805
        """Product URLs only redirect from a verified domain of their merchant: give the
        merchant the URL's host, verified, unless the tenant has that domain already (another
        merchant's, or one the test made). ``verified_domain=False`` leaves it off."""
        if not create or extracted is False:
            return
        from urllib.parse import urlsplit

        from apps.tenants.scope import tenant_scope

        host = (urlsplit(obj.url).hostname or "").lower()
        with tenant_scope(obj.tenant):
            if host and not MerchantDomain.objects.filter(domain=host).exists():
                MerchantDomainFactory(tenant=obj.tenant, merchant=obj.merchant, domain=host)


class CampaignFactory(TenantOwnedFactory):
    class Meta:
        model = Campaign

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    name = factory.Sequence(lambda n: f"Campaign {n}")
    type = "cpm"
    bid = Decimal("20.0000")
    daily_budget = Decimal("1000.00")
    starts_at = factory.LazyFunction(lambda: datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))
    status = "active"


class CampaignProductFactory(TenantOwnedFactory):
    class Meta:
        model = CampaignProduct

    campaign = factory.SubFactory(CampaignFactory, tenant=factory.SelfAttribute("..tenant"))
    product = factory.SubFactory(
        ProductFactory,
        tenant=factory.SelfAttribute("..tenant"),
        merchant=factory.SelfAttribute("..campaign.merchant"),
    )
