"""Partner API routes of the campaigns domain (included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.campaigns import (
    CampaignDetailApi,
    CampaignListCreateApi,
    CampaignPerformanceApi,
    CampaignStatusApi,
    ProductListCreateApi,
    ProductRoiTiersApi,
)

urlpatterns: list[URLPattern] = [
    path("v1/products", ProductListCreateApi.as_view(), name="products"),
    path("v1/products/<str:sku>/roi-tiers", ProductRoiTiersApi.as_view(), name="product-roi-tiers"),
    path("v1/campaigns", CampaignListCreateApi.as_view(), name="campaigns"),
    path("v1/campaigns/<int:pk>", CampaignDetailApi.as_view(), name="campaign-detail"),
    path("v1/campaigns/<int:pk>/status", CampaignStatusApi.as_view(), name="campaign-status"),
    path(
        "v1/campaigns/<int:pk>/performance",
        CampaignPerformanceApi.as_view(),
        name="campaign-performance",
    ),
]
