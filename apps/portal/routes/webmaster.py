"""Portal routes of the webmaster area (included by apps/portal/urls.py)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
