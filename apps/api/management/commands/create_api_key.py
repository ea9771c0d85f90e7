"""``create_api_key --tenant SLUG (--merchant CODE | --affiliate EMAIL) [--scopes S,...]``.

Prints the new key once, as the last word of the last line; only its hash is stored.
"""

from typing import Any

from django.core.management.base import CommandError, CommandParser

from apps.affiliates.models import Affiliate
from apps.api.services import api_key_create
from apps.campaigns.models import Merchant
from apps.core.errors import DomainError
from apps.tenants.management.base import TenantCommand
from apps.tenants.models import Tenant


class Command(TenantCommand):
    help = "Create an API key for a merchant or a webmaster and print it once."

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        who = parser.add_mutually_exclusive_group(required=True)
        who.add_argument("--merchant", metavar="CODE")
        who.add_argument("--affiliate", metavar="EMAIL")
        parser.add_argument(
            "--scopes", default="", help="comma-separated; default: all of the kind"
        )
        parser.add_argument("--name", default="", help="a label for the key")

    def handle_tenant(self, tenant: Tenant, *args: Any, **options: Any) -> None:
        merchant = affiliate = None
        if options["merchant"]:
            merchant = Merchant.objects.filter(code__iexact=options["merchant"]).first()
            if merchant is None:
                raise CommandError(
                    f"No merchant with code {options['merchant']!r} in {tenant.slug}."
                )
        else:
            affiliate = Affiliate.objects.filter(email__iexact=options["affiliate"]).first()
            if affiliate is None:
                raise CommandError(
                    f"No webmaster with email {options['affiliate']!r} in {tenant.slug}."
                )
        scopes = [s for s in options["scopes"].split(",") if s.strip()]
        try:
            issued = api_key_create(
                merchant=merchant, affiliate=affiliate, scopes=scopes, name=options["name"]
            )
        except DomainError as exc:
            raise CommandError(str(exc)) from exc
        key = issued.api_key
        self.stdout.write(f"Principal: {key.principal} · scopes: {', '.join(key.scopes)}")
        self.stdout.write("Store it now; it is not shown again. Key: " + issued.plaintext)
