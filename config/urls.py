"""URLs on a tenant's host: portal, back office, partner API, tracking."""

from django.contrib import admin
from django.urls import include, path

from apps.portal import home as portal_views

urlpatterns = [
    path("favicon.ico", portal_views.favicon, name="favicon"),
    path("healthz", portal_views.healthz, name="healthz"),
    path("readyz", portal_views.readyz, name="readyz"),
    path("admin/", admin.site.urls),
    path("accounts/", include("allauth.urls")),
    path("api/", include("apps.api.urls")),
    path("", include("apps.tracking.urls")),
    path("", include("apps.portal.urls")),
]

# The API's unmatched paths answer its JSON 404; a database outage anywhere (middleware
# included) answers 503, not a bare 500.
handler404 = "apps.api.exceptions.not_found"
handler500 = "apps.core.observability.server_error"
