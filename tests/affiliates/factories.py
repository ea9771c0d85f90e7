import factory

from apps.affiliates.models import Affiliate, AffiliateNote
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
