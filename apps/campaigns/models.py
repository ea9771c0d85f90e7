"""Merchants (advertisers), their domains and users; products and campaigns."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models.functions import Lower
from simple_history.models import HistoricalRecords

from apps.core.models import TenantOwnedModel
from apps.sites.models import new_verification_token
from apps.tenants.models import currency_validator

code_validator = RegexValidator(
    r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,39}$",
    "Use 1-40 letters, digits, '.', '_' or '-', starting with a letter or digit.",
)
domain_validator = RegexValidator(
    r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$",
    "Enter a domain such as shop.example.com (no scheme or path).",
)


class MerchantTier(models.TextChoices):
    BRAND = "brand", "Brand"
    HIGH_POTENTIAL = "high_potential", "High potential"
    SMB = "smb", "Small and medium"


class Merchant(TenantOwnedModel):
    code = models.CharField(max_length=40, validators=[code_validator])
    name = models.CharField(max_length=150)
    tier = models.CharField(max_length=20, choices=MerchantTier, default=MerchantTier.SMB)
    contact_name = models.CharField(max_length=150, blank=True)
    contact_email = models.EmailField()
    phone = models.CharField(max_length=40, blank=True)
    plan_quota = models.PositiveIntegerField(
        default=200,
        validators=[MinValueValidator(1)],
        help_text="Most active plans this merchant may run at once (DESIGN.md rule 7).",
    )
    is_active = models.BooleanField(default=True)
    # Issue 17 (docs/currency.md): the currency its orders are reported and it is billed in;
    # blank is the tenant's.
    currency = models.CharField(
        max_length=3,
        blank=True,
        validators=[currency_validator],
        help_text="ISO 4217 code its orders and invoices are in (e.g. USD); blank: the "
        "network's currency.",
    )
    # Set and cleared only by apps.billing's prepaid service (issue 21): when the tenant requires
    # prepayment and this merchant's prepaid balance is used up, its campaigns are not served.
    prepaid_exhausted = models.BooleanField(
        default=False,
        editable=False,
        help_text="Prepaid balance used up: campaigns are not served until a deposit.",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint("tenant", Lower("code"), name="merchant_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class DomainVerificationMethod(models.TextChoices):
    DNS = "dns", "DNS TXT record"
    FILE = "file", "File at the well-known path"
    STAFF = "staff", "Verified by staff"
    IMPORT = "import", "Imported as verified"


class MerchantDomain(TenantOwnedModel):
    """A domain of the merchant's site. Once verified, deep links may land anywhere on it or
    its subdomains and the merchant's product URLs may point there (never elsewhere); until
    then it is pending and serves nothing (docs/click-path.md "Verified merchant domains").

    Proof of ownership: a DNS TXT record ``alliance-domain-verification=TOKEN`` on the domain,
    or TOKEN in ``https://DOMAIN/.well-known/alliance-verification.txt`` (checked by the task
    ``campaigns.merchant_domain_verify``); staff may verify by hand with a reason (history)."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253, validators=[domain_validator])
    verification_token = models.CharField(
        max_length=64, default=new_verification_token, editable=False
    )
    verified_at = models.DateTimeField(null=True, blank=True, editable=False)
    verification_method = models.CharField(
        max_length=10, choices=DomainVerificationMethod, blank=True, editable=False
    )
    last_verification_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_verification_error = models.CharField(max_length=500, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    @property
    def is_verified(self) -> bool:
        return self.verified_at is not None

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "domain"], name="merchant_domain_unique")
        ]

    def __str__(self) -> str:
        return self.domain


class MerchantUser(TenantOwnedModel):
    """A person who acts for a merchant in its portal, invited by staff."""

    merchant = models.ForeignKey(Merchant, on_delete=models.CASCADE, related_name="users")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="merchant_roles"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="merchant_user_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.merchant}"


class LifecycleStage(models.TextChoices):
    """A product's lifecycle stage (seeds 001/002, issue 18; the rule is
    ``apps.campaigns.lifecycle.lifecycle_stage``)."""

    COLD_START = "cold_start", "Cold start"
    GROWTH = "growth", "Growth"
    BURST = "burst", "Burst"
    STEADY = "steady", "Steady"
    DECLINE = "decline", "Decline"


