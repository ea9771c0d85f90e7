"""``manage.py partitions [--maintain]``: the raw event partitions (docs/scale.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import connection

from apps.tracking import partitions
from apps.tracking.services.retention import raw_events_maintain


class Command(BaseCommand):
    help = (
        "List the day partitions of the raw click and impression tables (with the planner's "
        "row estimate); --maintain also runs the daily maintenance now: partitions ahead, "
        "strays out of DEFAULT, every tenant's retention, old partitions archived and dropped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--maintain", action="store_true", help="run the maintenance now")
        parser.add_argument("--days-ahead", type=int, default=partitions.DAYS_AHEAD, metavar="N")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["maintain"]:
            done = raw_events_maintain(days_ahead=options["days_ahead"])
            self.stdout.write(f"created {len(done['created'])}: {', '.join(done['created'])}")
            for slug, counts in done["purged"].items():
                self.stdout.write(f"retention {slug}: {counts}")
            self.stdout.write(f"dropped {len(done['dropped'])}: {', '.join(done['dropped'])}")
        with connection.cursor() as cursor:
            for table in partitions.PARTITIONED:
                found = partitions.partitions_of(cursor, table)
                self.stdout.write(f"{table}: {len(found)} partitions")
                for partition in found:
                    cursor.execute(
                        "SELECT reltuples::bigint FROM pg_class WHERE relname = %s",
                        [partition.name],
                    )
                    (estimate,) = cursor.fetchone()
                    self.stdout.write(f"  {partition.name}  ~{max(estimate, 0)} rows")
