"""Entering a tenant: both walls at once.

``tenant_scope(tenant)`` activates the django-scopes scope (wall one: unscoped queries on
tenant-owned models raise) and the PostgreSQL setting ``app.tenant_id`` that row-level
security keys on (wall two). Every entry point (request middleware, API, Celery tasks,
management commands, the shell) goes through here; nothing else sets either.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django_scopes import scope as scopes_scope

from apps.core.observability import tenant_var
from apps.tenants import rls

if TYPE_CHECKING:
    from apps.tenants.models import Tenant

_current_tenant: ContextVar["Tenant | None"] = ContextVar("current_tenant", default=None)


@contextmanager
def tenant_scope(tenant: "Tenant") -> Iterator["Tenant"]:
    if tenant is None or tenant.pk is None:
        raise ValueError("tenant_scope needs a saved Tenant")
    token = _current_tenant.set(tenant)
    log_token = tenant_var.set(tenant.slug)
    rls.set_current_tenant_id(tenant.pk)
    try:
        with scopes_scope(tenant=tenant.pk):
            yield tenant
    finally:
        _current_tenant.reset(token)
        tenant_var.reset(log_token)
        previous = _current_tenant.get()
        rls.set_current_tenant_id(previous.pk if previous is not None else None)


def current_tenant() -> "Tenant":
    """The tenant of the active scope; raises outside one (never guess a tenant)."""
    tenant = _current_tenant.get()
    if tenant is None:
        raise LookupError("No tenant scope is active.")
    return tenant


def current_tenant_or_none() -> "Tenant | None":
    return _current_tenant.get()
