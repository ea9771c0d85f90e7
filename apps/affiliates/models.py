"""Webmasters (affiliates, publishers): profile, onboarding pipeline, BD owner, notes."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TenantOwnedModel
from apps.tenants.models import currency_validator


class AffiliateKind(models.TextChoices):
    WEBMASTER = "webmaster", "Webmaster"
    CONTENT = "content", "Content site"
    CASHBACK = "cashback", "Cashback"
    INFLUENCER = "influencer", "Influencer"


class PipelineStatus(models.TextChoices):
    PENDING = "pending", "Pending review"  # signed up by themselves, awaiting staff
    LEAD = "lead", "Lead"
    CONTACTED = "contacted", "Contacted"
    CONTRACTED = "contracted", "Contracted"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    REJECTED = "rejected", "Rejected"


class PayoutMethod(models.TextChoices):
    BANK_TRANSFER = "bank_transfer", "Bank transfer"
    ALIPAY = "alipay", "Alipay"
    PAYPAL = "paypal", "PayPal"


class Affiliate(TenantOwnedModel):
    """A webmaster's profile in one network. ``status`` moves only through
    ``apps.affiliates.services.affiliate_transition``."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="affiliate_profiles",
    )
    email = models.EmailField()
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=AffiliateKind, default=AffiliateKind.WEBMASTER)
    status = models.CharField(
        max_length=20, choices=PipelineStatus, default=PipelineStatus.LEAD, db_index=True
    )
    bd_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_affiliates",
        verbose_name="BD owner",
    )
    company = models.CharField(max_length=150, blank=True)
    # Issue 17 (docs/currency.md): a company is paid on invoice, so no individual income tax
    # is withheld from its statements; blank payout currency is the tenant's.
    is_company = models.BooleanField(
        default=False,
        verbose_name="paid as a company",
        help_text="A company (not a person): no individual income tax is withheld.",
    )
    payout_currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[currency_validator],
        help_text="ISO 4217 code the webmaster is paid in; blank: the network's currency.",
    )
    phone = models.CharField(max_length=40, blank=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    # Risk staff hold payouts (issue 5): statements still generate but cannot be approved.
    payment_hold = models.BooleanField(default=False)
    payment_hold_reason = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        # "Webmasters" everywhere people read it (issue 14); the code keeps "affiliate".
        verbose_name = "webmaster"
        verbose_name_plural = "webmasters"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("email"), name="affiliate_email_unique"),
            models.UniqueConstraint(
                fields=["tenant", "user"],
                condition=models.Q(user__isnull=False),
                name="affiliate_user_unique",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status"])]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"

    @property
    def is_approved(self) -> bool:
        return self.status == PipelineStatus.ACTIVE


class AffiliateNote(TenantOwnedModel):
    """A dated note by BD staff on a webmaster (calls, meetings, terms discussed)."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    noted_on = models.DateField(default=timezone.localdate)
    body = models.TextField()

    class Meta:
        verbose_name = "webmaster note"
        ordering = ["-noted_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.noted_on}: {self.body[:40]}"


class AffiliateIp(TenantOwnedModel):
    """An address a webmaster used for the portal or the API. A click from one of them on the
    webmaster's own placement is a self-click (API.md: "the webmaster's own clicks → self")."""

    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="known_ips")
    ip = models.GenericIPAddressField()
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "webmaster address"
        verbose_name_plural = "webmaster addresses"
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "affiliate", "ip"], name="affiliate_ip_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "ip"])]

    def __str__(self) -> str:
        return f"{self.affiliate_id} @ {self.ip}"


class AffiliateSignup(TenantOwnedModel):
    """A self-service signup waiting for its email address to be verified (issue 3).

    Signup asks for a name and a kind; the pending ``Affiliate`` is created from this row only
    once allauth reports the address confirmed (``apps.affiliates.signals``), in the tenant
    whose host the person signed up on."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="affiliate_signups"
    )
    name = models.CharField(max_length=150)
    kind = models.CharField(max_length=20, choices=AffiliateKind, default=AffiliateKind.WEBMASTER)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "webmaster signup"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="affiliate_signup_user_unique")
        ]

    def __str__(self) -> str:
        return f"signup of {self.user_id} ({self.name})"


class PayoutDetails(TenantOwnedModel):
    """Where a webmaster's money goes (issue 14): entered by the webmaster in the portal, changed
    only through ``apps.affiliates.payouts.payout_details_set``.

    The account holder, bank, account number (or IBAN, or Alipay/PayPal account) and tax id are
    stored encrypted (``apps.core.crypto``, purpose ``payout``); staff see ``summary``, a masked
    line, and only the bank export decrypts. History records the masked line, never the values.
    A statement is approved and exported only when ``is_complete``."""

    # one row per webmaster (the constraint below; a OneToOneField would be unique without
    # the tenant)
    affiliate = models.ForeignKey(Affiliate, on_delete=models.CASCADE, related_name="+")
    method = models.CharField(
        max_length=20, choices=PayoutMethod, default=PayoutMethod.BANK_TRANSFER
    )
    account_holder_encrypted = models.TextField(blank=True)
    bank_encrypted = models.TextField(blank=True)
    account_number_encrypted = models.TextField(blank=True)
    tax_id_encrypted = models.TextField(blank=True)
    #: e.g. "Bank transfer · ICBC · L••• W••• · •••• 7890 · tax id •••• 001X"
    summary = models.CharField(max_length=300, blank=True)
    is_complete = models.BooleanField(default=False)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "account_holder_encrypted",
            "bank_encrypted",
            "account_number_encrypted",
            "tax_id_encrypted",
        ]
    )

    class Meta:
        verbose_name = "payout details"
        verbose_name_plural = "payout details"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "affiliate"], name="payout_details_unique")
        ]

    def __str__(self) -> str:
        return self.summary or "no payout details"
