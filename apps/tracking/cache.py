"""A small in-process TTL cache for the public tracking paths.

``/c/`` must be one INSERT and a redirect, so the lookups it needs (the placement, its site and
webmaster; products by sku; the merchants' deep-link domains; a campaign's merchant) are served
from here, keyed by ``(kind, tenant_id, key)``. Entries live ``TRACKING_CACHE_SECONDS``
(default 60): a paused placement or a new product takes at most that long to show on the click
path. Misses are cached too (so random codes cost one query a minute each), and the cache is
bounded: at ``TRACKING_CACHE_MAX_ENTRIES`` it is cleared, which is cheap and keeps memory flat
whatever codes a crawler invents.
"""

import time
from collections.abc import Callable, Hashable
from threading import Lock
from typing import Any, TypeVar

from django.conf import settings

T = TypeVar("T")

_entries: dict[Hashable, tuple[float, Any]] = {}
_lock = Lock()


def _ttl() -> float:
    return getattr(settings, "TRACKING_CACHE_SECONDS", 60)


def _max_entries() -> int:
    return getattr(settings, "TRACKING_CACHE_MAX_ENTRIES", 50_000)


def cached(key: Hashable, load: Callable[[], T]) -> T:
    """The cached value of ``key``, loading (and storing) it when absent or expired."""
    now = time.monotonic()
    hit = _entries.get(key)
    if hit is not None and hit[0] > now:
        return hit[1]
    value = load()
    with _lock:
        if len(_entries) >= _max_entries():
            _entries.clear()
        _entries[key] = (now + _ttl(), value)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
