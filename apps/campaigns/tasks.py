"""Background work of the campaigns app."""

from apps.campaigns.models import MerchantDomain
from apps.campaigns.services.merchants import merchant_domain_verify
from apps.tenants.tasks import TenantTask, tenant_task


@tenant_task("campaigns.merchant_domain_verify")
def merchant_domain_verify_task(self: TenantTask, *, tenant_id: int, domain_id: int) -> bool:
    """Check one merchant domain's ownership proof (idempotent: a re-run only re-checks).

    A domain removed meanwhile is skipped. Returns whether the domain is verified."""
    domain = MerchantDomain.objects.filter(pk=domain_id).first()
    if domain is None:
        return False
    return merchant_domain_verify(domain=domain).is_verified
