"""Day partitions of the raw event tables (issue 19; docs/scale.md "Partitions and retention").

``tracking_click`` and ``tracking_impression`` are PostgreSQL declarative ``RANGE``
partitions on their time column (``clicked_at``, ``served_at``), one partition per UTC day
(``tracking_click_p20261203`` holds ``[2026-12-03 00:00Z, 2026-12-04 00:00Z)``), plus one
``DEFAULT`` partition (``tracking_click_default``) that catches any row no day partition
takes, so a click is never refused for a missing partition and the click path stays one
INSERT. Boundaries are UTC midnights for every tenant: a tenant-local day is a
``[start, end)`` range in UTC that spans at most two partitions, and the roll-ups'
range predicates prune to exactly those.

Every unique key of a partitioned table must contain the partition column, so the database
primary key is ``(id, <time>)`` and the unique keys are ``(tenant_id, <uuid>, <time>)``; Django
keeps ``id`` as the model's primary key (it never needs the database to say so). Nothing can
reference a partitioned table's ``id`` alone, so ``Conversion.click`` has no database
constraint: the conversion service attributes only to a click it just read, and a click
removed by retention leaves its conversions with their denormalised placement, webmaster,
campaign and product.

This module is the one home of the partition DDL:

- ``table_partition`` / ``table_unpartition``: the conversion of migration 0010 (and its
  reverse), every row kept;
- ``partitions_ensure``: the day partitions from yesterday to ``DAYS_AHEAD`` days ahead, and a
  partition for every day that strayed into ``DEFAULT`` (its rows moved in);
- ``partitions_drop_before``: detach, archive (gzip CSV under ``RAW_EVENTS_ARCHIVE_DIR``) and
  drop the partitions that end on or before a UTC instant.

Partitions have no row-level-security policy of their own: the app reads and writes the
parent tables only (whose policy applies to every row routed through them); only this module
names a partition, as the tables' owner, for maintenance.
"""

from __future__ import annotations

import datetime
import gzip
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from apps.tenants import rls

UTC = datetime.UTC
#: the raw event tables and their partition column
PARTITIONED: dict[str, str] = {"tracking_click": "clicked_at", "tracking_impression": "served_at"}
#: day partitions kept ready ahead of today (UTC); the daily beat tops them up
DAYS_AHEAD = 14
_DAY_SUFFIX = re.compile(r"_p(\d{8})$")


@dataclass(frozen=True, slots=True)
class Partition:
    name: str
    day: datetime.date | None  # None: the DEFAULT partition


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def day_bounds(day: datetime.date) -> tuple[datetime.datetime, datetime.datetime]:
    """The UTC ``[start, end)`` of the partition of ``day``."""
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=UTC)
    return start, start + datetime.timedelta(days=1)


def partition_name(table: str, day: datetime.date | None) -> str:
    return f"{table}_default" if day is None else f"{table}_p{day:%Y%m%d}"


def partitions_of(cursor: Any, table: str) -> list[Partition]:
    """The partitions attached to ``table``, day partitions by day, then DEFAULT."""
    cursor.execute(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
        " WHERE i.inhparent = %s::regclass",
        [table],
    )
    out: list[Partition] = []
    for (name,) in cursor.fetchall():
        found = _DAY_SUFFIX.search(name)
        digits = found.group(1) if found else ""
        day = datetime.date(int(digits[:4]), int(digits[4:6]), int(digits[6:])) if found else None
        out.append(Partition(name=name, day=day))
    return sorted(out, key=lambda p: (p.day is None, p.day or datetime.date.min))


