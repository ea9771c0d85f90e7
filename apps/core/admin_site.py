"""The two admin sites.

- ``TenantAdminSite`` (the default ``admin.site``) is the staff back office on a tenant's host.
  It holds only tenant-owned models; staff get in by a membership in the host's tenant, and
  see what their roles allow.
- ``platform_site`` is for superusers on a platform host: tenants, domains, people. Any
  model that is not tenant-owned and gets registered on the default site (by us or by a
  third-party app such as allauth) lands here instead, so it can never show up to a tenant.
"""

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib.admin import AdminSite
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode
from unfold.sites import UnfoldAdminSite

from apps.core.models import TenantScopedModel


def staff_roles_for(request: HttpRequest) -> frozenset[str]:
    """The request user's staff roles in the request's tenant, computed once per request."""
    cached = getattr(request, "_staff_roles", None)
    if cached is not None:
        return cast("frozenset[str]", cached)
    # TenantMiddleware attaches the resolver (core does not know about memberships).
    resolver = getattr(request, "resolve_staff_roles", None)
    roles = frozenset(resolver()) if resolver is not None else frozenset()
    request._staff_roles = roles  # type: ignore[attr-defined]
    return roles


def _mfa_missing(request: HttpRequest) -> bool:
    if not settings.STAFF_MFA_REQUIRED:
        return False
    from allauth.mfa.utils import is_mfa_enabled

    return not is_mfa_enabled(request.user)


class _AllauthLoginMixin(AdminSite):
    """Staff sign in through allauth (email verification, rate limits, MFA), never through
    the admin's own login form, which would skip all three."""

    def login(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.user.is_authenticated:
            if self.has_permission(request):
                return HttpResponseRedirect(reverse(f"{self.name}:index"))
            raise PermissionDenied("Your account has no staff role here.")
        next_url = request.GET.get("next") or reverse(f"{self.name}:index")
        return HttpResponseRedirect(reverse("account_login") + "?" + urlencode({"next": next_url}))

    def admin_view(  # type: ignore[override]
        self, view: Callable[..., HttpResponse], cacheable: bool = False
    ) -> Any:
        inner = super().admin_view(view, cacheable)

        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if (
                request.user.is_authenticated
                and self.has_permission(request)
                and _mfa_missing(request)
            ):
                # Production requires TOTP for staff: set it up before the back office opens.
                return HttpResponseRedirect(
                    reverse("mfa_activate_totp") + "?" + urlencode({"next": request.path})
                )
            return inner(request, *args, **kwargs)

        wrapper.admin_site = self  # type: ignore[attr-defined]
        return wrapper

    def search(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        # unfold caches search results by user and term only, not by tenant; a superuser could
        # see one tenant's results on another's host. The changelists have their own search.
        raise Http404


class PlatformAdminSite(_AllauthLoginMixin, UnfoldAdminSite):
    site_header = "Alliance platform"

    def has_permission(self, request: HttpRequest) -> bool:
        return bool(
            request.user.is_active
            and request.user.is_superuser
            and getattr(request, "tenant", None) is None
        )


platform_site = PlatformAdminSite(name="platform")


class TenantAdminSite(_AllauthLoginMixin, UnfoldAdminSite):
    def has_permission(self, request: HttpRequest) -> bool:
        if getattr(request, "tenant", None) is None:
            return False
        return bool(request.user.is_active and staff_roles_for(request))

    def register(self, model_or_iterable: Any, admin_class: Any = None, **options: Any) -> None:
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            target: AdminSite = self if is_tenant_model(model) else platform_site
            if target is self:
                super().register(model, admin_class, **options)
            else:
                target.register(model, admin_class, **options)

    def get_urls(self) -> list[Any]:
        from apps.core.admin_home import admin_page_urls

        return admin_page_urls(self) + self._import_urls() + super().get_urls()

    def _import_urls(self) -> list[Any]:
        """``/admin/<app>/<model>/import/`` leads to the import page of that model's resource
        (issue 14: the address people guess), e.g. webmasters -> ``?resource=affiliates``."""
        from django.urls import path

        from apps.core.imports import import_names

        urls = []
        for model in self._registry:
            opts = model._meta
            for name in import_names():
                if name.replace("_", "").rstrip("s") == opts.model_name:
                    urls.append(
                        path(
                            f"{opts.app_label}/{opts.model_name}/import/",
                            self.admin_view(_import_redirect(name)),
                            name=f"{opts.app_label}_{opts.model_name}_import",
                        )
                    )
        return urls

    def get_app_list(self, request: HttpRequest, app_label: str | None = None) -> list[Any]:
        app_list = super().get_app_list(request, app_label)
        if app_label is not None or getattr(request, "tenant", None) is None:
            return app_list
        from apps.core.admin_home import ordered_app_list

        # Each role's work first (issue 14: "Webmasters" first for BD), desk pages on top.
        return ordered_app_list(request, app_list)

    def each_context(self, request: HttpRequest) -> dict[str, Any]:
        context = super().each_context(request)
        tenant = getattr(request, "tenant", None)
        if tenant is not None:
            context["site_header"] = tenant.name
            context["site_subheader"] = "Alliance back office"
        return context


def _import_redirect(resource: str) -> Callable[..., HttpResponse]:
    def view(request: HttpRequest) -> HttpResponse:
        url = reverse("admin:tenants_importjob_add") + "?" + urlencode({"resource": resource})
        return HttpResponseRedirect(url)

    return view


def is_tenant_model(model: type[Model]) -> bool:
    return issubclass(model, TenantScopedModel)
