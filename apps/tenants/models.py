"""Tenants (networks), their hosts, people and staff memberships."""

import uuid
import zoneinfo
from decimal import Decimal
from pathlib import PurePath

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from apps.core.models import TenantOwnedModel, TimeStampedModel
from apps.core.roles import Role

slug_validator = RegexValidator(
    r"^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$",
    "Use 1-40 lower-case letters, digits or hyphens, not starting or ending with a hyphen.",
)
host_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$",
    "Enter a host name such as alliance.example.com (no scheme, port or path).",
)
#: the tagging minimum (apps.campaigns.services.products.TAG_MIN_ORDERS): cold start stays below it
LIFECYCLE_COLD_START_MAX = 20
#: raw clicks and impressions are kept at least this many days (issue 19)
RAW_EVENT_RETENTION_MIN_DAYS = 8

currency_validator = RegexValidator(r"^[A-Z]{3}$", "Use an ISO 4217 code such as CNY or EUR.")


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. Asia/Shanghai).")


class CouponAttribution(models.TextChoices):
    """Which wins when an order carries both a usable ``click_id`` and a registered coupon
    of another webmaster (a tenant setting; docs/integrations.md)."""

    CLICK_FIRST = "click_first", "The click wins; the coupon only when there is no usable click"
    COUPON_FIRST = "coupon_first", "The coupon wins; the click only when the coupon is not usable"


class WithholdingRule(models.TextChoices):
    """Income tax withheld from individual webmasters' statements (issue 17,
    ``apps.commissions.services.withholding``; docs/currency.md)."""

    OFF = "off", "Off: nothing is withheld"
    PRC_LABOUR = "prc_labour", "PRC labour remuneration (劳务报酬): 800 or 20 % deducted, 20-40 %"
    FLAT = "flat", "A flat percentage of the statement's gross"


class Tenant(TimeStampedModel):
    """One affiliate network. Platform data: not tenant-owned itself."""

    slug = models.CharField(max_length=40, unique=True, validators=[slug_validator])
    name = models.CharField(max_length=120)
    currency = models.CharField(max_length=3, default="CNY", validators=[currency_validator])
    timezone = models.CharField(
        max_length=64, default="Asia/Shanghai", validators=[validate_timezone]
    )
    is_active = models.BooleanField(default=True)

    # Tracking rules (API.md "Tracking").
    dedupe_window_hours = models.PositiveIntegerField(
        default=24,
        help_text="A repeat click by the same visitor on the same placement within "
        "this many hours is a duplicate.",
    )
    ip_daily_cap = models.PositiveIntegerField(
        default=20, help_text="Clicks from one IP on one placement per day above this are not paid."
    )
    click_window_days = models.PositiveIntegerField(
        default=30, help_text="A conversion is attributed to a click at most this many days old."
    )
    # Issue 19 (docs/scale.md "Partitions and retention"): raw clicks and impressions older
    # than this are removed; roll-ups, earnings, statements and claims stay.
    raw_event_retention_days = models.PositiveIntegerField(
        default=90,
        validators=[MinValueValidator(RAW_EVENT_RETENTION_MIN_DAYS)],
        help_text="Raw clicks and impressions are kept this many days (tenant-local), then "
        "removed; reports, statements and claims read the daily roll-ups. At least the click "
        "window plus a week.",
    )
    coupon_attribution = models.CharField(
        max_length=12,
        choices=CouponAttribution,
        default=CouponAttribution.CLICK_FIRST,
        help_text="An order with both a click_id and another webmaster's registered coupon: "
        "which one it is attributed to.",
    )
    # Money rules (DESIGN.md rules 1, 8 and the settlement workflow).
    lock_period_days = models.PositiveIntegerField(
        default=30, help_text="Days after which a pending commission is approved."
    )
    minimum_payout = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("100.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="Below this balance a statement carries over to the next period.",
    )
    claim_tolerance = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.0000"),
        validators=[
            MinValueValidator(Decimal("0")),
        ],
        help_text="Tolerance t in compensation = spend - GMV / (target ROI x (1 - t)).",
    )
    # Merchant billing (issue 21, docs/billing.md).
    network_fee_percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        default=Decimal("0.0000"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text="The network's fee on the CPS commissions a merchant is billed, in percent "
        "(20 = 20%); a merchant's billing terms may set its own.",
    )
    prepayment_required = models.BooleanField(
        default=False,
        help_text="Merchants pay in advance: a merchant whose prepaid balance is used up is "
        "not served until finance records a deposit.",
    )
    # Income-tax withholding on statements (issue 17): off unless set; companies never.
    withholding_rule = models.CharField(
        max_length=12,
        choices=WithholdingRule,
        default=WithholdingRule.OFF,
        help_text="Income tax withheld from the statements of individual webmasters (not "
        "those paid as a company).",
    )
    withholding_flat_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="For the flat rule: the percentage of the gross withheld (20 = 20 %).",
    )
    low_balance_warning = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0.00"))],
        help_text="A merchant whose available prepaid balance falls below this is warned.",
    )

    # Who changed a money setting (claim tolerance, minimum payout, lock period, IP cap,
    # dedupe window, fee), when, and from what (issue 21).
    history = HistoricalRecords(excluded_fields=["updated_at"])

    # Product lifecycle stages (issue 18, apps.campaigns.lifecycle): the nightly rule's
    # thresholds. A cold-start product is never tagged, so its threshold is at most the
    # tagging minimum of 20 orders in 30 days (tests/growth/test_lifecycle.py checks they agree).
    lifecycle_cold_start_orders = models.PositiveSmallIntegerField(
        default=20,
        validators=[MinValueValidator(1), MaxValueValidator(LIFECYCLE_COLD_START_MAX)],
        help_text="A product with fewer orders than this in 30 days is in cold start "
        f"(at most {LIFECYCLE_COLD_START_MAX}, the tagging minimum).",
    )
    lifecycle_growth_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.2000"),
        validators=[MinValueValidator(Decimal("0.0001"))],
        help_text="Growth: the last 7 days' orders at least (1 + this) x the 7 days before.",
    )
    lifecycle_decline_rate = models.DecimalField(
        max_digits=5,
        decimal_places=4,
        default=Decimal("0.2000"),
        validators=[MinValueValidator(Decimal("0.0001")), MaxValueValidator(Decimal("0.9999"))],
        help_text="Decline: the last 7 days' orders at most (1 - this) x the 7 days before.",
    )
    lifecycle_burst_factor = models.DecimalField(
        max_digits=6,
        decimal_places=2,
        default=Decimal("2.00"),
        validators=[MinValueValidator(Decimal("1.01"))],
        help_text="Burst: the last 7 days' orders at least this many times both the weekly "
        "average of the 3 weeks before and the week just before.",
    )

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)

    def clean(self) -> None:
        if self.claim_tolerance is not None and self.claim_tolerance >= 1:
            raise ValidationError({"claim_tolerance": "The tolerance must be below 1."})
        # a conversion is attributed to a click at most click_window_days old, and late
        # conversions rerun their day: the click must still be there (issue 19)
        if (
            self.raw_event_retention_days is not None
            and self.click_window_days is not None
            and self.raw_event_retention_days < self.click_window_days + 7
        ):
            raise ValidationError(
                {
                    "raw_event_retention_days": "Keep raw events at least the click window "
                    f"plus a week ({self.click_window_days + 7} days)."
                }
            )


