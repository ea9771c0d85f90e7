import factory

from apps.campaigns.models import Merchant, MerchantDomain, MerchantUser
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


class MerchantUserFactory(TenantOwnedFactory):
    class Meta:
        model = MerchantUser

    merchant = factory.SubFactory(MerchantFactory, tenant=factory.SelfAttribute("..tenant"))
    user = factory.SubFactory(UserFactory)
