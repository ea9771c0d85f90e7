"""Abstract bases for every model."""

from django.db import models
from django_scopes import ScopedManager


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class TenantScopedModel(models.Model):
    """A row that belongs to one tenant (network), with no bookkeeping columns.

    Wall one: the default manager raises ``ScopeError`` outside a tenant scope and filters by
    the active tenant inside one. Wall two: the table gets PostgreSQL row-level security keyed on
    ``app.tenant_id`` (see ``apps.tenants.rls``); ``tests/tenancy`` checks every such table.
    High-volume event rows (raw clicks, impressions) use this base directly: every column and
    index costs on the click path.
    """

    tenant = models.ForeignKey(
        "tenants.Tenant", on_delete=models.PROTECT, editable=False, related_name="+"
    )

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


class TenantOwnedModel(TenantScopedModel, TimeStampedModel):
    """The usual tenant-owned row: tenant, scoped manager, created/updated stamps."""

    class Meta:
        abstract = True
