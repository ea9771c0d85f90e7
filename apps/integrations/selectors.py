"""Reads of the integrations app (portal, API, admin)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.integrations.models import Delivery, DeliveryAttempt, PostbackTemplate, WebhookEndpoint

#: attempts shown with each delivery in lists (the admin shows them all)
LOG_TAIL = 20


def webhook_endpoint_list(
    *, merchant: Any = None, affiliate: Any = None
) -> QuerySet[WebhookEndpoint]:
    """The live (not deleted) endpoints of one owner: a merchant, a webmaster, or with
    neither the network's own."""
    return WebhookEndpoint.objects.filter(
        merchant=merchant, affiliate=affiliate, deleted_at__isnull=True
    ).order_by("-created_at", "-id")


def delivery_list(
    *, endpoint: WebhookEndpoint | None = None, postback: PostbackTemplate | None = None
) -> QuerySet[Delivery]:
    """One target's deliveries, newest first, with their event and latest attempts."""
    target: dict[str, WebhookEndpoint | PostbackTemplate | None] = (
        {"endpoint": endpoint} if endpoint is not None else {"postback": postback}
    )
    return (
        Delivery.objects.filter(**target)
        .select_related("event")
        .prefetch_related(Prefetch("log", queryset=DeliveryAttempt.objects.order_by("-number")))
        .order_by("-created_at", "-id")
    )


def postback_template_list(*, affiliate: Any) -> QuerySet[PostbackTemplate]:
    return (
        PostbackTemplate.objects.filter(affiliate=affiliate, deleted_at__isnull=True)
        .select_related("placement")
        .order_by("placement__code", "id")
    )
