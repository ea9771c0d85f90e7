from apps.disputes.models import Claim, ClaimEvidence, Dispute
from tests.disputes.factories import ClaimEvidenceFactory, ClaimFactory, DisputeFactory
from tests.tenancy.harness import register_endpoint, register_model

register_model(Claim, make=lambda t: ClaimFactory(tenant=t), search=lambda o: o.campaign.name)
register_model(
    ClaimEvidence, make=lambda t: ClaimEvidenceFactory(tenant=t), search=lambda o: o.original_name
)
register_model(Dispute, make=lambda t: DisputeFactory(tenant=t), search=lambda o: o.order_reference)

register_endpoint("api:claim-list", principal="merchant", model=Claim, owner=lambda o: o.merchant)
register_endpoint(
    "api:dispute-list", principal="affiliate", model=Dispute, owner=lambda o: o.affiliate
)
