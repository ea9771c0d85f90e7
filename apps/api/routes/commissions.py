"""Partner API routes of the commissions domain (included by apps/api/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
