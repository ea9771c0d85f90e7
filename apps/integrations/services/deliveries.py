"""Deliveries: from a domain event to signed webhook POSTs and webmaster postback GETs.

``deliveries_create_for_event`` (the event sink, inside the emitter's transaction) stores
the event once with its id and one ``Delivery`` per listening target, and schedules each on
commit (``delay_on_commit``): an event of a rolled-back write is never sent.

``delivery_attempt`` sends one delivery once:
- it first *claims* the delivery (one UPDATE sets a short lease), so two workers never send
  the same attempt; the HTTP call runs outside any transaction;
- webhooks POST the stored ``body`` (the same bytes on every retry and replay: same event
  ``id``) signed ``Alliance-Signature: t=...,v1=...`` with the endpoint's current secret;
  postbacks GET the URL rendered at the first attempt;
- a 2xx answer delivers it; anything else (an error status, a redirect, a timeout, a refused
  address) is a failed attempt, logged with its status code, and retried with exponential
  back-off (``backoff_seconds``: 1, 2, 4 ... minutes, at most 8 hours apart) until the
  delivery is ``RETRY_FOR`` (24 hours) old; the attempt after that gives up (``failed``);
- a target that gives up a delivery after failing for ``DISABLE_AFTER`` (24 hours) without a
  single success is disabled, its pending deliveries cancelled, its owner emailed.
``delivery_replay`` sends a delivery again, with the same body (a new attempt in its log).
The beat task ``integrations.deliveries_due`` (every minute) sends what is due.
"""

from __future__ import annotations

import datetime
import json
import time
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from apps.campaigns.models import MerchantUser
from apps.core.db import lock_object
from apps.core.events import DomainEvent
from apps.integrations import crypto, outbound
from apps.integrations.errors import DeliveryStateError
from apps.integrations.models import (
    POSTBACK_EVENTS,
    Delivery,
    DeliveryAttempt,
    DeliveryStatus,
    DeliveryTarget,
    Event,
    PostbackTemplate,
    WebhookEndpoint,
)
from apps.integrations.services.postbacks import postback_render
from apps.integrations.services.status import deliveries_transition
from apps.integrations.services.webhooks import target_disable
from apps.integrations.subscriptions import EndpointSub, subscriptions_for
from apps.tenants.models import Membership, Role
from apps.tenants.scope import current_tenant
from apps.tracking.models import Conversion

BASE_DELAY = datetime.timedelta(minutes=1)
MAX_DELAY = datetime.timedelta(hours=8)
RETRY_FOR = datetime.timedelta(hours=24)
DISABLE_AFTER = datetime.timedelta(hours=24)
LEASE = datetime.timedelta(minutes=2)
DUE_BATCH = 500
#: fields a webmaster's webhook never receives: the merchant's own order and customer refs
HIDDEN_FROM_WEBMASTERS = frozenset({"external_id", "customer_ref"})


# --- from events to deliveries ----------------------------------------------------------


def _hears(sub: EndpointSub, event: DomainEvent) -> bool:
    if event.type not in sub.events:
        return False
    if sub.merchant_id is not None:
        return sub.merchant_id == event.merchant_id
    if sub.affiliate_id is not None:
        return sub.affiliate_id == event.affiliate_id
    return True  # the network's own endpoint hears the whole tenant


def webhook_body(*, event: Event, for_webmaster: bool) -> str:
    """The JSON every attempt of one endpoint's delivery sends (API.md v1.1)."""
    data = event.data
    if for_webmaster:
        data = {k: v for k, v in data.items() if k not in HIDDEN_FROM_WEBMASTERS}
    payload = {
        "id": str(event.event_id),
        "type": event.type,
        "created_at": event.created_at.isoformat(),
        "data": data,
    }
    return json.dumps(payload, cls=DjangoJSONEncoder, separators=(",", ":"))


def _postback_for(event: DomainEvent, postbacks: list[Any]) -> tuple[Any, int] | None:
    """(the template that speaks for this conversion, its id), or None. A placement's own
    template wins over the account's; the winner alone decides whether this event fires."""
    conversion_id = event.data.get("id" if event.type == "conversion.created" else "conversion_id")
    if not isinstance(conversion_id, int):
        return None  # e.g. a commission from a dispute: no tracked conversion, no postback
    placement_id = (
        Conversion.objects.filter(pk=conversion_id).values_list("placement_id", flat=True).first()
    )
    own = [p for p in postbacks if p.placement_id is not None and p.placement_id == placement_id]
    account = [p for p in postbacks if p.placement_id is None]
    chosen = (own or account or [None])[0]
    if chosen is None or event.type not in chosen.events:
        return None
    return chosen, conversion_id


