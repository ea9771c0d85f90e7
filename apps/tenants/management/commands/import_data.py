"""``import_data --tenant SLUG RESOURCE FILE [--dry-run]`` (API.md "Commands").

Any bad row: every row error is printed as ``line N, column C: message`` (the header is line
1), nothing is imported and the command exits 1. Success prints what was written. The rows go
through the same path as the admin's import (``apps.core.import_runner.run_import``).
"""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.core.import_runner import ImportFileError, run_import
from apps.core.imports import import_names
from apps.tenants.management.base import TenantCommand
from apps.tenants.models import Tenant


class Command(TenantCommand):
    help = (
        "Import merchants, affiliates, products or commission_rules from a .csv or .xlsx file; "
        "all rows or none."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument("resource", metavar="RESOURCE", help="merchants, affiliates, ...")
        parser.add_argument("file", metavar="FILE", help="a .csv (UTF-8) or .xlsx file")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate every row, write nothing"
        )

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        resource = options["resource"]
        if resource not in import_names():
            raise CommandError(
                f"Unknown resource {resource!r}; use one of: {', '.join(import_names())}."
            )
        path = Path(options["file"])
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"Cannot read {path}: {exc.strerror}.") from exc
        verbosity = int(options.get("verbosity", 1))

        def progress(done: int, total: int) -> None:
            if verbosity >= 2:
                self.stderr.write(f"{100 * done // total}%")

        try:
            report = run_import(
                resource,
                filename=path.name,
                content=content,
                tenant=tenant,
                dry_run=options["dry_run"],
                progress=progress,
            )
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc}") from exc
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(report.summary())
        self.stdout.write(report.summary())
