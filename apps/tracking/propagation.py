"""How a change of served state reaches every process within a second.

1. A write calls ``apps.tenants.live.live_state_changed()``; after its commit
   ``live_state_announce`` (registered from ``TrackingConfig.ready``) marks the tenant stale
   in this process, bumps the tenant's ``LiveVersion`` and sends ``NOTIFY alliance_live,
   'TENANT:VERSION'`` in the same statement. PostgreSQL is the one transport, with or without
   Redis: the version and the news travel with the database the change was committed to
   (docs/click-path.md "Live state" says why).
2. Each serving process runs one daemon thread (started by its first tracking request, so
   after gunicorn's fork) holding its own connection that ``LISTEN``s. A notification for a
   tenant this process holds, at a version it does not have, reloads that tenant there and
   then, off the request path: requests keep answering from the previous snapshot until the
   new one replaces it.
3. A lost notification (the listening connection dropped, a restart of PostgreSQL) cannot
   leave the process stale for long: every ``TRACKING_LIVE_POLL_SECONDS`` (default 2) the
   thread compares the versions of the tenants it holds with ``LiveVersion`` (one query),
   and after a reconnect it compares at once. As a last net, a snapshot older than
   ``TRACKING_SNAPSHOT_MAX_AGE`` (default 300 s) is reloaded anyway.
4. The same thread refreshes the day's provisional spend of each tenant with campaigns every
   ``TRACKING_SPEND_POLL_SECONDS`` (default 0.5) and records budget exhaustion
   (``apps.tracking.budget``).

Without the thread (``TRACKING_LIVE_LISTEN = False``: tests, shells, management commands),
a stale snapshot is reloaded by the next request of this process; ``tick()`` does one round
of the thread's work by hand.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

from django.conf import settings
from django.db import connection, connections

from apps.tracking import budget
from apps.tracking.snapshot import registry

log = logging.getLogger("alliance.tracking.live")

CHANNEL = "alliance_live"
ANNOUNCE = """
WITH bumped AS (
    INSERT INTO tenants_liveversion (tenant_id, version, changed_at) VALUES (%s, 1, now())
    ON CONFLICT (tenant_id) DO UPDATE
    SET version = tenants_liveversion.version + 1, changed_at = now()
    RETURNING version
)
SELECT pg_notify(%s, %s || ':' || version) FROM bumped
"""


def _setting(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def live_state_announce(tenant_id: int) -> None:
    """After a commit that changed ``tenant_id``'s served state: stale here, a new version
    for everyone, a notification. Never raises (the change is committed; the poll and the
    snapshot's maximum age still bound how long anyone serves the old state)."""
    registry.invalidate(tenant_id)
    try:
        with connection.cursor() as cursor:
            cursor.execute(ANNOUNCE, [tenant_id, CHANNEL, str(tenant_id)])
    except Exception:
        log.exception("could not announce the new state of tenant %s", tenant_id)


# -- this process's listener ----------------------------------------------------------------

_thread_pid: int | None = None
_start_lock = threading.Lock()
_last_version_poll = 0.0


def ensure_started() -> None:
    """Start this process's listener thread once (again in a forked child)."""
    global _thread_pid
    if not _setting("TRACKING_LIVE_LISTEN", True) or _thread_pid == os.getpid():
        return
    with _start_lock:
        if _thread_pid == os.getpid():
            return
        _thread_pid = os.getpid()
        registry.background = True
        threading.Thread(target=_run, name="alliance-live", daemon=True).start()


def _conninfo() -> dict[str, Any]:
    params = dict(connections["default"].get_connection_params())
    for key in ("context", "cursor_factory", "prepare_threshold", "server_side_binding"):
        params.pop(key, None)
    return params


def _on_note(payload: str) -> None:
    tenant_text, _, version_text = payload.partition(":")
    try:
        tenant_id, version = int(tenant_text), int(version_text)
    except ValueError:
        return
    snapshot = registry.loaded().get(tenant_id)
    if snapshot is not None and snapshot.version != version:
        registry.invalidate(tenant_id)
        _reload_stale()


def _reload_stale() -> None:
    for tenant in registry.stale():
        try:
            registry.reload(tenant)
        except Exception:
            log.exception("reloading tenant %s failed; retrying on the next round", tenant.pk)
            connection.close()


def versions_check(cursor: Any = None) -> None:
    """Mark stale every tenant held here whose ``LiveVersion`` moved (one query)."""
    held = registry.loaded()
    if not held:
        return
    sql = "SELECT tenant_id, version FROM tenants_liveversion WHERE tenant_id = ANY(%s)"
    if cursor is None:
        with connection.cursor() as own:
            own.execute(sql, [list(held)])
            rows = own.fetchall()
    else:
        cursor.execute(sql, [list(held)])
        rows = cursor.fetchall()
    current = dict(rows)
    max_age = _setting("TRACKING_SNAPSHOT_MAX_AGE", 300)
    now = time.monotonic()
    for tenant_id, snapshot in held.items():
        if current.get(tenant_id, 0) != snapshot.version or now - snapshot.loaded_at > max_age:
            registry.invalidate(tenant_id)


def spend_round() -> None:
    """The day's provisional spend of every tenant held here, and budget exhaustion."""
    for snapshot in registry.loaded().values():
        if not snapshot.campaigns:
            continue
        day = snapshot.local_today()
        budget.spend_refresh(tenant=snapshot.tenant, day=day)
        budget.exhaustion_check(tenant=snapshot.tenant, snapshot=snapshot, day=day)


def tick(*, cursor: Any = None, force: bool = False) -> None:
    """One round of the thread's work: versions (every poll period, or ``force``), stale
    tenants reloaded, spend refreshed."""
    global _last_version_poll
    now = time.monotonic()
    if force or now - _last_version_poll >= _setting("TRACKING_LIVE_POLL_SECONDS", 2):
        _last_version_poll = now
        versions_check(cursor)
    _reload_stale()
    spend_round()


def _run() -> None:
    import psycopg

    backoff = 0.5
    while True:
        try:
            with psycopg.connect(**_conninfo(), autocommit=True) as listening:
                listening.execute(f"LISTEN {CHANNEL}")
                backoff = 0.5
                tick(cursor=listening.cursor(), force=True)  # anything missed while away
                period = _setting("TRACKING_SPEND_POLL_SECONDS", 0.5)
                while True:
                    for note in listening.notifies(timeout=period):
                        _on_note(note.payload)
                    tick(cursor=listening.cursor())
        except Exception as exc:
            log.warning("live-state listener: %s; reconnecting in %.1f s", exc, backoff)
            connection.close()
            time.sleep(backoff)
            backoff = min(backoff * 2, 5.0)