class Product(TenantOwnedModel):
    """A merchant's product, upserted by ``sku`` (unique per merchant) from the feed API,
    imports and the admin. ``is_tagged`` and ``roi_30d`` are refreshed nightly (DESIGN.md
    rule 7, issue 4 "Product tagging and ROI tiers") and only ever written by
    ``apps.campaigns.services.products.product_tagging_apply``."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="products")
    sku = models.CharField(max_length=64)
    title = models.CharField(max_length=300)
    url = models.URLField(max_length=1000)
    price = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    product_type = models.CharField(max_length=60, blank=True, db_index=True)
    image_url = models.URLField(max_length=1000, blank=True)
    is_active = models.BooleanField(default=True)
    # Nightly tagging: >= 20 attributed orders in 30 days and a conversion rate at or above the
    # tenant's median. roi_30d = 30-day GMV / 30-day spend (None without spend).
    is_tagged = models.BooleanField(default=False)
    roi_30d = models.DecimalField(max_digits=12, decimal_places=4, null=True, blank=True)
    orders_30d = models.PositiveIntegerField(default=0)
    conversion_rate_30d = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    tagging_refreshed_on = models.DateField(null=True, blank=True)
    # Nightly lifecycle stage (issue 18), written only by
    # ``apps.campaigns.services.lifecycle.product_lifecycle_apply``.
    lifecycle_stage = models.CharField(
        max_length=12, choices=LifecycleStage, default=LifecycleStage.COLD_START
    )
    lifecycle_refreshed_on = models.DateField(null=True, blank=True)

    # Price changes are kept with who and when (issue 21); the nightly tagging fields are not.
    history = HistoricalRecords(
        excluded_fields=[
            "updated_at",
            "is_tagged",
            "roi_30d",
            "orders_30d",
            "conversion_rate_30d",
            "tagging_refreshed_on",
            "lifecycle_stage",
            "lifecycle_refreshed_on",
        ]
    )

    class Meta:
        ordering = ["merchant", "sku"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "merchant", "sku"], name="product_sku_unique_per_merchant"
            ),
            models.CheckConstraint(condition=models.Q(price__gte=0), name="product_price_gte_0"),
        ]
        indexes = [models.Index(fields=["tenant", "sku"])]

    def __str__(self) -> str:
        return f"{self.sku} · {self.title}"


class CampaignType(models.TextChoices):
    CPS = "cps", "CPS (pay per sale)"
    CPC = "cpc", "CPC bid"
    CPM = "cpm", "CPM bid"
    FULL_SITE = "full_site", "Full-site promotion"


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    ENDED = "ended", "Ended"


class Campaign(TenantOwnedModel):
    """A merchant's plan (DESIGN.md rules 6-7). ``status`` moves only through
    ``apps.campaigns.services.campaigns.campaign_transition``; exclusivity (a product in an
    active full-site plan is in no other active plan) and the merchant's plan quota are checked
    there under a lock on the merchant row.

    ``bid`` is per click (cpc) or per mille (cpm); a full-site plan has no bid of its own (its
    CPC is derived from GMV per click and ``target_roi``). What claims depend on is frozen when
    the plan starts: whether its product was tagged, the tiers offered then, and whether
    ``target_roi`` was one of them."""

    merchant = models.ForeignKey(Merchant, on_delete=models.PROTECT, related_name="campaigns")
    name = models.CharField(max_length=150)
    type = models.CharField(max_length=20, choices=CampaignType)
    products = models.ManyToManyField(
        Product, through="CampaignProduct", related_name="campaigns", blank=True
    )
    bid = models.DecimalField(
        max_digits=14,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="CPC: per click. CPM: per thousand impressions.",
    )
    daily_budget = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    target_roi = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Full-site plans: the GMV / spend the merchant aims for.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField(null=True, blank=True)
    min_site_weight = models.PositiveSmallIntegerField(
        default=1, validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    status = models.CharField(
        max_length=20, choices=CampaignStatus, default=CampaignStatus.DRAFT, db_index=True
    )
    # Frozen when the plan first becomes active (claims, DESIGN.md rule 8).
    started_at = models.DateTimeField(null=True, blank=True)
    product_was_tagged = models.BooleanField(null=True, blank=True)
    roi_tiers_at_start = models.JSONField(default=list, blank=True)
    target_roi_was_tier = models.BooleanField(null=True, blank=True)
    # The tenant-local day of the first charge (the claim window starts there).
    first_spend_on = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"], m2m_fields=[])

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__isnull=True)
                | models.Q(ends_at__gt=models.F("starts_at")),
                name="campaign_ends_after_start",
            ),
            models.CheckConstraint(
                condition=~models.Q(type="full_site") | models.Q(target_roi__isnull=False),
                name="campaign_full_site_has_target_roi",
            ),
            models.CheckConstraint(
                condition=~models.Q(type__in=["cpc", "cpm"]) | models.Q(bid__isnull=False),
                name="campaign_bidding_has_bid",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "status", "merchant"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_type_display()})"


class CampaignProduct(TenantOwnedModel):
    """A product in a campaign. Its own ``tenant`` column lets RLS and constraints use it."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="+")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "product"], name="campaign_product_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id}:{self.product_id}"


class PhaseKind(models.TextChoices):
    """The phases of a promotion (seed 002: pre-heat, then bursts, then steady state)."""

    PRE_HEAT = "pre_heat", "Pre-heat"
    BURST = "burst", "Burst"
    STEADY = "steady", "Steady"


class CampaignPhase(TenantOwnedModel):
    """A dated phase of a full-site or CPC plan (issue 18): from ``first_day`` to ``last_day``
    (tenant-local days, inclusive) the plan runs at this daily budget and target ROI instead of
    its own. Phases of a plan never overlap; they are written only by
    ``apps.campaigns.services.phases.campaign_phases_set`` and read by the serving snapshot,
    run_daily's spend (its budget cap), per-phase performance and claims."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="phases")
    kind = models.CharField(max_length=12, choices=PhaseKind)
    first_day = models.DateField()
    last_day = models.DateField()
    daily_budget = models.DecimalField(
        max_digits=14, decimal_places=2, validators=[MinValueValidator(Decimal("0.00"))]
    )
    target_roi = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Full-site phases: the target the plan bids for. CPC: what it is judged by.",
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["campaign", "first_day"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "first_day"], name="campaign_phase_unique_start"
            ),
            models.CheckConstraint(
                condition=models.Q(last_day__gte=models.F("first_day")),
                name="campaign_phase_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.first_day}..{self.last_day}"
