"""Traffic and conversions: raw events, attributed conversions, and the daily roll-ups.

Raw events (``Click``, ``Impression``) are append-mostly and high-volume: they use the lean
``TenantScopedModel`` base (no bookkeeping columns), carry denormalised ids so the click path is
one INSERT, and are indexed for the daily roll-up (``tenant, <time>``). Reports, earnings,
tagging and claims read the roll-ups (``*DayStats``), never raw rows.
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models.functions import Upper
from django.utils import timezone
from simple_history.models import HistoricalRecords

from apps.core.models import TenantOwnedModel, TenantScopedModel


class ClickVerdict(models.TextChoices):
    UNCLASSIFIED = "", "Not yet classified"
    VALID = "valid", "Valid"
    BOT = "bot", "Bot user agent"
    DUPLICATE = "duplicate", "Duplicate within the dedupe window"
    IP_CAP = "ip_cap", "Over the per-IP daily cap"
    SELF = "self", "The webmaster's own click"
    BLOCKED = "blocked", "On the network's block list"


class Click(TenantScopedModel):
    """One raw click on ``/c/{code}``, written by exactly one INSERT. ``verdict`` is decided by
    ``run_daily`` (API.md "Tracking"); ``landed_at`` by ``/px/land``.

    The table is partitioned by UTC day on ``clicked_at`` (``apps.tracking.partitions``): its
    database primary key is ``(id, clicked_at)`` and ``clicked_at`` is in every unique key;
    rows older than the tenant's ``raw_event_retention_days`` are removed."""

    # Foreign keys without database constraints (issue 19), like ``Conversion.click``: the
    # ids come from the live snapshot, a delete is still refused by Django (PROTECT), and no
    # click takes a lock on its placement, webmaster, campaign, product and merchant rows.
    # PostgreSQL could not check them anyway when a partition is attached: the referenced
    # tables' row-level security hides every other tenant's rows from the check.
    id = models.BigAutoField(primary_key=True)
    click_id = models.UUIDField(default=uuid.uuid4, editable=False)
    clicked_at = models.DateTimeField(default=timezone.now)
    placement = models.ForeignKey(
        "websites.Placement",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # Denormalised from the placement so validation, reports and disputes need no join.
    affiliate = models.ForeignKey(
        "affiliates.Affiliate",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    product = models.ForeignKey(
        "campaigns.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    merchant = models.ForeignKey(
        "campaigns.Merchant",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The impression the click came from (ad.js links carry it): prices a CPC winner's click.
    impression_id = models.UUIDField(null=True, blank=True)
    ip = models.GenericIPAddressField()
    user_agent = models.CharField(max_length=512, blank=True)
    sub = models.CharField(max_length=64, blank=True)
    landed_at = models.DateTimeField(null=True, blank=True)
    verdict = models.CharField(
        max_length=12, choices=ClickVerdict, default=ClickVerdict.UNCLASSIFIED, blank=True
    )

    class Meta:
        constraints = [
            # the partition column is part of every unique key of a partitioned table
            models.UniqueConstraint(
                fields=["tenant", "click_id", "clicked_at"], name="click_click_id_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "clicked_at"], name="click_tenant_time"),
            models.Index(
                fields=["tenant", "affiliate", "clicked_at"], name="click_tenant_affiliate_time"
            ),
        ]

    def __str__(self) -> str:
        return str(self.click_id)


class Impression(TenantScopedModel):
    """One ad served by ``/serve/{code}`` (the auction's result and its clearing price).
    ``rendered_at`` is set when ad.js reports that the ad was shown; CPM plans pay for
    rendered impressions. Partitioned by UTC day on ``served_at``, like ``Click``."""

    id = models.BigAutoField(primary_key=True)
    impression_id = models.UUIDField(default=uuid.uuid4, editable=False)
    served_at = models.DateTimeField(default=timezone.now)
    placement = models.ForeignKey(
        "websites.Placement",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    product = models.ForeignKey(
        "campaigns.Product",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    merchant = models.ForeignKey(
        "campaigns.Merchant",
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    # The clearing price per mille; a CPC winner pays per valid click instead (cpc_price).
    price_cpm = models.DecimalField(max_digits=14, decimal_places=4)
    cpc_price = models.DecimalField(max_digits=14, decimal_places=4, null=True, blank=True)
    rendered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "impression_id", "served_at"],
                name="impression_impression_id_unique",
            )
        ]
        indexes = [models.Index(fields=["tenant", "served_at"], name="impression_tenant_time")]

    def __str__(self) -> str:
        return str(self.impression_id)


class ConversionType(models.TextChoices):
    REGISTRATION = "registration", "Registration"
    ORDER = "order", "Order"


class CustomerType(models.TextChoices):
    NEW = "new", "New customer"
    RETURNING = "returning", "Returning customer"


class ConversionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    CONFIRMED = "confirmed", "Confirmed by the merchant"
    REFUNDED = "refunded", "Refunded"
    CANCELLED = "cancelled", "Cancelled"


class ReversalReason(models.TextChoices):
    RETURNED = "returned", "Returned"
    CANCELLED = "cancelled", "Cancelled"
    DUPLICATE = "duplicate", "Duplicate order"
    FRAUD = "fraud", "Fraud"
    OTHER = "other", "Other"


class ConversionSource(models.TextChoices):
    API = "api", "POST /api/v1/conversions"
    PIXEL = "pixel", "Thank-you-page pixel (/px/conv)"
    POSTBACK = "postback", "Server-to-server postback (/postback)"


class Conversion(TenantOwnedModel):
    """A registration or order a merchant posted, attributed to its click (and so to a
    placement and webmaster), or, with no usable click, to a registered coupon's webmaster
    (then ``click`` is empty, and ``placement`` too unless the coupon names one). Idempotent
    on ``(merchant, type, external_id)`` whatever the channel (``source``). ``status`` moves
    only through ``apps.tracking.services.conversion_status_set``."""

    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="conversions"
    )
    type = models.CharField(max_length=20, choices=ConversionType)
    external_id = models.CharField(max_length=100)
    # No database constraint: nothing can reference a partitioned table's ``id`` alone
    # (issue 19). The conversion services attribute only to a click they just read; a click
    # removed by retention leaves this id dangling and the conversion its denormalised
    # placement, webmaster, campaign and product (read with select_related: a missing click
    # is None).
    click = models.ForeignKey(
        Click,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_constraint=False,
    )
    placement = models.ForeignKey(
        "websites.Placement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # The registered coupon that attributed it (issue 16); empty when its click did.
    coupon = models.ForeignKey(
        "tracking.Coupon", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    source = models.CharField(max_length=10, choices=ConversionSource, default=ConversionSource.API)
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="conversions"
    )
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product = models.ForeignKey(
        "campaigns.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    occurred_at = models.DateTimeField()
    # The tenant-local day of occurred_at: roll-ups and earnings group by it.
    day = models.DateField()
    # In the tenant's (book) currency: converted at ``fx_rate`` when the order came in another.
    amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    # Issue 17 (docs/currency.md): what the merchant reported, kept as it came. Blank
    # ``currency``: the tenant's (rows from before multi-currency); ``fx_rate`` is empty when
    # nothing was converted.
    currency = models.CharField(max_length=3, blank=True)
    original_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    original_refund_amount = models.DecimalField(
        max_digits=14, decimal_places=2, null=True, blank=True
    )
    fx_rate = models.DecimalField(
        max_digits=20,
        decimal_places=8,
        null=True,
        blank=True,
        help_text="Units of the tenant's currency for one unit of currency, on the order's day.",
    )
    customer_type = models.CharField(max_length=12, choices=CustomerType, blank=True)
    customer_ref = models.CharField(max_length=100, blank=True)
    status = models.CharField(
        max_length=12, choices=ConversionStatus, default=ConversionStatus.PENDING
    )
    refund_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    status_reason = models.CharField(max_length=12, choices=ReversalReason, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)

    #: amounts in the row's own currency (the admin shows them with it; issue 17)
    CURRENCY_FIELDS = {"original_amount": "currency", "original_refund_amount": "currency"}

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "merchant", "type", "external_id"],
                name="conversion_unique_external_id",
            ),
            models.CheckConstraint(
                condition=models.Q(amount__isnull=True) | models.Q(amount__gte=0),
                name="conversion_amount_gte_0",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "day"], name="conversion_tenant_day"),
            models.Index(fields=["tenant", "merchant", "customer_ref"], name="conversion_customer"),
            # the back office's default ordering (-occurred_at, -id)
            models.Index(fields=["tenant", "-occurred_at", "-id"], name="conversion_list"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.external_id}"


class ConversionItem(TenantOwnedModel):
    """One line of an order, with the product type commissions depend on (DESIGN.md rule 10)."""

    conversion = models.ForeignKey(Conversion, on_delete=models.CASCADE, related_name="items")
    sku = models.CharField(max_length=64)
    product = models.ForeignKey(
        "campaigns.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    product_type = models.CharField(max_length=60, blank=True)
    quantity = models.PositiveIntegerField(default=1)
    # the tenant's currency, like its order's amount; ``original_amount`` as the merchant sent it
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    original_amount = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    #: the line's share of the order's refund (all of it once cancelled); its net is
    #: ``amount - refunded_amount``. Written only by ``conversion_status_set`` (issue 22).
    refunded_amount = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount__gte=0), name="conversion_item_amount_gte_0"
            ),
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0)
                & models.Q(refunded_amount__lte=models.F("amount")),
                name="conversion_item_refund_within_line",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sku} x{self.quantity}"


