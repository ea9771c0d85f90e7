"""Public tracking endpoints (no login): /c/, /serve/, /ad.js, /px/. See API.md "Tracking"."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
