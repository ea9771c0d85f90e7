"""Portal routes of the webmaster area (included by apps/portal/urls.py)."""

from django.urls import URLPattern, path

from apps.portal.views import payout
from apps.portal.views import webmaster as views

urlpatterns: list[URLPattern] = [
    path("webmaster/dashboard/", views.dashboard, name="webmaster-dashboard"),
    path("webmaster/sites/", views.sites, name="webmaster-sites"),
    path("webmaster/sites/<int:pk>/", views.site_detail, name="webmaster-site"),
    path("webmaster/sites/<int:pk>/verify", views.site_verify_now, name="webmaster-site-verify"),
    path("webmaster/placements/", views.placements, name="webmaster-placements"),
    path("webmaster/contracts/", views.contracts, name="webmaster-contracts"),
    path("webmaster/api-keys/", views.api_keys, name="webmaster-api-keys"),
    path(
        "webmaster/api-keys/<int:pk>/revoke",
        views.api_key_revoke_view,
        name="webmaster-api-key-revoke",
    ),
    path("webmaster/profile/", views.profile, name="webmaster-profile"),
    path("webmaster/payout/", payout.payout_details, name="webmaster-payout"),
    path("webmaster/join", views.join, name="webmaster-join"),
]
