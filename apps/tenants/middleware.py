"""Every request enters its tenant from the host, or is a platform request, or is a 404."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotFound

from apps.tenants.scope import tenant_scope
from apps.tenants.selectors import normalize_host, staff_roles, tenant_for_host


class TenantMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        host = normalize_host(request.get_host())
        if host in settings.PLATFORM_HOSTS or request.path in settings.HOSTLESS_PATHS:
            request.tenant = None  # type: ignore[attr-defined]
            request.urlconf = settings.PLATFORM_URLCONF  # type: ignore[attr-defined]
            return self.get_response(request)
        tenant = tenant_for_host(host)
        if tenant is None:
            return HttpResponseNotFound(
                b"Unknown host: no network is served here.", content_type="text/plain"
            )
        request.tenant = tenant  # type: ignore[attr-defined]
        # Evaluated lazily (after AuthenticationMiddleware set request.user), once per request.
        request.resolve_staff_roles = lambda: staff_roles(user=request.user, tenant=tenant)  # type: ignore[attr-defined]
        with tenant_scope(tenant):
            return self.get_response(request)
