"""The partner API, v1: every endpoint of ../shared/API.md, and the schema and docs.

Each domain keeps its routes in ``apps/api/routes/<domain>.py`` (views in
``apps/api/views/<domain>.py``, serializers in ``apps/api/serializers/<domain>.py``).
"""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.api.routes import (
    campaigns,
    commissions,
    disputes,
    growth,
    integrations,
    settlements,
    sites,
    tracking,
)
from apps.api.views.me import MeApi

app_name = "api"

urlpatterns = [
    path("v1/me", MeApi.as_view(), name="me"),
    *sites.urlpatterns,
    *campaigns.urlpatterns,
    *growth.urlpatterns,
    *tracking.urlpatterns,
    *commissions.urlpatterns,
    *settlements.urlpatterns,
    *disputes.urlpatterns,
    *integrations.urlpatterns,
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