class PlacementDayCounts(TenantScopedModel):
    """The columns of a placement's funnel for one tenant-local day (DESIGN.md rule 3), shared
    by the nightly roll-up and today's provisional one (issue 15): the same SQL fills both."""

    day = models.DateField()
    placement = models.ForeignKey(
        "websites.Placement", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    site = models.ForeignKey(
        "websites.Site", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    valid_clicks = models.PositiveIntegerField(default=0)
    bot_clicks = models.PositiveIntegerField(default=0)
    duplicate_clicks = models.PositiveIntegerField(default=0)
    ip_cap_clicks = models.PositiveIntegerField(default=0)
    self_clicks = models.PositiveIntegerField(default=0)
    blocked_clicks = models.PositiveIntegerField(default=0)
    landings = models.PositiveIntegerField(default=0)
    registrations = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    gmv = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        abstract = True


class PlacementDayStats(PlacementDayCounts):
    """The funnel of one placement on one tenant-local day (DESIGN.md rule 3). Rebuilt by
    ``run_daily`` (upsert on ``tenant, placement, day``)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "placement", "day"], name="placement_day_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "affiliate", "day"], name="placement_day_affiliate"),
            models.Index(fields=["tenant", "day"], name="placement_day_day"),
        ]


class PlacementSubDayCounts(TenantScopedModel):
    """The funnel columns by the webmaster's own ``sub`` tag (nightly and provisional)."""

    day = models.DateField()
    placement = models.ForeignKey(
        "websites.Placement", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    sub = models.CharField(max_length=64, blank=True)
    clicks = models.PositiveIntegerField(default=0)
    valid_clicks = models.PositiveIntegerField(default=0)
    landings = models.PositiveIntegerField(default=0)
    registrations = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class PlacementSubDayStats(PlacementSubDayCounts):
    """The funnel by the webmaster's own ``sub`` tag (``/reports/daily?by=sub``)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "placement", "day", "sub"], name="placement_sub_day_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "affiliate", "day"], name="placement_sub_day_affiliate")
        ]


class CampaignDayCounts(TenantScopedModel):
    """One campaign's delivery and results per product and tenant-local day (nightly and
    provisional)."""

    day = models.DateField()
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    product = models.ForeignKey(
        "campaigns.Product",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,
    )
    impressions = models.PositiveIntegerField(default=0)
    clicks = models.PositiveIntegerField(default=0)
    valid_clicks = models.PositiveIntegerField(default=0)
    registrations = models.PositiveIntegerField(default=0)
    orders = models.PositiveIntegerField(default=0)
    gmv = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    spend = models.DecimalField(max_digits=14, decimal_places=2, default=0)

    class Meta:
        abstract = True


class CampaignDayStats(CampaignDayCounts):
    """One campaign's delivery and results per product and tenant-local day: what budgets,
    performance, tagging, full-site CPC and claims read. ``spend`` is what was charged."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "product", "day"],
                name="campaign_day_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "campaign", "day"], name="campaign_day_campaign"),
            models.Index(fields=["tenant", "product", "day"], name="campaign_day_product"),
        ]


# --- today's provisional roll-up (issue 15; apps/tracking/services/intraday.py) -------------
# Written every few minutes for days the nightly run has not closed, by the nightly roll-up's
# own SQL; the nightly run deletes a day's provisional rows in its transaction. Nothing that
# pays, bills or judges reads them: only the portals' and /reports/daily's "today".


class ProvisionalPlacementDay(PlacementDayCounts):
    """Today's funnel of a placement so far (provisional until the nightly run)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "placement", "day"], name="provisional_placement_day_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "affiliate", "day"], name="provisional_place_affiliate")
        ]


class ProvisionalPlacementSubDay(PlacementSubDayCounts):
    """Today's funnel by ``sub`` tag so far (provisional until the nightly run)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "placement", "day", "sub"], name="provisional_sub_day_unique"
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "affiliate", "day"], name="provisional_sub_affiliate")
        ]


