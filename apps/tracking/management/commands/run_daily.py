"""``manage.py run_daily --tenant SLUG --date DAY``: the day's pipeline (API.md "Commands")."""

import datetime
from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.tenants.management.base import TenantCommand
from apps.tenants.models import Tenant
from apps.tracking.services import daily_run_execute


def _day(value: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}.") from None


class Command(TenantCommand):
    help = (
        "Run the daily pipeline for one tenant-local day: click validation, roll-ups, "
        "spend, earnings, site weights. Idempotent: a rerun gives the same numbers."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("--date", required=True, metavar="DAY", help="YYYY-MM-DD")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        day = _day(options["date"])
        run = daily_run_execute(day=day)
        self.stdout.write(f"run_daily {tenant.slug} {day.isoformat()}: {run.status}")
        for name, value in sorted(run.counts.items()):
            self.stdout.write(f"  {name}: {value}")
