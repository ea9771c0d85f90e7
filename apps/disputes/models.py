"""Merchant cost-compensation claims (DESIGN.md rule 8, issue 6) and webmaster
missing-commission disputes.

A ``Claim`` freezes what its amount was computed from (window, spend, GMV, target ROI,
tolerance) when it is filed; a decided claim is immutable (the service refuses changes and the
database refuses a decided row without its decider). ``status`` of both models moves only
through ``apps.disputes.services`` (``claim_transition`` / ``dispute_transition``).
"""

import uuid
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from apps.core import money
from apps.core.models import TenantOwnedModel

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
WINDOW_DAYS_MIN = 7
WINDOW_DAYS_MAX = 15
WINDOW_DAYS_DEFAULT = 7


def evidence_storage() -> FileSystemStorage:
    """Private files: no URL serves them; only the permission-checked download view reads them."""
    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def evidence_upload_to(evidence: "ClaimEvidence", filename: str) -> str:
    # <tenant_id>/claims/<claim_id>/<random>.<ext>: the stored name never carries user text.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"{evidence.tenant_id}/claims/{evidence.claim_id}/{uuid.uuid4().hex}{suffix}"


class ClaimStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class Claim(TenantOwnedModel):
    """A merchant's claim for the cost of a full-site plan that missed its target ROI.

    amount = max(0, spend - GMV / (target ROI x (1 - tolerance))), rounded half-up to cents;
    an approved amount is credited once to the merchant's balance (``ledger_transaction``)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="claims"
    )
    # A claim on one phase of a phased plan: judged on the phase's days and target (issue 18).
    phase = models.ForeignKey(
        "campaigns.CampaignPhase",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="claims"
    )
    window_days = models.PositiveSmallIntegerField(
        default=WINDOW_DAYS_DEFAULT,
        validators=[MinValueValidator(WINDOW_DAYS_MIN), MaxValueValidator(WINDOW_DAYS_MAX)],
    )
    window_start = models.DateField(help_text="The plan's first tenant-local day of spend.")
    window_end = models.DateField(help_text="The window's last day (inclusive).")
    spend = models.DecimalField(**MONEY)
    gmv = models.DecimalField(**MONEY)
    target_roi = models.DecimalField(max_digits=8, decimal_places=2)
    tolerance = models.DecimalField(max_digits=5, decimal_places=4, default=Decimal("0"))
    computed_amount = models.DecimalField(**MONEY)
    approved_amount = models.DecimalField(**MONEY, null=True, blank=True)
    status = models.CharField(
        max_length=12, choices=ClaimStatus, default=ClaimStatus.SUBMITTED, db_index=True
    )
    note = models.TextField(blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_reason = models.CharField(max_length=500, blank=True)
    # PROTECT: a decided claim keeps its decider (the check constraint below needs it).
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    ledger_transaction = models.ForeignKey(
        "commissions.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # one claim per plan, or per phase of a phased plan (issue 18)
            models.UniqueConstraint(
                fields=["tenant", "campaign", "phase"],
                name="claim_one_per_campaign",
                nulls_distinct=False,
            ),
            models.CheckConstraint(
                condition=Q(status="submitted")
                | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="claim_decided_has_decider",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | Q(approved_amount__isnull=False),
                name="claim_approved_has_amount",
            ),
            models.CheckConstraint(
                condition=Q(approved_amount__isnull=True)
                | (Q(approved_amount__gt=0) & Q(approved_amount__lte=models.F("computed_amount"))),
                name="claim_approved_within_computed",
            ),
            models.CheckConstraint(
                condition=Q(window_days__gte=WINDOW_DAYS_MIN) & Q(window_days__lte=WINDOW_DAYS_MAX),
                name="claim_window_days_range",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status", "created_at"], name="claim_queue")]

    def __str__(self) -> str:
        return f"Claim #{self.pk} ({self.get_status_display()})"

    @property
    def is_decided(self) -> bool:
        return self.status != ClaimStatus.SUBMITTED

    @property
    def roi(self) -> Decimal | None:
        return money.roi(gmv=self.gmv, spend=self.spend)


class ClaimEvidence(TenantOwnedModel):
    """A file attached to a claim, stored privately under
    ``PRIVATE_MEDIA_ROOT/<tenant_id>/claims/<claim_id>/``."""

    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(storage=evidence_storage, upload_to=evidence_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.original_name


class DisputeStatus(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"


class Dispute(TenantOwnedModel):
    """A webmaster's claim that an order it sent earned no commission. ``evidence`` is the
    system's own check when it was filed (clicks in the click window, a matching order)."""

    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="disputes"
    )
    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="disputes"
    )
    order_reference = models.CharField(max_length=100)
    order_date = models.DateField()
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    note = models.TextField(blank=True)
    status = models.CharField(
        max_length=12,
        choices=DisputeStatus,
        default=DisputeStatus.SUBMITTED,
        db_index=True,
    )
    evidence = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=500, blank=True)
    commission = models.ForeignKey(
        "commissions.Commission",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # One live dispute per order: a rejected one may be filed again, an open or
            # accepted one may not (an accepted order has its commission already).
            models.UniqueConstraint(
                fields=["tenant", "affiliate", "merchant", "order_reference"],
                condition=Q(status__in=["submitted", "accepted"]),
                name="dispute_one_open_per_order",
            ),
            models.CheckConstraint(
                condition=Q(status="submitted")
                | (Q(decided_at__isnull=False) & Q(decided_by__isnull=False)),
                name="dispute_decided_has_decider",
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="dispute_amount_gt_0"),
        ]
        indexes = [
            models.Index(fields=["tenant", "merchant", "status"], name="dispute_merchant_status"),
            models.Index(fields=["tenant", "affiliate", "created_at"], name="dispute_affiliate"),
        ]

    def __str__(self) -> str:
        return f"Dispute #{self.pk} {self.order_reference} ({self.get_status_display()})"

    @property
    def is_decided(self) -> bool:
        return self.status != DisputeStatus.SUBMITTED
