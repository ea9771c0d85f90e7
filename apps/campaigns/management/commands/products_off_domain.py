"""``products_off_domain --tenant SLUG``: active products whose URL is off their merchant's
verified domains (``/c/?sku=`` refuses to redirect to them). Exit 1 when there are any."""

from typing import Any

from apps.campaigns.selectors.merchants import products_off_verified_domains
from apps.tenants.management.base import TenantCommand
from apps.tenants.models import Tenant


class Command(TenantCommand):
    help = __doc__

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        off = products_off_verified_domains()
        for product, why in off:
            self.stdout.write(f"{product.merchant.code}\t{product.sku}\t{product.url}\t{why}")
        self.stdout.write(f"products_off_domain: {len(off)} product(s) stop redirecting")
        if off:
            raise SystemExit(1)
