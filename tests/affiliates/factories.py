import factory

from apps.affiliates.models import Affiliate, AffiliateIp, AffiliateNote
from tests.factories import TenantOwnedFactory


class AffiliateFactory(TenantOwnedFactory):
    class Meta:
        model = Affiliate

    email = factory.Sequence(lambda n: f"webmaster{n}@example.net")
    name = factory.Sequence(lambda n: f"Webmaster {n}")
    kind = "webmaster"
    status = "active"


class AffiliateNoteFactory(TenantOwnedFactory):
    class Meta:
        model = AffiliateNote

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    body = "Called; interested in the bottom-right slot."


class AffiliateIpFactory(TenantOwnedFactory):
    class Meta:
        model = AffiliateIp

    affiliate = factory.SubFactory(AffiliateFactory, tenant=factory.SelfAttribute("..tenant"))
    ip = factory.Sequence(lambda n: f"198.51.100.{n % 250 + 1}")
