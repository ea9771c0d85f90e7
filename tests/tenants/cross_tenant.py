from apps.tenants.models import Membership
from tests.tenancy.harness import register_model
from tests.tenants.factories import MembershipFactory


def _membership(tenant):
    return MembershipFactory(tenant=tenant, role="bd")


register_model(Membership, make=_membership, search=lambda m: m.user.email)
