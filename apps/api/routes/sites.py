"""Partner API routes of the sites domain (included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.sites import PlacementListApi, SiteListCreateApi

urlpatterns: list[URLPattern] = [
    path("v1/sites", SiteListCreateApi.as_view(), name="sites"),
    path("v1/placements", PlacementListApi.as_view(), name="placements"),
]
