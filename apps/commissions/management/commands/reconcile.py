"""``manage.py reconcile --tenant SLUG --period YYYY-MM``: does every copy of every figure of
the period agree? (issue 13; docs/reconcile.md)

Prints each difference with where it is (placement code and id, day, amount), then exactly
``reconcile: N differences`` as the last line; exits 1 when N > 0. The result is stored for the
finance page (``ReconcileRun``)."""

import sys
from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.commissions.reconcile import reconcile_record
from apps.core.errors import DomainError
from apps.tenants.management.base import TenantCommand
from apps.tenants.models import Tenant


class Command(TenantCommand):
    help = "Check that roll-ups, earnings, commissions, ledger, statements and reports agree."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--period", required=True, metavar="YYYY-MM")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        try:
            _, differences = reconcile_record(period=options["period"])
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        for difference in differences:
            self.stdout.write(str(difference))
        self.stdout.write(f"reconcile: {len(differences)} differences")
        if differences:
            self.stdout.flush()
            sys.exit(1)
