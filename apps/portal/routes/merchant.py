"""Portal routes of the merchant area (included by apps/portal/urls.py)."""

from django.urls import URLPattern, path

from apps.portal.views import merchant as views

urlpatterns: list[URLPattern] = [
    path("merchant/dashboard/", views.dashboard, name="merchant-dashboard"),
    path("merchant/products/", views.products, name="merchant-products"),
    path("merchant/campaigns/", views.campaigns, name="merchant-campaigns"),
    path("merchant/campaigns/new/", views.campaign_new, name="merchant-campaign-new"),
    path("merchant/campaigns/<int:pk>/", views.campaign_detail, name="merchant-campaign"),
    path(
        "merchant/campaigns/<int:pk>/status",
        views.campaign_status,
        name="merchant-campaign-status",
    ),
    path(
        "merchant/campaigns/<int:pk>/phases",
        views.campaign_phases,
        name="merchant-campaign-phases",
    ),
    path("merchant/full-site/", views.full_site_product, name="merchant-full-site"),
    path("merchant/full-site/budget/", views.full_site_budget, name="merchant-full-site-budget"),
    path("merchant/full-site/roi/", views.full_site_roi, name="merchant-full-site-roi"),
    path("merchant/performance/", views.performance, name="merchant-performance"),
    path("merchant/domains/", views.domains, name="merchant-domains"),
]
