"""``seed_demo``: the demo tenant ``demo`` (host demo.localhost) with people and data.

Idempotent: a rerun leaves one demo tenant; it prints the logins every time.
"""

from typing import Any

from django.core.management.base import BaseCommand

from apps.demo.services import DEMO_PASSWORD, demo_seed


class Command(BaseCommand):
    help = "Create (or refresh) the demo tenant with staff, merchants, webmasters and traffic."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--days", type=int, default=30, help="days of traffic to generate")
        parser.add_argument(
            "--port",
            type=int,
            default=8000,
            help="the port the server listens on, for the printed addresses (make run PORT=)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        port = options["port"]
        result = demo_seed(days=options["days"], log=self.stdout.write, port=port)
        self.stdout.write("")
        self.stdout.write(self.style.SUCCESS(f"Demo ready at http://demo.localhost:{port}/"))
        self.stdout.write(f"Every demo login below uses the password: {DEMO_PASSWORD}")
        for label, email in result.logins:
            self.stdout.write(f"  {label:<28} {email}")
