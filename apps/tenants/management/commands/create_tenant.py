"""``create_tenant SLUG --name N --domain HOST [--currency CNY] [--timezone Asia/Shanghai]``."""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.core.errors import DomainError, validation_message
from apps.tenants.services import tenant_create


class Command(BaseCommand):
    help = "Create a tenant (network) with its domain. Fails clearly if the slug or host exists."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug")
        parser.add_argument("--name", required=True)
        parser.add_argument("--domain", required=True, help="host name, e.g. alliance.example.com")
        parser.add_argument("--currency", default="CNY")
        parser.add_argument("--timezone", default="Asia/Shanghai")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = tenant_create(
                slug=options["slug"],
                name=options["name"],
                host=options["domain"],
                currency=options["currency"],
                timezone=options["timezone"],
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError(f"Invalid tenant: {validation_message(exc)}") from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Created tenant {tenant.slug} ({tenant.name}) at {options['domain']}"
            )
        )
