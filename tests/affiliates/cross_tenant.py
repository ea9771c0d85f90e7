from apps.affiliates.models import Affiliate, AffiliateNote
from tests.affiliates.factories import AffiliateFactory, AffiliateNoteFactory
from tests.tenancy.harness import register_model

register_model(Affiliate, make=lambda t: AffiliateFactory(tenant=t), search=lambda o: o.email)
register_model(
    AffiliateNote, make=lambda t: AffiliateNoteFactory(tenant=t), search=lambda o: o.affiliate.email
)