def deliveries_create_for_event(*, event: DomainEvent) -> list[int]:
    """The event sink's work (module docstring); nothing at all when nobody listens."""
    tenant = current_tenant()
    subs = subscriptions_for(tenant.pk)
    endpoints = [sub for sub in subs.endpoints if _hears(sub, event)]
    postback = None
    if event.type in POSTBACK_EVENTS and event.affiliate_id is not None:
        mine = [p for p in subs.postbacks if p.affiliate_id == event.affiliate_id]
        postback = _postback_for(event, mine) if mine else None
    if not endpoints and postback is None:
        return []
    # the data as JSON will hold it (Decimals and dates as strings), for the bodies below
    data = json.loads(json.dumps(dict(event.data), cls=DjangoJSONEncoder))
    stored = Event.objects.create(
        tenant=tenant,
        type=event.type,
        data=data,
        merchant_id=event.merchant_id,
        affiliate_id=event.affiliate_id,
    )
    rows = [
        Delivery(
            tenant=tenant,
            event=stored,
            endpoint_id=sub.id,
            dedupe_key=str(stored.event_id),
            method="POST",
            body=webhook_body(event=stored, for_webmaster=sub.affiliate_id is not None),
            next_attempt_at=stored.created_at,
        )
        for sub in endpoints
    ]
    created = [d.pk for d in Delivery.objects.bulk_create(rows)]
    if postback is not None:
        template, conversion_id = postback
        key = f"{event.type}:{conversion_id}"
        # one postback per conversion and state: the commission rows of one order approved
        # together are one "approved" postback
        if not Delivery.objects.filter(postback_id=template.id, dedupe_key=key).exists():
            try:
                with transaction.atomic():
                    row = Delivery.objects.create(
                        tenant=tenant, event=stored, postback_id=template.id, dedupe_key=key,
                        conversion_id=conversion_id, method="GET",
                        next_attempt_at=stored.created_at,
                    )  # fmt: skip
                created.append(row.pk)
            except IntegrityError:
                pass  # a racing transaction created it
    _send_on_commit(tenant.pk, created)
    return created


def _send_on_commit(tenant_id: int, delivery_ids: list[int]) -> None:
    from apps.integrations.tasks import delivery_send_task

    for delivery_id in delivery_ids:
        delivery_send_task.delay_on_commit(tenant_id=tenant_id, delivery_id=delivery_id)


# --- one attempt ------------------------------------------------------------------------


def backoff_seconds(attempts: int, delivery_id: int) -> float:
    """1, 2, 4, 8 ... minutes after the 1st, 2nd, 3rd ... failure, at most ``MAX_DELAY``;
    stretched by 0-9 % (by delivery id) so an outage's retries do not all land at once."""
    delay: float = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY).total_seconds()
    return delay * (1 + (delivery_id % 10) / 100)


def _claim(delivery_id: int, now: datetime.datetime) -> bool:
    return bool(
        Delivery.objects.filter(
            pk=delivery_id, status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        )
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .update(lease_until=now + LEASE)
    )


def _send_webhook(delivery: Delivery, endpoint: WebhookEndpoint) -> outbound.Outcome:
    body = delivery.body.encode()
    try:
        secret = crypto.secret_decrypt(endpoint.secret_encrypted)
    except ValueError as exc:  # SECRET_KEY lost: a failed attempt that says why
        return outbound.Outcome(None, f"not sent: {exc}", 0)
    headers = {
        "Content-Type": "application/json",
        crypto.SIGNATURE_HEADER: crypto.signature_header(
            secret=secret, body=body, timestamp=int(time.time())
        ),
        "Alliance-Event-Id": str(delivery.event.event_id),
        "Alliance-Event-Type": delivery.event.type,
    }
    allow_http = getattr(settings, "WEBHOOK_ALLOW_HTTP", False)
    return outbound.request("POST", endpoint.url, body=body, headers=headers, allow_http=allow_http)


def _postback_url(delivery: Delivery, template: PostbackTemplate) -> str:
    if not delivery.url:
        # a postback delivery always has its conversion
        conversion = Conversion.objects.select_related("click").get(pk=delivery.conversion_id)  # type: ignore[misc]
        delivery.url = postback_render(
            template=template, conversion=conversion, event_type=delivery.event.type
        )[:2000]
        Delivery.objects.filter(pk=delivery.pk).update(url=delivery.url)
    return delivery.url


def delivery_attempt(*, delivery_id: int) -> Delivery | None:
    """Send one due delivery once (module docstring); None if it is not due or another
    worker holds it. Safe to call twice: the claim lets one of them through."""
    now = timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = Delivery.objects.select_related("event", "endpoint", "postback").get(pk=delivery_id)
    target = delivery.target
    if not target.is_live:
        deliveries_transition(
            deliveries=Delivery.objects.filter(pk=delivery.pk),
            to=DeliveryStatus.CANCELLED,
            lease_until=None,
            last_error="target is off",
        )
        return None
    if delivery.endpoint is not None:
        url = delivery.endpoint.url
        result = _send_webhook(delivery, delivery.endpoint)
    else:
        url = _postback_url(delivery, delivery.postback)  # type: ignore[arg-type]
        result = outbound.request("GET", url, allow_http=True)
    return _record(delivery.pk, url, result)


