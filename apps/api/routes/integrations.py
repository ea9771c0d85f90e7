"""Partner API routes of webhooks and coupons (issue 16; included by apps/api/urls.py)."""

from django.urls import URLPattern, path

from apps.api.views.coupons import CouponDeleteApi, CouponListCreateApi
from apps.api.views.webhooks import (
    WebhookDeliveryListApi,
    WebhookDeliveryReplayApi,
    WebhookDetailApi,
    WebhookListCreateApi,
    WebhookRotateApi,
)

urlpatterns: list[URLPattern] = [
    path("v1/webhooks", WebhookListCreateApi.as_view(), name="webhooks"),
    path("v1/webhooks/<int:pk>", WebhookDetailApi.as_view(), name="webhook-detail"),
    path("v1/webhooks/<int:pk>/rotate", WebhookRotateApi.as_view(), name="webhook-rotate"),
    path(
        "v1/webhooks/<int:pk>/deliveries",
        WebhookDeliveryListApi.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "v1/webhooks/<int:pk>/deliveries/<int:delivery_id>/replay",
        WebhookDeliveryReplayApi.as_view(),
        name="webhook-delivery-replay",
    ),
    path("v1/coupons", CouponListCreateApi.as_view(), name="coupons"),
    path("v1/coupons/<str:code>", CouponDeleteApi.as_view(), name="coupon-delete"),
]
