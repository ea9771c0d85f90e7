"""Partner API routes of the disputes domain (included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.disputes import ClaimListCreateApi, DisputeListCreateApi

urlpatterns: list[URLPattern] = [
    path("v1/claims", ClaimListCreateApi.as_view(), name="claim-list"),
    path("v1/disputes", DisputeListCreateApi.as_view(), name="dispute-list"),
]
