"""URLs on a platform host: superusers manage tenants; nothing tenant-owned is served."""

from django.urls import include, path
from django.views.generic import RedirectView

from apps.core.admin_site import platform_site
from apps.core.observability import metrics_view
from apps.portal import home as portal_views

urlpatterns = [
    path("favicon.ico", portal_views.favicon, name="favicon"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("readyz", portal_views.readyz, name="readyz"),
    path("metrics", metrics_view, name="metrics"),
    path("admin/", platform_site.urls),
    path("accounts/", include("allauth.urls")),
    # After login allauth goes to portal:home; on the platform that is the platform admin.
    path(
        "",
        include(([path("", RedirectView.as_view(url="/admin/"), name="home")], "portal")),
    ),
]

# A database outage anywhere (middleware included) answers 503, not a bare 500.
handler500 = "apps.core.observability.server_error"
