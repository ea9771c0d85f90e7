"""Portal routes of the webmaster bonus tiers (issue 17; included by apps/portal/urls.py)."""

from django.urls import URLPattern, path

from apps.portal.views import bonus as views

urlpatterns: list[URLPattern] = [
    path("webmaster/bonus/", views.bonus_progress_page, name="webmaster-bonus"),
]
