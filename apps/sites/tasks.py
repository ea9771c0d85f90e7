"""Background work of the sites app."""

from apps.sites.models import Site
from apps.sites.services import site_verify
from apps.tenants.tasks import TenantTask, tenant_task


@tenant_task("sites.site_verify")
def site_verify_task(self: TenantTask, *, tenant_id: int, site_id: int) -> bool:
    """Check one site's ownership proof (idempotent: a re-run only re-checks).

    A site deleted meanwhile is skipped. Returns whether the site is verified."""
    site = Site.objects.filter(pk=site_id).first()
    if site is None:
        return False
    return site_verify(site=site).is_verified
