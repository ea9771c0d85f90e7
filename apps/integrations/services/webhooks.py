"""Webhook endpoints: created with a secret shown once, rotated, disabled, deleted (issue 16).

Owners: a merchant or a webmaster (portal, ``/api/v1/webhooks``) or the network itself
(neither; back office only). An endpoint hears the chosen event types of its owner: a
merchant's endpoint only that merchant's events, a webmaster's only theirs, the network's
every event of the tenant.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.affiliates.models import Affiliate
from apps.campaigns.models import Merchant
from apps.core.events import EVENT_TYPES
from apps.integrations import crypto
from apps.integrations.errors import WebhookError
from apps.integrations.models import Delivery, DeliveryStatus, DeliveryTarget, WebhookEndpoint
from apps.integrations.outbound import RefusedError, url_check
from apps.integrations.services.status import deliveries_transition
from apps.integrations.subscriptions import subscriptions_changed
from apps.tenants.scope import current_tenant

#: events that can reach each kind of owner (the others never carry their id)
AUDIENCE_EVENTS = {
    "merchant": tuple(t for t in EVENT_TYPES if not t.startswith("statement.")),
    "affiliate": tuple(
        t for t in EVENT_TYPES if t not in ("claim.decided", "campaign.budget_exhausted")
    ),
    "network": EVENT_TYPES,
}
MAX_ENDPOINTS = 20


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: WebhookEndpoint
    #: the signing secret; shown once, here only
    secret: str


def audience_of(*, merchant: Merchant | None, affiliate: Affiliate | None) -> str:
    return (
        "merchant" if merchant is not None else "affiliate" if affiliate is not None else "network"
    )


def events_clean(events: Any, *, audience: str) -> list[str]:
    """The subscribed types, each known and able to reach this owner; at least one."""
    allowed = AUDIENCE_EVENTS[audience]
    if not isinstance(events, (list, tuple)) or not events:
        raise WebhookError(
            f"Choose at least one event: {', '.join(allowed)}.",
            code=WebhookError.UNKNOWN_EVENT,
            field="events",
        )
    wanted = [e for e in events if isinstance(e, str)]
    unknown = sorted(
        {e for e in wanted if e not in allowed}
        | {repr(e) for e in events if not isinstance(e, str)}
    )
    if unknown:
        raise WebhookError(
            f"Unknown event(s) for this endpoint: {', '.join(unknown)}. "
            f"Choose from: {', '.join(allowed)}.",
            code=WebhookError.UNKNOWN_EVENT,
            field="events",
        )
    return sorted(set(wanted), key=allowed.index)


def webhook_url_clean(url: Any) -> str:
    """An https URL that is not ours to be tricked into calling (``outbound.url_check``)."""
    try:
        url_check(url, allow_http=getattr(settings, "WEBHOOK_ALLOW_HTTP", False))
    except RefusedError as exc:
        raise WebhookError(str(exc), code=WebhookError.URL_REFUSED, field="url") from None
    return cast(str, url)


def webhook_endpoint_create(
    *,
    url: str,
    events: list[str],
    merchant: Merchant | None = None,
    affiliate: Affiliate | None = None,
    description: str = "",
    actor: Any = None,
) -> IssuedEndpoint:
    """A new endpoint with a fresh secret (returned once, stored encrypted). At most
    ``MAX_ENDPOINTS`` live ones per owner."""
    if merchant is not None and affiliate is not None:
        raise WebhookError("An endpoint belongs to a merchant, a webmaster, or the network.")
    audience = audience_of(merchant=merchant, affiliate=affiliate)
    url = webhook_url_clean(url)
    events = events_clean(events, audience=audience)
    if len(description) > 200:
        raise WebhookError("At most 200 characters.", field="description")
    secret = crypto.secret_new()
    tenant = current_tenant()
    with transaction.atomic():
        live = WebhookEndpoint.objects.filter(
            merchant=merchant, affiliate=affiliate, deleted_at__isnull=True
        )
        if live.count() >= MAX_ENDPOINTS:
            raise WebhookError(
                f"At most {MAX_ENDPOINTS} endpoints; delete one first.",
                code=WebhookError.TOO_MANY,
                field="url",
            )
        endpoint = WebhookEndpoint.objects.create(
            tenant=tenant,
            merchant=merchant,
            affiliate=affiliate,
            url=url,
            events=events,
            description=description,
            secret_encrypted=crypto.secret_encrypt(secret),
            secret_hint=crypto.secret_hint(secret),
            created_by=actor if getattr(actor, "pk", None) else None,
        )
        subscriptions_changed(tenant.pk)
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


def webhook_endpoint_rotate(*, endpoint: WebhookEndpoint) -> IssuedEndpoint:
    """A new secret at once: the old one stops signing now (retries and replays from here on
    are signed with the new one). Returned once."""
    secret = crypto.secret_new()
    endpoint.secret_encrypted = crypto.secret_encrypt(secret)
    endpoint.secret_hint = crypto.secret_hint(secret)
    endpoint.secret_rotated_at = timezone.now()
    endpoint.save(
        update_fields=["secret_encrypted", "secret_hint", "secret_rotated_at", "updated_at"]
    )
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


def target_cancel_pending(*, target: DeliveryTarget, reason: str) -> int:
    """Pending deliveries of a disabled or deleted target are cancelled (a replay after
    re-enabling sends one again)."""
    field = "endpoint" if isinstance(target, WebhookEndpoint) else "postback"
    pending = Delivery.objects.filter(**{field: target}, status=DeliveryStatus.PENDING)
    return deliveries_transition(
        deliveries=pending, to=DeliveryStatus.CANCELLED, last_error=reason[:500]
    )


def target_delete(*, target: DeliveryTarget) -> DeliveryTarget:
    """Stop a webhook endpoint or postback (idempotent); its delivery log stays readable to
    staff."""
    if target.deleted_at is None:
        with transaction.atomic():
            target.deleted_at = timezone.now()
            target.save(update_fields=["deleted_at", "updated_at"])
            target_cancel_pending(target=target, reason="deleted")
            subscriptions_changed(target.tenant_id)
    return target


def target_disable(*, target: DeliveryTarget, reason: str) -> DeliveryTarget:
    """Switch a target off (staff, or the failure rule in ``deliveries``); idempotent."""
    if target.is_active:
        with transaction.atomic():
            target.is_active = False
            target.disabled_at = timezone.now()
            target.disabled_reason = reason[:300]
            target.save(update_fields=["is_active", "disabled_at", "disabled_reason", "updated_at"])
            target_cancel_pending(target=target, reason=f"disabled: {reason}")
            subscriptions_changed(target.tenant_id)
    return target


def target_enable(*, target: DeliveryTarget) -> DeliveryTarget:
    """Switch it back on with a clean failure count (idempotent)."""
    if target.deleted_at is not None:
        raise WebhookError("A deleted endpoint cannot be enabled; create a new one.")
    if not target.is_active:
        with transaction.atomic():
            target.is_active = True
            target.disabled_at = None
            target.disabled_reason = ""
            target.failing_since = None
            target.consecutive_failures = 0
            target.save(
                update_fields=[
                    "is_active", "disabled_at", "disabled_reason", "failing_since",
                    "consecutive_failures", "updated_at",
                ]
            )  # fmt: skip
            subscriptions_changed(target.tenant_id)
    return target
