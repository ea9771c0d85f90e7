"""Partner API routes of the commissions domain (included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.commissions import OrderStatusApi

urlpatterns: list[URLPattern] = [
    path("v1/orders/<str:external_id>/status", OrderStatusApi.as_view(), name="order-status"),
]
