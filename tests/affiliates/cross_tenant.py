from apps.affiliates.models import Affiliate, AffiliateIp, AffiliateNote, AffiliateSignup
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory, AffiliateIpFactory, AffiliateNoteFactory
from tests.tenancy.harness import register_model

register_model(Affiliate, make=lambda t: AffiliateFactory(tenant=t), search=lambda o: o.email)
register_model(
    AffiliateNote, make=lambda t: AffiliateNoteFactory(tenant=t), search=lambda o: o.affiliate.email
)
register_model(AffiliateIp, make=lambda t: AffiliateIpFactory(tenant=t), search=lambda o: o.ip)


def _make_signup(tenant):
    from tests.tenants.factories import UserFactory

    with tenant_scope(tenant):
        return AffiliateSignup.objects.create(tenant=tenant, user=UserFactory(), name="Signup")


register_model(AffiliateSignup, make=_make_signup, search=lambda o: o.name)

# Payout details (issue 14): encrypted, shown masked on the webmaster's pages only.
from apps.affiliates.models import PayoutDetails  # noqa: E402
from tests.affiliates.factories import PayoutDetailsFactory  # noqa: E402

register_model(PayoutDetails, make=lambda t: PayoutDetailsFactory(tenant=t))