def is_partitioned(cursor: Any, table: str) -> bool:
    cursor.execute("SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table])
    row = cursor.fetchone()
    return bool(row) and row[0] == "p"


def _days_in(cursor: Any, table: str, column: str) -> list[datetime.date]:
    cursor.execute(
        f"SELECT DISTINCT ({_q(column)} AT TIME ZONE 'UTC')::date FROM {_q(table)}"  # noqa: S608
    )
    return sorted(day for (day,) in cursor.fetchall())


def _bound(value: datetime.datetime) -> str:
    # an explicit UTC offset: the literal means the same instant whatever the session zone
    return f"'{value:%Y-%m-%d %H:%M:%S}+00'"


def _create_day(cursor: Any, table: str, day: datetime.date) -> str:
    start, end = day_bounds(day)
    name = partition_name(table, day)
    cursor.execute(
        f"CREATE TABLE {_q(name)} PARTITION OF {_q(table)}"
        f" FOR VALUES FROM ({_bound(start)}) TO ({_bound(end)})"
    )
    return name


def partition_create(cursor: Any, *, table: str, day: datetime.date) -> str | None:
    """Create ``table``'s partition of ``day`` (UTC) unless it exists; rows of that day that
    landed in DEFAULT meanwhile move into it. The new partition's name, or None."""
    column = PARTITIONED[table]
    name = partition_name(table, day)
    if any(p.name == name for p in partitions_of(cursor, table)):
        return None
    default = partition_name(table, None)
    start, end = day_bounds(day)
    cursor.execute(
        f"SELECT EXISTS (SELECT 1 FROM {_q(default)}"  # noqa: S608
        f" WHERE {_q(column)} >= %s AND {_q(column)} < %s)",
        [start, end],
    )
    if not cursor.fetchone()[0]:
        return _create_day(cursor, table, day)
    # PostgreSQL refuses a partition whose range DEFAULT still holds rows of: build it
    # alone, move the day's rows out of DEFAULT, then attach it (one transaction).
    cursor.execute(
        f"CREATE TABLE {_q(name)} (LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)"
    )
    cursor.execute(
        f"WITH moved AS (DELETE FROM {_q(default)}"  # noqa: S608
        f" WHERE {_q(column)} >= %s AND {_q(column)} < %s RETURNING *)"
        f" INSERT INTO {_q(name)} SELECT * FROM moved",
        [start, end],
    )
    cursor.execute(
        f"ALTER TABLE {_q(table)} ATTACH PARTITION {_q(name)}"
        f" FOR VALUES FROM ({_bound(start)}) TO ({_bound(end)})"
    )
    return name


def partitions_ensure(
    cursor: Any, *, today: datetime.date | None = None, days_ahead: int = DAYS_AHEAD
) -> list[str]:
    """The day partitions of every raw table from yesterday (UTC) to ``days_ahead`` days
    ahead, and one for each day that strayed into DEFAULT (its rows moved in). Idempotent;
    the names created."""
    today = today or datetime.datetime.now(UTC).date()
    wanted = {today + datetime.timedelta(days=n) for n in range(-1, days_ahead + 1)}
    created: list[str] = []
    for table, column in PARTITIONED.items():
        strays = _days_in(cursor, partition_name(table, None), column)
        for day in sorted(wanted | set(strays)):
            name = partition_create(cursor, table=table, day=day)
            if name:
                created.append(name)
    return created


def partitions_drop_before(
    cursor: Any, *, before: datetime.datetime, archive_dir: Path | None
) -> list[str]:
    """Detach and drop every day partition that ends on or before ``before`` (a UTC instant):
    retention has passed all its rows for every tenant. With ``archive_dir`` each partition
    is first written to ``<archive_dir>/<partition>.csv.gz`` (CSV with a header, as COPY
    writes it). DEFAULT is never dropped. The names dropped."""
    dropped: list[str] = []
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no pending checks on a dropped table
    for table in PARTITIONED:
        for partition in partitions_of(cursor, table):
            if partition.day is None or day_bounds(partition.day)[1] > before:
                continue
            cursor.execute(f"ALTER TABLE {_q(table)} DETACH PARTITION {_q(partition.name)}")
            if archive_dir is not None:
                partition_archive(cursor, name=partition.name, archive_dir=archive_dir)
            cursor.execute(f"DROP TABLE {_q(partition.name)}")
            dropped.append(partition.name)
    return dropped


def partition_archive(cursor: Any, *, name: str, archive_dir: Path) -> Path:
    """``COPY`` a (detached) partition to ``<archive_dir>/<name>.csv.gz``."""
    archive_dir.mkdir(parents=True, exist_ok=True)
    path = archive_dir / f"{name}.csv.gz"
    raw = cursor.connection
    with (
        gzip.open(path, "wb") as out,
        raw.cursor() as copy_cursor,
        copy_cursor.copy(f"COPY {_q(name)} TO STDOUT WITH (FORMAT csv, HEADER)") as copy,
    ):
        for block in copy:
            out.write(block)
    return path


# -- the conversion (migration 0010) --------------------------------------------------------


def _constraints(cursor: Any, table: str) -> list[tuple[str, str, list[str], str]]:
    """(name, type, columns, definition) of ``table``'s primary, unique and foreign keys."""
    cursor.execute(
        "SELECT k.conname, k.contype, pg_get_constraintdef(k.oid),"
        " ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY AS c(num, pos)"
        "       JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = c.num"
        "       ORDER BY c.pos)"
        " FROM pg_constraint k WHERE k.conrelid = %s::regclass AND k.contype IN ('p', 'u', 'f')"
        " ORDER BY k.contype, k.conname",
        [table],
    )
    return [(name, kind, list(columns), definition) for name, kind, definition, columns in cursor]


def _plain_indexes(cursor: Any, table: str) -> list[str]:
    """The definitions of ``table``'s indexes that back no constraint."""
    cursor.execute(
        "SELECT pg_get_indexdef(i.indexrelid) FROM pg_index i"
        " WHERE i.indrelid = %s::regclass AND NOT EXISTS"
        " (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
        " ORDER BY i.indexrelid",
        [table],
    )
    # a partitioned parent's index reads "ON ONLY": recreated, it must reach the partitions
    return [d.replace(" ON ONLY ", " ON ", 1) for (d,) in cursor.fetchall()]


def _rebuild(
    cursor: Any, *, table: str, column: str, partitioned: bool, today: datetime.date | None
) -> dict[str, int]:
    """Copy ``table`` into a new table (partitioned by day on ``column``, or plain), every row
    kept, and put the new one in its place with the same keys, indexes, foreign keys,
    identity sequence position and row-level security."""
    # a table with pending deferred checks cannot be dropped: check them now
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    constraints = _constraints(cursor, table)
    indexes = _plain_indexes(cursor, table)
    new = f"{table}__new"
    # the owner reads every tenant's rows only without FORCE (the old table goes anyway)
    cursor.execute(f"ALTER TABLE {_q(table)} NO FORCE ROW LEVEL SECURITY")
    cursor.execute(f"SELECT count(*), max(id) FROM {_q(table)}")  # noqa: S608
    rows, max_id = cursor.fetchone()
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (sequence,) = cursor.fetchone()
    cursor.execute("SELECT pg_sequence_last_value(%s::regclass)", [sequence])
    (last_value,) = cursor.fetchone()
    restart = max(max_id or 0, last_value or 0) + 1
    like = (
        f"(LIKE {_q(table)} INCLUDING DEFAULTS INCLUDING IDENTITY INCLUDING CONSTRAINTS"
        " INCLUDING STORAGE INCLUDING COMMENTS)"
    )
    partition_by = f" PARTITION BY RANGE ({_q(column)})" if partitioned else ""
    cursor.execute(f"CREATE TABLE {_q(new)} {like}{partition_by}")
    if partitioned:
        today = today or datetime.datetime.now(UTC).date()
        wanted = {today + datetime.timedelta(days=n) for n in range(-1, DAYS_AHEAD + 1)}
        # named after the final table: the old one has no partitions to clash with
        for day in sorted(wanted | set(_days_in(cursor, table, column))):
            start, end = day_bounds(day)
            cursor.execute(
                f"CREATE TABLE {_q(partition_name(table, day))} PARTITION OF {_q(new)}"
                f" FOR VALUES FROM ({_bound(start)}) TO ({_bound(end)})"
            )
        cursor.execute(
            f"CREATE TABLE {_q(partition_name(table, None))} PARTITION OF {_q(new)} DEFAULT"
        )
    cursor.execute(f"INSERT INTO {_q(new)} SELECT * FROM {_q(table)}")  # noqa: S608
    cursor.execute(f"SELECT count(*) FROM {_q(new)}")  # noqa: S608
    (copied,) = cursor.fetchone()
    if copied != rows:  # cannot happen in one transaction; a loud stop if it ever does
        raise RuntimeError(f"{table}: copied {copied} of {rows} rows")
    cursor.execute(f"DROP TABLE {_q(table)}")
    cursor.execute(f"ALTER TABLE {_q(new)} RENAME TO {_q(table)}")
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    (new_sequence,) = cursor.fetchone()
    cursor.execute(f"ALTER SEQUENCE {new_sequence} RENAME TO {_q(f'{table}_id_seq')}")
    cursor.execute(f"ALTER TABLE {_q(table)} ALTER COLUMN id RESTART WITH {int(restart)}")
    for name, kind, columns, definition in constraints:
        if kind == "f":
            cursor.execute(f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)} {definition}")
            continue
        keys = [c for c in columns if c != column] + ([column] if partitioned else [])
        what = "PRIMARY KEY" if kind == "p" else "UNIQUE"
        cursor.execute(
            f"ALTER TABLE {_q(table)} ADD CONSTRAINT {_q(name)}"
            f" {what} ({', '.join(_q(c) for c in keys)})"
        )
    for definition in indexes:
        cursor.execute(definition)
    for statement in rls.enable_sql(table):
        cursor.execute(statement)
    cursor.execute(f"ANALYZE {_q(table)}")
    return {"rows": rows, "copied": copied}


def table_partition(
    cursor: Any, *, table: str, column: str, today: datetime.date | None = None
) -> dict[str, int]:
    """Convert the plain ``table`` into day partitions on ``column`` without losing a row:
    a partition for every UTC day that has rows, the days from yesterday to ``DAYS_AHEAD``
    ahead, and DEFAULT; the primary key becomes ``(id, column)`` and ``column`` joins every
    unique key. A no-op on a table that is partitioned already."""
    if is_partitioned(cursor, table):
        return {"rows": 0, "copied": 0}
    return _rebuild(cursor, table=table, column=column, partitioned=True, today=today)


def table_unpartition(cursor: Any, *, table: str, column: str) -> dict[str, int]:
    """The reverse: one plain table again, keys without ``column``, every row kept."""
    if not is_partitioned(cursor, table):
        return {"rows": 0, "copied": 0}
    return _rebuild(cursor, table=table, column=column, partitioned=False, today=None)
