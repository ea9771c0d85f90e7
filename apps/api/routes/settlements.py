"""Partner API routes of reports and settlements (included by apps/api/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
