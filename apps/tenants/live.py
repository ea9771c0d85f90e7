"""What the hot paths serve is live: the seam between writes and the tracking snapshot.

``/c/``, ``/serve/`` and ``/px/*`` serve from a per-process snapshot of each tenant's live
state (placements with their site and webmaster status and weight, active products, verified
merchant domains, eligible campaigns and their products; issue "Click and serve paths").
Every write that changes any of those calls ``live_state_changed()`` inside its transaction;
on commit the tenant's serving version is bumped and every process reloads that tenant.

Callers (services of affiliates, sites, campaigns, products, merchants; admin actions and
imports through those services; run_daily's weights and tagging steps; billing when a
prepaid balance runs out) only ever call this function: how the news travels (PostgreSQL
``NOTIFY``, Redis, a bounded poll) is the tracking snapshot's business.
"""

from __future__ import annotations

from collections.abc import Callable

from django.db import transaction

from apps.tenants.scope import current_tenant_or_none

#: called on commit with the tenant id whose live state changed (registered by tracking)
_listeners: list[Callable[[int], None]] = []


def register_live_state_listener(listener: Callable[[int], None]) -> None:
    if listener not in _listeners:
        _listeners.append(listener)


def live_state_changed(*, tenant_id: int | None = None) -> None:
    """Say that the active (or given) tenant's served state changed; acts on commit, once per
    transaction and tenant however often it is called."""
    if tenant_id is None:
        tenant = current_tenant_or_none()
        if tenant is None:
            raise LookupError("live_state_changed() needs a tenant scope or tenant_id")
        tenant_id = tenant.pk
    connection = transaction.get_connection()
    pending: set[int] = connection.__dict__.setdefault("_alliance_live_pending", set())
    if tenant_id in pending:
        return
    pending.add(tenant_id)

    def notify() -> None:
        pending.discard(tenant_id)
        for listener in list(_listeners):
            listener(tenant_id)

    if connection.in_atomic_block:
        transaction.on_commit(notify)
    else:
        notify()
