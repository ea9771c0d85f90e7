"""Webhooks and webmaster postbacks (issue 16, API.md v1.1 "Webhooks").

- ``WebhookEndpoint``: a URL that hears the chosen event types, owned by a merchant, a
  webmaster, or the network itself (neither set: staff configure those in the back office).
  Its signing secret is kept encrypted (``crypto``): we need the plaintext to sign.
- ``PostbackTemplate``: a webmaster's GET URL with macros, per placement or for the account.
- ``Event``: one domain event, stored once with the id every delivery and retry carries.
- ``Delivery``: one event (or, for postbacks, one conversion's state) to one target, retried
  with back-off; ``DeliveryAttempt`` is its log, with each response code.
Endpoints and templates are never hard-deleted (``deleted_at``): their logs stay readable.
"""

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q

from apps.core.models import TenantOwnedModel

#: the events a webmaster postback can fire on (issue 16)
POSTBACK_EVENTS = ("conversion.created", "commission.approved", "commission.reversed")


class DeliveryTarget(TenantOwnedModel):
    """What webhook endpoints and postback templates share: an owner, a switch, and the
    failure bookkeeping that disables a target that keeps failing."""

    events = ArrayField(models.CharField(max_length=40), default=list)
    is_active = models.BooleanField(default=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    # the first failed attempt since the last success (None while it answers)
    failing_since = models.DateTimeField(null=True, blank=True)
    consecutive_failures = models.PositiveIntegerField(default=0)
    last_success_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def is_live(self) -> bool:
        return self.is_active and self.deleted_at is None


class WebhookEndpoint(DeliveryTarget):
    merchant = models.ForeignKey(
        "campaigns.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    url = models.URLField(max_length=2000)
    description = models.CharField(max_length=200, blank=True)
    secret_encrypted = models.TextField(editable=False)
    secret_hint = models.CharField(max_length=16, editable=False)
    secret_rotated_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(merchant__isnull=True) | Q(affiliate__isnull=True),
                name="webhook_endpoint_one_owner",
            )
        ]

    def __str__(self) -> str:
        return self.url

    @property
    def owner_label(self) -> str:
        if self.merchant_id:
            return f"merchant {self.merchant}"
        if self.affiliate_id:
            return f"webmaster {self.affiliate}"
        return "the network"


class PostbackTemplate(DeliveryTarget):
    """``url_template`` with ``{click_id} {sub} {event} {amount} {commission} {status}
    {currency} {conversion_id}``; the placement's template wins over the account's."""

    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="postback_templates"
    )
    placement = models.ForeignKey(
        "websites.Placement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    url_template = models.CharField(max_length=2000)

    class Meta:
        ordering = ["placement__code"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "affiliate", "placement"],
                condition=Q(deleted_at__isnull=True),
                nulls_distinct=False,
                name="postback_one_per_placement",
            )
        ]

    def __str__(self) -> str:
        return self.url_template


class Event(TenantOwnedModel):
    """One domain event (``apps.core.events``), stored only when someone listens."""

    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=40)
    data = models.JSONField(encoder=DjangoJSONEncoder)
    merchant = models.ForeignKey(
        "campaigns.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "event_id"], name="event_id_unique")
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending (being delivered or waiting to retry)"
    SUCCEEDED = "succeeded", "Delivered"
    FAILED = "failed", "Failed (gave up)"
    CANCELLED = "cancelled", "Cancelled (target disabled or deleted)"


class Delivery(TenantOwnedModel):
    """One event to one target. Webhooks: ``body`` is the exact JSON sent on every attempt
    and replay. Postbacks: ``url`` is rendered at the first attempt, then kept."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="deliveries")
    endpoint = models.ForeignKey(
        WebhookEndpoint, null=True, blank=True, on_delete=models.PROTECT, related_name="deliveries"
    )
    postback = models.ForeignKey(
        PostbackTemplate,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="deliveries",
    )
    # webhooks: the event id; postbacks: "<event type>:<conversion id>" (one per state)
    dedupe_key = models.CharField(max_length=100)
    conversion = models.ForeignKey(
        "tracking.Conversion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    method = models.CharField(max_length=4, default="POST")
    url = models.CharField(max_length=2000, blank=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=10, choices=DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    # set by a manual replay until its attempt is logged
    is_replay = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(endpoint__isnull=False, postback__isnull=True)
                | Q(endpoint__isnull=True, postback__isnull=False),
                name="delivery_one_target",
            ),
            models.UniqueConstraint(
                fields=["tenant", "endpoint", "dedupe_key"],
                condition=Q(endpoint__isnull=False),
                name="delivery_once_per_endpoint",
            ),
            models.UniqueConstraint(
                fields=["tenant", "postback", "dedupe_key"],
                condition=Q(postback__isnull=False),
                name="delivery_once_per_postback",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "next_attempt_at"],
                condition=Q(status="pending"),
                name="delivery_due",
            ),
            models.Index(fields=["tenant", "endpoint", "-created_at"], name="delivery_endpoint"),
            models.Index(fields=["tenant", "postback", "-created_at"], name="delivery_postback"),
        ]

    def __str__(self) -> str:
        return f"{self.event.type} → {self.url or self.endpoint}"

    @property
    def target(self) -> DeliveryTarget:
        return self.endpoint or self.postback  # type: ignore[return-value]


class DeliveryAttempt(TenantOwnedModel):
    """One try of a delivery: what we sent to, what came back (the delivery log)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="log")
    number = models.PositiveIntegerField()
    url = models.CharField(max_length=2000)
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.CharField(max_length=500, blank=True)
    is_replay = models.BooleanField(default=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.number}: {self.status_code or self.error}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300 and not self.error
