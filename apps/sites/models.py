"""Webmasters' sites, the ad placements on them, and each placement's contract."""

import secrets

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Func, Q, Value
from simple_history.models import HistoricalRecords

from apps.affiliates.models import Affiliate
from apps.core.models import TenantOwnedModel


def new_verification_token() -> str:
    return secrets.token_hex(16)


class SiteStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    SUSPENDED = "suspended", "Suspended"


class VerificationMethod(models.TextChoices):
    META_TAG = "meta_tag", "Meta tag"
    FILE = "file", "File at a well-known path"


class Site(TenantOwnedModel):
    """A web site a webmaster owns. Ownership is proven by a meta tag or a file carrying
    ``verification_token`` (checked by a Celery task); ``weight`` (1-10) is set nightly."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.PROTECT, related_name="sites")
    url = models.URLField(max_length=500)
    name = models.CharField(max_length=150)
    category = models.CharField(max_length=60, blank=True, db_index=True)
    status = models.CharField(
        max_length=20, choices=SiteStatus, default=SiteStatus.PENDING, db_index=True
    )
    verification_token = models.CharField(max_length=64, default=new_verification_token)
    verified_at = models.DateTimeField(null=True, blank=True)
    verification_method = models.CharField(max_length=20, choices=VerificationMethod, blank=True)
    last_verification_at = models.DateTimeField(null=True, blank=True)
    last_verification_error = models.CharField(max_length=500, blank=True)
    weight = models.PositiveSmallIntegerField(
        default=5, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    weight_updated_on = models.DateField(null=True, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "url"], name="site_url_unique"),
            models.CheckConstraint(
                condition=Q(weight__gte=1, weight__lte=10), name="site_weight_1_to_10"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.url})"

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None


class PlacementPosition(models.TextChoices):
    BOTTOM_LEFT = "bottom_left", "Bottom left"
    BOTTOM_RIGHT = "bottom_right", "Bottom right"
    BANNER = "banner", "Banner"
    SIDEBAR = "sidebar", "Sidebar"
    TEXT_LINK = "text_link", "Text link"


class Placement(TenantOwnedModel):
    """One ad slot on a site, addressed publicly by ``code`` (unique in the tenant)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="placements")
    code = models.CharField(max_length=32)
    name = models.CharField(max_length=150, blank=True)
    position = models.CharField(max_length=20, choices=PlacementPosition)
    floor_cpm = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=0,
        validators=[MinValueValidator(0)],
        help_text="Floor price per mille; a single bidder pays floor + 0.10.",
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "code"], name="placement_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


class ContractStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    TERMINATED = "terminated", "Terminated"


class Contract(TenantOwnedModel):
    """The terms a placement runs under (DESIGN.md rule 1): a daily guarantee and a fee per
    valid click, from ``starts_on`` to ``ends_on`` (inclusive; open-ended when empty).

    Two active contracts of one placement never overlap: an exclusion constraint in the
    database enforces it, whatever writes the rows."""

    placement = models.ForeignKey(Placement, on_delete=models.PROTECT, related_name="contracts")
    daily_guarantee = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    click_rate = models.DecimalField(
        max_digits=14, decimal_places=4, validators=[MinValueValidator(0)]
    )
    starts_on = models.DateField()
    ends_on = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=ContractStatus, default=ContractStatus.ACTIVE)
    terminated_reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-starts_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(ends_on__gte=F("starts_on")),
                name="contract_ends_after_start",
            ),
            models.CheckConstraint(
                condition=Q(daily_guarantee__gte=0) & Q(click_rate__gte=0),
                name="contract_amounts_not_negative",
            ),
            ExclusionConstraint(
                name="contract_no_overlap",
                expressions=[
                    ("tenant", RangeOperators.EQUAL),
                    ("placement", RangeOperators.EQUAL),
                    (
                        Func(
                            F("starts_on"),
                            F("ends_on"),
                            Value("[]"),
                            function="daterange",
                            output_field=DateRangeField(),
                        ),
                        RangeOperators.OVERLAPS,
                    ),
                ],
                condition=Q(status="active"),
            ),
        ]

    def __str__(self) -> str:
        end = self.ends_on.isoformat() if self.ends_on else "open"
        terms = f"{self.daily_guarantee}/day + {self.click_rate}/click"
        return f"{self.placement}: {terms}, {self.starts_on}..{end}"
