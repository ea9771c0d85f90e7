"""The partner API, v1: every endpoint of ../shared/API.md, and the schema and docs."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from apps.api.views.me import MeApi

app_name = "api"

urlpatterns = [
    path("v1/me", MeApi.as_view(), name="me"),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
