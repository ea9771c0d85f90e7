"""Partner API routes of the tracking domain (included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.tracking import ConversionsCreateApi

urlpatterns: list[URLPattern] = [
    path("v1/conversions", ConversionsCreateApi.as_view(), name="conversions"),
]
