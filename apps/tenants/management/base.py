"""Commands that act on one tenant take ``--tenant SLUG`` and run inside its scope."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.tenants.models import Tenant
from apps.tenants.scope import tenant_scope


class TenantCommand(BaseCommand):
    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", required=True, metavar="SLUG", help="the tenant's slug")

    def handle(self, *args: Any, **options: Any) -> Any:
        slug = options["tenant"]
        tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            raise CommandError(f"No tenant with slug {slug!r}.")
        options.pop("tenant")
        with tenant_scope(tenant):
            return self.handle_tenant(tenant, *args, **options)

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> Any:
        raise NotImplementedError