class ProvisionalCampaignDay(CampaignDayCounts):
    """Today's delivery, results and spend of a campaign so far (provisional)."""

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "product", "day"],
                name="provisional_campaign_day_unique",
                nulls_distinct=False,
            )
        ]
        indexes = [
            models.Index(fields=["tenant", "merchant", "day"], name="provisional_camp_merchant")
        ]


class ProvisionalRun(TenantOwnedModel):
    """When a day's provisional roll-up was last counted (one row per tenant-day), and what
    it counted; the pages say "as of" this time."""

    day = models.DateField()
    counted_at = models.DateTimeField()
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="provisional_run_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.day}: counted at {self.counted_at:%H:%M}"


class DailyRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class DailyRun(TenantOwnedModel):
    """One tenant-local day's pipeline run (progress and the last result), one row per day."""

    day = models.DateField()
    status = models.CharField(max_length=12, choices=DailyRunStatus)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    step = models.CharField(max_length=60, blank=True)
    counts = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-day"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "day"], name="daily_run_unique_day")
        ]

    def __str__(self) -> str:
        return f"{self.day}: {self.status}"


class Coupon(TenantOwnedModel):
    """A merchant's coupon code assigned to one webmaster (optionally one of its placements):
    an order carrying it and no usable click is that webmaster's (API.md v1.1 ``/coupons``).
    Codes compare case-insensitively; a deleted coupon (``deleted_at``) attributes nothing
    and frees its code, but stays for the conversions it attributed."""

    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="coupons"
    )
    code = models.CharField(max_length=64)
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="coupons"
    )
    placement = models.ForeignKey(
        "websites.Placement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(
                "tenant",
                "merchant",
                Upper("code"),
                condition=models.Q(deleted_at__isnull=True),
                name="coupon_code_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(valid_to__isnull=True)
                | models.Q(valid_to__gte=models.F("valid_from")),
                name="coupon_valid_to_after_from",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class TrackingKeyKind(models.TextChoices):
    POSTBACK = "postback", "Server-to-server postback key (secret)"
    PIXEL = "pixel", "Thank-you-page pixel token (public)"


class MerchantTrackingKey(TenantOwnedModel):
    """The credentials of the conversion channels without JSON (issue 16):

    - ``postback``: the ``key`` of ``/postback?key=...``, a secret that works there and
      nowhere else (not as a Bearer key); shown once, only its SHA-256 is kept;
    - ``pixel``: the ``token`` of ``/px/conv?token=...``: it sits in the merchant's
      thank-you page, so it is public by design (kept readable in ``public_token`` so the
      portal can show the snippet again); it names the merchant, it proves nothing.
    Both are rotated by issuing a new one and revoking the old (``revoked_at``)."""

    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.CASCADE, related_name="tracking_keys"
    )
    kind = models.CharField(max_length=10, choices=TrackingKeyKind)
    token_hash = models.CharField(max_length=64)
    hint = models.CharField(max_length=12, help_text="The first characters, to tell keys apart.")
    public_token = models.CharField(max_length=64, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "token_hash"], name="tracking_key_unique"),
            models.CheckConstraint(
                condition=models.Q(kind="pixel") | models.Q(public_token=""),
                name="tracking_key_only_pixel_tokens_readable",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.hint}…"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class BlockKind(models.TextChoices):
    IP_RANGE = "ip_range", "IP address or range"
    USER_AGENT = "user_agent", "User agent containing"


