"""Wall two: PostgreSQL row-level security on every tenant-owned table.

Each tenant-owned table gets ``ENABLE`` + ``FORCE ROW LEVEL SECURITY`` and one policy that
compares its ``tenant_id`` with the transaction-local setting ``app.tenant_id``. With no
setting a query sees no rows and can write none. The app runs as a role that is neither
superuser nor BYPASSRLS (``config/database.py``), and as the tables' owner, hence ``FORCE``.

The setting is made with ``set_config(..., is_local => true)`` (``SET LOCAL``): it lives only
as long as its transaction, so a pooled connection never carries a tenant into the next one.
An execute wrapper, installed on every connection, sets it at the start of each transaction
from the active ``tenant_scope``; a lone autocommit statement inside a scope is given a
transaction of its own for the same reason.
"""

from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.db import connections, migrations, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from psycopg import pq

SETTING = "app.tenant_id"
POLICY = "tenant_isolation"
_PREDICATE = f"tenant_id = NULLIF(current_setting('{SETTING}', true), '')::bigint"

_current_tenant_id: ContextVar[int | None] = ContextVar("rls_tenant_id", default=None)


def set_current_tenant_id(tenant_id: int | None) -> None:
    """Called by ``tenant_scope`` only. Also re-sets any transaction already open."""
    _current_tenant_id.set(tenant_id)
    for connection in connections.all(initialized_only=True):
        raw = connection.connection
        if raw is not None and raw.info.transaction_status == pq.TransactionStatus.INTRANS:
            _apply(raw, tenant_id)


def current_tenant_id() -> int | None:
    return _current_tenant_id.get()


def _apply(raw: Any, tenant_id: int | None) -> None:
    raw.execute(
        "SELECT set_config(%s, %s, true)", [SETTING, "" if tenant_id is None else str(tenant_id)]
    )


def execute_wrapper(
    execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
) -> Any:
    tenant_id = _current_tenant_id.get()
    if tenant_id is None:
        return execute(sql, params, many, context)
    connection: BaseDatabaseWrapper = context["connection"]
    raw = connection.connection
    if raw.info.transaction_status != pq.TransactionStatus.IDLE:
        return execute(sql, params, many, context)
    if connection.get_autocommit():
        with transaction.atomic(using=connection.alias):
            _apply(raw, tenant_id)
            return execute(sql, params, many, context)
    _apply(raw, tenant_id)
    return execute(sql, params, many, context)


def install(sender: Any, connection: BaseDatabaseWrapper, **kwargs: Any) -> None:
    """``connection_created`` receiver."""
    if connection.vendor == "postgresql" and execute_wrapper not in connection.execute_wrappers:
        connection.execute_wrappers.insert(0, execute_wrapper)


def enable_sql(table: str) -> list[str]:
    quoted = '"' + table.replace('"', '""') + '"'
    return [
        f"ALTER TABLE {quoted} ENABLE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} FORCE ROW LEVEL SECURITY",
        f"DROP POLICY IF EXISTS {POLICY} ON {quoted}",
        f"CREATE POLICY {POLICY} ON {quoted} USING ({_PREDICATE}) WITH CHECK ({_PREDICATE})",
    ]


def disable_sql(table: str) -> list[str]:
    quoted = '"' + table.replace('"', '""') + '"'
    return [
        f"DROP POLICY IF EXISTS {POLICY} ON {quoted}",
        f"ALTER TABLE {quoted} NO FORCE ROW LEVEL SECURITY",
        f"ALTER TABLE {quoted} DISABLE ROW LEVEL SECURITY",
    ]


class EnableTenantRLS(migrations.operations.base.Operation):
    """Migration operation: row-level security for the tables of the named models.

    Use it in the migration that creates a tenant-owned model (and its historical twin):
    ``EnableTenantRLS("contract", "historicalcontract")``. ``tests/tenancy`` fails for any
    table with a ``tenant_id`` column that lacks the policy.
    """

    reversible = True
    reduces_to_sql = True

    def __init__(self, *model_names: str) -> None:
        self.model_names = model_names

    def deconstruct(self) -> tuple[str, list[Any], dict[str, Any]]:
        return (self.__class__.__qualname__, list(self.model_names), {})

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def _tables(self, app_label: str, apps: StateApps) -> list[str]:
        return [apps.get_model(app_label, name)._meta.db_table for name in self.model_names]

    def database_forwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        for table in self._tables(app_label, to_state.apps):
            for statement in enable_sql(table):
                schema_editor.execute(statement)

    def database_backwards(
        self,
        app_label: str,
        schema_editor: BaseDatabaseSchemaEditor,
        from_state: Any,
        to_state: Any,
    ) -> None:
        for table in self._tables(app_label, from_state.apps):
            for statement in disable_sql(table):
                schema_editor.execute(statement)

    def describe(self) -> str:
        return f"Enable tenant row-level security on {', '.join(self.model_names)}"