class TenantDomain(TimeStampedModel):
    """A host name that serves one tenant. Platform data, read before any scope exists."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="domains")
    host = models.CharField(max_length=253, unique=True, validators=[host_validator])
    is_primary = models.BooleanField(default=True)

    class Meta:
        ordering = ["host"]

    def __str__(self) -> str:
        return self.host


class LiveVersion(models.Model):
    """The version of a tenant's served state (``/c/``, ``/serve/``, ``/px/*``): bumped after
    every commit that called ``apps.tenants.live.live_state_changed``; processes serving the
    tenant reload their snapshot when it moves. Platform data, read across tenants by each
    process's poll (docs/click-path.md "Live state")."""

    tenant = models.OneToOneField(
        Tenant, on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    version = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"{self.tenant_id}@{self.version}"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra: object) -> "User":
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra)


class User(AbstractUser):
    """A person. One account may act in several networks; what it may do in each comes from
    memberships (staff), webmaster profiles and merchant users, all tenant-owned."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()  # type: ignore[misc]

    class Meta:
        constraints = [models.UniqueConstraint(Lower("email"), name="user_email_ci_unique")]

    def __str__(self) -> str:
        return self.email


class Membership(TenantOwnedModel):
    """A staff role of a user in one tenant."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["user__email", "role"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"


def private_storage() -> "FileSystemStorage":
    """Files no URL serves (import files, claim evidence): read only through checked views."""
    from django.conf import settings

    return FileSystemStorage(location=settings.PRIVATE_MEDIA_ROOT, base_url=None)


def import_upload_to(job: "ImportJob", filename: str) -> str:
    # <tenant_id>/imports/<random>.<ext>: the stored name never carries the uploader's text.
    suffix = PurePath(filename).suffix.lower()[:8]
    return f"{job.tenant_id}/imports/{uuid.uuid4().hex}{suffix}"


class ImportJobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    CHECKED = "checked", "Checked (dry run passed)"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(TenantOwnedModel):
    """One bulk import (API.md ``import_data``) run from the back office. ``status`` moves only
    through ``apps.tenants.import_jobs.import_job_transition``; files above the inline
    threshold run in a Celery task and report their progress here."""

    resource = models.CharField(max_length=40)
    file = models.FileField(storage=private_storage, upload_to=import_upload_to, max_length=300)
    original_name = models.CharField(max_length=255)
    dry_run = models.BooleanField(
        default=False, help_text="The queued or last run only validates (writes nothing)."
    )
    status = models.CharField(
        max_length=20,
        choices=ImportJobStatus,
        default=ImportJobStatus.QUEUED,
        db_index=True,
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.resource} import #{self.pk} ({self.original_name})"

    @property
    def is_active(self) -> bool:
        return self.status in (ImportJobStatus.QUEUED, ImportJobStatus.RUNNING)
