"""Reads on platform data: which tenant a host serves, who is staff where."""

import time
from threading import Lock

from django.conf import settings

from apps.tenants.models import Membership, Role, Tenant, TenantDomain

# Host -> (expires_at, tenant or None). Every request resolves its host; the click path must
# not pay a query for it. Entries live HOST_CACHE_SECONDS; services clear it on changes.
_host_cache: dict[str, tuple[float, Tenant | None]] = {}
_host_cache_lock = Lock()


def normalize_host(host: str) -> str:
    host = host.strip().lower().rstrip(".")
    if host.startswith("["):  # IPv6 literal
        return host.split("]")[0] + "]"
    return host.rsplit(":", 1)[0] if ":" in host else host


def tenant_for_host(host: str) -> Tenant | None:
    """The active tenant served at ``host``: a tenant domain, or ``<slug>.<DEV_TENANT_SUFFIX>``."""
    host = normalize_host(host)
    now = time.monotonic()
    cached = _host_cache.get(host)
    if cached is not None and cached[0] > now:
        return cached[1]
    tenant = _lookup(host)
    with _host_cache_lock:
        _host_cache[host] = (now + settings.TENANT_HOST_CACHE_SECONDS, tenant)
    return tenant


def _lookup(host: str) -> Tenant | None:
    domain = TenantDomain.objects.select_related("tenant").filter(host=host).first()
    if domain is not None:
        return domain.tenant if domain.tenant.is_active else None
    suffix = settings.DEV_TENANT_SUFFIX
    if suffix and host.endswith("." + suffix):
        slug = host[: -len(suffix) - 1]
        return Tenant.objects.filter(slug=slug, is_active=True).first()
    return None


def clear_host_cache() -> None:
    with _host_cache_lock:
        _host_cache.clear()


def tenant_primary_host(tenant: Tenant) -> str:
    domain = tenant.domains.filter(is_primary=True).order_by("host").first()
    if domain is not None:
        return domain.host
    return f"{tenant.slug}.{settings.DEV_TENANT_SUFFIX}"


def staff_roles(*, user: object, tenant: Tenant) -> frozenset[str]:
    """The staff roles of ``user`` in the scoped ``tenant`` (empty for non-staff)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if getattr(user, "is_superuser", False):
        return frozenset(Role.values)
    roles = Membership.objects.filter(
        user=user,  # type: ignore[misc]  # any object with is_authenticated (the request's user)
        is_active=True,
    ).values_list("role", flat=True)
    return frozenset(roles)
