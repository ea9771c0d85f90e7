"""``generate_settlements --tenant SLUG --period YYYY-MM`` (API.md): draft statements for every
webmaster with activity in the period; idempotent (a rerun creates nothing twice)."""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.commissions.services.statements import statements_generate
from apps.core.errors import DomainError
from apps.tenants.management.base import TenantCommand
from apps.tenants.models import Tenant


class Command(TenantCommand):
    help = "Create or refresh the period's draft settlement statements (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--period", required=True, metavar="YYYY-MM")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        try:
            result = statements_generate(period=options["period"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"{tenant.slug} {result['period']}: {result['statements']} draft statement(s), "
            f"{result['created']} new, {result['updated']} updated, "
            f"{result['lines_created']} line(s) added, {result['lines_updated']} changed, "
            f"{result['lines_deleted']} removed, {result['skipped']} not draft (left alone)."
        )
