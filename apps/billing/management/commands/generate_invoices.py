"""``generate_invoices --tenant SLUG --period YYYY-MM``: draft merchant invoices for every
merchant with something to bill in a month that has ended; idempotent (docs/billing.md)."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.billing.services.invoices import invoices_generate
from apps.core.errors import DomainError
from apps.tenants.management.base import TenantCommand
from apps.tenants.models import Tenant


class Command(TenantCommand):
    help = "Create or refresh the period's draft merchant invoices (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--period", required=True, metavar="YYYY-MM")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        try:
            result = invoices_generate(period=options["period"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{tenant.slug} {result['period']}: {result['invoices']} draft invoice(s), "
            f"{result['created']} new, {result['updated']} changed, "
            f"{result['skipped']} under review or final (left alone)."
        )
