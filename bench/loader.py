"""Bulk loading for the benchmark data: COPY into a staging table, then one INSERT ... SELECT.

PostgreSQL refuses ``COPY FROM`` into a table with row-level security ("COPY FROM not
supported with row-level security"), and every tenant-owned table has it. So each batch is
copied into an unconstrained temporary table first and moved with one ``INSERT ... SELECT``,
which runs under the tenant's policy (its ``WITH CHECK`` sees ``app.tenant_id``): the bench
data goes through the same wall as the product's writes, at COPY speed.

Foreign keys: Django makes them ``DEFERRABLE INITIALLY DEFERRED``, so every inserted row
queues one check per key, run one by one at commit (most of the load time at 1M rows), and
with RLS on both sides PostgreSQL cannot validate a re-added key in one join either. So each
table's keys are dropped around its INSERT and re-added ``NOT VALID``: enforced for every
later write, not re-checked for the rows the generator wired itself from ids it reserved.

Indexes: a load of at least ``REBUILD_INDEXES_FROM`` rows drops the table's secondary indexes
and unique constraints and builds them again after the INSERT (the same definitions, read
from the catalog), as pg_restore does.

Ids are reserved from each table's own sequence in one block, so the generator can wire
foreign keys without reading anything back and several tenants can share one database.
"""

from __future__ import annotations

import datetime
import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

import psycopg
from django.db import connection, models
from django.db.models import NOT_PROVIDED

from apps.tenants.models import Tenant


class SchemaDriftError(RuntimeError):
    """A NOT NULL column appeared that the generator does not fill and has no default."""


class Loader:
    def __init__(self, tenant: Tenant, *, now: datetime.datetime) -> None:
        self.tenant = tenant
        self.now = now
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}  # time in INSERT ... SELECT per table
        self.copy_seconds: dict[str, float] = {}  # time generating and copying to staging

    @property
    def raw(self) -> Any:
        connection.ensure_connection()
        return connection.connection

    def enter_tenant(self) -> None:
        """Set the RLS key for the open transaction (the caller holds ``transaction.atomic``).

        Staging tables stay in memory (``temp_buffers``, settable before a session's first
        temporary table) instead of spilling to disk."""
        raw = self.raw
        raw.execute("SAVEPOINT bench_temp_buffers")
        try:
            raw.execute("SET temp_buffers = '1GB'")
        except psycopg.Error:  # this session used temporary tables already: keep its setting
            raw.execute("ROLLBACK TO SAVEPOINT bench_temp_buffers")
        raw.execute("RELEASE SAVEPOINT bench_temp_buffers")
        raw.execute("SELECT set_config('app.tenant_id', %s, true)", [str(self.tenant.pk)])

    def reserve_ids(self, model: type[models.Model], n: int) -> int:
        """The first of ``n`` consecutive ids taken from the table's own sequence."""
        if n <= 0:
            return 0
        table = model._meta.db_table
        pk = model._meta.pk.column
        start = self.raw.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s))", [table, pk]
        ).fetchone()[0]
        if n > 1:
            self.raw.execute(
                "SELECT setval(pg_get_serial_sequence(%s, %s), %s)", [table, pk, start + n - 1]
            )
        return start

    #: big loads drop the table's secondary indexes and build them once afterwards (a sort
    #: per index instead of a million random inserts into each)
    REBUILD_INDEXES_FROM = 50_000

    def _secondary_indexes(self, table: str) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """(unique and exclusion constraints, plain indexes) of ``table`` with their
        definitions, the primary key left out. Only for a table empty of other rows' weight:
        rebuilding costs a sort of the whole table."""
        constraints = self.raw.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'x')",
            [table],
        ).fetchall()
        indexes = self.raw.execute(
            "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "JOIN pg_class c ON c.oid = i.indexrelid "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary "
            "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)",
            [table],
        ).fetchall()
        return constraints, indexes

    def _constant(self, field: models.Field) -> Any:
        if isinstance(field, models.DateTimeField) and (field.auto_now or field.auto_now_add):
            return self.now
        if field.default is not NOT_PROVIDED:
            value = field.get_default()
            if isinstance(field, models.JSONField):
                return json.dumps(value)
            return value
        if field.null:
            return None
        if isinstance(field, models.CharField | models.TextField) and field.blank:
            return ""
        raise SchemaDriftError(
            f"{field.model.__name__}.{field.name} is NOT NULL without a default: "
            "fill it in bench/generate.py"
        )

    def load(
        self, model: type[models.Model], columns: Sequence[str], rows: Iterable[Sequence[Any]]
    ) -> int:
        """Insert ``rows`` (tuples in ``columns`` order) into ``model``'s table for the tenant.

        Columns not given get their model default (timestamps: ``now``); ``tenant_id`` is added.
        """
        table = model._meta.db_table
        given = list(columns)
        extra_cols: list[str] = []
        extra_vals: list[Any] = []
        for field in model._meta.concrete_fields:
            column = field.column
            if column in given or (field.primary_key and column not in given):
                continue
            if column == "tenant_id":
                extra_cols.append(column)
                extra_vals.append(self.tenant.pk)
                continue
            extra_cols.append(column)
            extra_vals.append(self._constant(field))
        cols = given + extra_cols
        tail = tuple(extra_vals)
        collist = ", ".join(f'"{c}"' for c in cols)
        stage = f"_stage_{table}"
        raw = self.raw
        raw.execute(
            f'CREATE TEMP TABLE "{stage}" ON COMMIT DROP AS SELECT {collist} FROM "{table}" '
            "WITH NO DATA"
        )
        started = time.perf_counter()
        n = 0
        with raw.cursor() as cur, cur.copy(f'COPY "{stage}" ({collist}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row((*row, *tail))
                n += 1
        copied = time.perf_counter()
        self.copy_seconds[table] = self.copy_seconds.get(table, 0.0) + copied - started
        foreign_keys = raw.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = %s::regclass",
            [table],
        ).fetchall()
        for name, _ in foreign_keys:
            raw.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        rebuild = n >= self.REBUILD_INDEXES_FROM
        constraints, indexes = self._secondary_indexes(table) if rebuild else ([], [])
        for name, _ in constraints:
            raw.execute(f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"')
        for name, _ in indexes:
            raw.execute(f'DROP INDEX "{name}"')
        raw.execute(f'INSERT INTO "{table}" ({collist}) SELECT {collist} FROM "{stage}"')
        for _, definition in indexes:
            raw.execute(definition)
        for name, definition in constraints:
            raw.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}')
        # PostgreSQL 15 refuses NOT VALID foreign keys on a partitioned table (the raw
        # events, issue 19): there the key is checked as it is added, in one pass
        (kind,) = raw.execute(
            "SELECT relkind FROM pg_class WHERE oid = %s::regclass", [table]
        ).fetchone()
        not_valid = "" if kind == "p" else " NOT VALID"
        for name, definition in foreign_keys:
            raw.execute(f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" {definition}{not_valid}')
        raw.execute(f'DROP TABLE "{stage}"')
        self.seconds[table] = self.seconds.get(table, 0.0) + time.perf_counter() - copied
        self.counts[table] = self.counts.get(table, 0) + n
        return n