def _record(delivery_id: int, url: str, result: outbound.Outcome) -> Delivery:
    now = timezone.now()
    with transaction.atomic():
        delivery = lock_object(Delivery.objects.all(), delivery_id)
        number = delivery.attempts + 1
        DeliveryAttempt.objects.create(
            tenant=current_tenant(), delivery=delivery, number=number, url=url,
            status_code=result.status_code, error=result.error,
            duration_ms=result.duration_ms, response_excerpt=result.excerpt,
            is_replay=delivery.is_replay,
        )  # fmt: skip
        fields: dict[str, Any] = {
            "attempts": number,
            "last_status_code": result.status_code,
            "last_error": result.error
            or ("" if result.ok else f"answered HTTP {result.status_code}"),
            "lease_until": None,
            "is_replay": False,
        }
        one = Delivery.objects.filter(pk=delivery.pk)
        if delivery.status != DeliveryStatus.PENDING:
            # cancelled (target switched off) while we were sending: log it, move nothing
            one.update(**fields)
            delivery.refresh_from_db()
            return delivery
        target_model = WebhookEndpoint if delivery.endpoint_id else PostbackTemplate
        targets = target_model.objects.filter(pk=delivery.endpoint_id or delivery.postback_id)
        if result.ok:
            to = DeliveryStatus.SUCCEEDED
            fields.update(delivered_at=now, next_attempt_at=None)
            targets.update(failing_since=None, consecutive_failures=0, last_success_at=now)
        else:
            targets.update(
                failing_since=Coalesce(F("failing_since"), now),
                consecutive_failures=F("consecutive_failures") + 1,
            )
            if now - delivery.created_at >= RETRY_FOR:
                to = DeliveryStatus.FAILED
                fields["next_attempt_at"] = None
            else:
                to = DeliveryStatus.PENDING
                delay = backoff_seconds(number, delivery.pk)
                fields["next_attempt_at"] = now + datetime.timedelta(seconds=delay)
        deliveries_transition(deliveries=one, to=to, **fields)
        delivery.refresh_from_db()
        if to == DeliveryStatus.FAILED:
            _disable_if_failing(targets.get(), delivery, now)
    return delivery


def _disable_if_failing(target: DeliveryTarget, delivery: Delivery, now: datetime.datetime) -> None:
    if not target.is_active or target.failing_since is None:
        return
    if now - target.failing_since < DISABLE_AFTER:
        return
    reason = (
        f"No successful delivery since {target.failing_since:%Y-%m-%d %H:%M} UTC; delivery "
        f"{delivery.pk} failed {delivery.attempts} times ({delivery.last_error})."
    )
    target_disable(target=target, reason=reason)
    _email_owner_on_commit(target=target, reason=reason)


def _owner_emails(target: DeliveryTarget) -> list[str]:
    merchant_id = getattr(target, "merchant_id", None)
    affiliate_id = getattr(target, "affiliate_id", None)
    if merchant_id is not None:
        emails = list(
            MerchantUser.objects.filter(merchant_id=merchant_id, is_active=True).values_list(
                "user__email", flat=True
            )
        )
        return emails or [target.merchant.contact_email]  # type: ignore[attr-defined]
    if affiliate_id is not None:
        return [target.affiliate.email]  # type: ignore[attr-defined]
    if target.created_by_id is not None:
        return [target.created_by.email]  # type: ignore[union-attr]
    return list(
        Membership.objects.filter(role=Role.TENANT_ADMIN, is_active=True).values_list(
            "user__email", flat=True
        )
    )


def _email_owner_on_commit(*, target: DeliveryTarget, reason: str) -> None:
    recipients = sorted({email for email in _owner_emails(target) if email})
    if not recipients:
        return
    context = {
        "target": target,
        "kind": "webhook endpoint" if isinstance(target, WebhookEndpoint) else "postback",
        "url": getattr(target, "url", None) or getattr(target, "url_template", ""),
        "reason": reason,
        "tenant": current_tenant(),
    }
    subject = render_to_string("email/integrations/target_disabled_subject.txt", context).strip()
    body = render_to_string("email/integrations/target_disabled_body.txt", context)
    transaction.on_commit(lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients))


# --- replay and the due sweep -----------------------------------------------------------


def delivery_replay(*, delivery: Delivery) -> Delivery:
    """Send it again now, with the same body (webhooks) or URL (postbacks). Its target must
    be live (re-enable a disabled endpoint first). A replay is one more attempt in the log;
    a failed one is retried only while the delivery is younger than ``RETRY_FOR``."""
    with transaction.atomic():
        locked = lock_object(Delivery.objects.select_related("endpoint", "postback"), delivery.pk)
        if not locked.target.is_live:
            raise DeliveryStateError(
                "Its endpoint is disabled or deleted; enable it before replaying.",
                field="delivery",
            )
        deliveries_transition(
            deliveries=Delivery.objects.filter(pk=locked.pk),
            to=DeliveryStatus.PENDING,
            next_attempt_at=timezone.now(),
            lease_until=None,
            is_replay=True,
        )
        locked.refresh_from_db()
        _send_on_commit(locked.tenant_id, [locked.pk])
    return locked


def deliveries_due(*, limit: int = DUE_BATCH) -> list[int]:
    """Ids of pending deliveries whose next attempt is due and that nobody holds."""
    now = timezone.now()
    return list(
        Delivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(Q(lease_until__isnull=True) | Q(lease_until__lt=now))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
