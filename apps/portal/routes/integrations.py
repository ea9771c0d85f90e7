"""Portal routes of integrations: webhooks, postbacks, tracking keys, coupons (issue 16)."""

from django.urls import URLPattern, path

from apps.portal.views import integrations as views

urlpatterns: list[URLPattern] = [
    path("webmaster/integrations/", views.webmaster_integrations, name="webmaster-integrations"),
    path(
        "webmaster/integrations/postbacks/<int:pk>/delete",
        views.webmaster_postback_delete,
        name="webmaster-postback-delete",
    ),
    path(
        "webmaster/integrations/webhooks/<int:pk>/",
        views.webmaster_webhook,
        name="webmaster-webhook",
    ),
    path(
        "webmaster/integrations/webhooks/<int:pk>/<str:action>",
        views.webmaster_webhook_action,
        name="webmaster-webhook-action",
    ),
    path("merchant/integrations/", views.merchant_integrations, name="merchant-integrations"),
    path(
        "merchant/integrations/coupons/<int:pk>/delete",
        views.merchant_coupon_delete,
        name="merchant-coupon-delete",
    ),
    path(
        "merchant/integrations/keys/<int:pk>/revoke",
        views.merchant_tracking_key_revoke,
        name="merchant-tracking-key-revoke",
    ),
    path(
        "merchant/integrations/webhooks/<int:pk>/",
        views.merchant_webhook,
        name="merchant-webhook",
    ),
    path(
        "merchant/integrations/webhooks/<int:pk>/<str:action>",
        views.merchant_webhook_action,
        name="merchant-webhook-action",
    ),
]