class BlockRule(TenantOwnedModel):
    """One entry of the network's block list (issue 14), added by risk staff from the risk desk.
    From the next ``run_daily`` on, a click from the range (``203.0.113.0/24``, or one address)
    or whose user agent contains ``value`` (case-insensitively) gets the verdict ``blocked``
    (first match after ``bot``) and is not paid. Rules are switched off, never deleted, so a
    past verdict can always be explained."""

    kind = models.CharField(max_length=12, choices=BlockKind)
    value = models.CharField(max_length=200)
    reason = models.CharField(max_length=300)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "block list entry"
        verbose_name_plural = "block list"
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "value"],
                condition=models.Q(is_active=True),
                name="block_rule_active_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class CampaignSpend(TenantScopedModel):
    """Provisional spend of one campaign on one tenant-local day, kept as it happens so a
    spent budget stops serving at once (docs/click-path.md "Budgets"). Rendered CPM
    impressions add price_cpm / 1000 and CPC clicks their cpc_price, each in the same
    statement as the event's own write. ``slot`` spreads one campaign's updates over several
    rows (one per worker process, by pid) so concurrent workers never queue on one row lock;
    the day's spend is the sum over slots. Only gates serving: run_daily stays the truth."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    slot = models.PositiveSmallIntegerField(default=0)
    amount = models.DecimalField(max_digits=18, decimal_places=7, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "day", "slot"], name="campaign_spend_unique"
            )
        ]
        indexes = [models.Index(fields=["tenant", "day"], name="campaign_spend_tenant_day")]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day} #{self.slot}: {self.amount}"


class BudgetExhaustion(TenantScopedModel):
    """A campaign reached its daily budget on a tenant-local day: the row makes the
    ``campaign.budget_exhausted`` event happen once per campaign and day."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()
    spend = models.DecimalField(max_digits=18, decimal_places=7)
    daily_budget = models.DecimalField(max_digits=14, decimal_places=2)
    noticed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "campaign", "day"], name="budget_exhaustion_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.day}"


class RawEventRetention(TenantOwnedModel):
    """How far a tenant's raw clicks and impressions have been removed (issue 19; one row per
    tenant): every raw row of a tenant-local day before ``purged_before`` is gone. The
    roll-ups of those days stand, and ``run_daily`` refuses to rebuild them from nothing."""

    purged_before = models.DateField()
    purged_at = models.DateTimeField()
    counts = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="raw_event_retention_unique_tenant")
        ]

    def __str__(self) -> str:
        return f"raw events before {self.purged_before} removed"
