"""Partner API routes of the growth tools (included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.growth import ProductForecastApi

urlpatterns: list[URLPattern] = [
    path("v1/products/<str:sku>/forecast", ProductForecastApi.as_view(), name="product-forecast"),
]
