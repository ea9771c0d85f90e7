from apps.affiliates.models import Affiliate, AffiliateIp, AffiliateNote
from tests.affiliates.factories import AffiliateFactory, AffiliateIpFactory, AffiliateNoteFactory
from tests.tenancy.harness import register_model

register_model(Affiliate, make=lambda t: AffiliateFactory(tenant=t), search=lambda o: o.email)
register_model(
    AffiliateNote, make=lambda t: AffiliateNoteFactory(tenant=t), search=lambda o: o.affiliate.email
)
register_model(AffiliateIp, make=lambda t: AffiliateIpFactory(tenant=t), search=lambda o: o.ip)
