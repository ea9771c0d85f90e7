"""The money: commission rules and records, daily earnings, the ledger, rebates, statements.

How the pieces add up (DESIGN.md rules 1, 9, 10; issue 5):
- ``CommissionRule`` rows say what a registration or an order line pays; resolution picks the
  most specific matching rule (API.md "commission_rules").
- ``Commission`` is one computed payout per attributed conversion (per order line for percent
  rules). It keeps the rule, rate type and rate it was computed with, so later rule edits never
  change past money. pending → approved → settled; reversed before settlement; a refund after
  settlement becomes a clawback line on the next statement.
- ``DailyEarning`` is rule 1 per placement and tenant-local day: click income, guarantee
  top-up (contract days only), and that day's registration/order commissions, for reporting.
  Statements pay the contract part (click income + top-up) from ``DailyEarning`` lines and
  conversion fees from approved ``Commission`` lines, so nothing is paid twice.
- The ledger is double-entry: a ``LedgerTransaction`` has ``LedgerEntry`` legs that sum to
  zero (checked by the database); rows are never updated or deleted (corrections reverse).
  Balances are sums of legs.
- ``Statement`` per webmaster and month, with ``StatementLine`` rows; approved statements are
  immutable; four eyes on approval.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.affiliates.models import Affiliate, AffiliateKind
from apps.campaigns.models import MerchantTier
from apps.core import display
from apps.core.models import TenantOwnedModel, TenantScopedModel
from apps.tenants.models import currency_validator
from apps.tracking.models import ConversionType, ReversalReason

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
RATE: dict[str, Any] = {"max_digits": 14, "decimal_places": 4}


class RuleCustomerType(models.TextChoices):
    NEW = "new", "New customer"
    RETURNING = "returning", "Returning customer"
    ANY = "any", "Any customer"


class RateType(models.TextChoices):
    FIXED = "fixed", "Fixed amount"
    PERCENT = "percent", "Percent of the line amount"


class CommissionRule(TenantOwnedModel):
    """What a conversion pays. Blank ``merchant``/``affiliate``/``affiliate_kind``/
    ``product_type`` and ``customer_type="any"`` mean "any". A percent ``value`` of 5 is 5%."""

    event = models.CharField(max_length=20, choices=ConversionType.choices)
    merchant = models.ForeignKey(
        "campaigns.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    affiliate_kind = models.CharField(max_length=20, choices=AffiliateKind.choices, blank=True)
    customer_type = models.CharField(
        max_length=12, choices=RuleCustomerType, default=RuleCustomerType.ANY
    )
    product_type = models.CharField(max_length=60, blank=True)
    rate_type = models.CharField(max_length=10, choices=RateType)
    value = models.DecimalField(**RATE, validators=[MinValueValidator(Decimal("0"))])
    priority = models.IntegerField(default=0)
    valid_from = models.DateField()
    valid_to = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["event", "-priority", "-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="rule_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=~Q(rate_type="percent") | Q(value__lte=100),
                name="rule_percent_at_most_100",
            ),
            models.CheckConstraint(condition=Q(value__gte=0), name="rule_value_gte_0"),
        ]
        indexes = [models.Index(fields=["tenant", "event", "is_active"])]

    def __str__(self) -> str:
        unit = "%" if self.rate_type == RateType.PERCENT else ""
        return f"{self.get_event_display()} {self.value}{unit} (priority {self.priority})"


class CommissionStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    SETTLED = "settled", "Settled"
    REVERSED = "reversed", "Reversed"


class CommissionSource(models.TextChoices):
    CONVERSION = "conversion", "Tracked conversion"
    DISPUTE = "dispute", "Accepted dispute"


class Commission(TenantOwnedModel):
    """One payout for one conversion (or order line), frozen at computation time.
    ``status`` moves only through ``apps.commissions.services`` (one transition function).

    Refunds (``services.orders``): before settlement ``reversed_amount`` grows and a full
    reversal makes the status ``reversed``. A *settled* commission refunded later keeps
    ``settled_at`` and gets ``reversed_amount > 0``: status ``reversed`` when full, still
    ``settled`` when partial. The next statement claws back ``reversed_amount`` of such rows
    (``settled_at__isnull=False, reversed_amount__gt=0``) once, as a clawback line."""

    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="commissions"
    )
    merchant = models.ForeignKey("campaigns.Merchant", on_delete=models.PROTECT, related_name="+")
    placement = models.ForeignKey(
        "websites.Placement", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    conversion = models.ForeignKey(
        "tracking.Conversion",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="commissions",
    )
    conversion_item = models.ForeignKey(
        "tracking.ConversionItem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    source = models.CharField(
        max_length=12, choices=CommissionSource, default=CommissionSource.CONVERSION
    )
    # The dispute's id or the order reference, for commissions that did not come from tracking.
    source_reference = models.CharField(max_length=100, blank=True)
    # For dispute commissions: the merchant's order reference the webmaster reported.
    order_reference = models.CharField(max_length=100, blank=True)
    event = models.CharField(max_length=20, choices=ConversionType.choices)
    day = models.DateField(help_text="Tenant-local day of the conversion.")
    customer_type = models.CharField(max_length=12, blank=True)
    product_type = models.CharField(max_length=60, blank=True)
    rule = models.ForeignKey(
        CommissionRule, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    rate_type = models.CharField(max_length=10, choices=RateType)
    rate_value = models.DecimalField(**RATE)
    base_amount = models.DecimalField(**MONEY, null=True, blank=True)
    amount = models.DecimalField(**MONEY)
    status = models.CharField(
        max_length=12, choices=CommissionStatus, default=CommissionStatus.PENDING
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    settled_at = models.DateTimeField(null=True, blank=True)
    reversed_at = models.DateTimeField(null=True, blank=True)
    reversal_reason = models.CharField(max_length=12, choices=ReversalReason.choices, blank=True)
    # Partial refunds reverse part of the amount; the net payout is amount - reversed_amount.
    reversed_amount = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["-day", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "conversion", "conversion_item"],
                condition=Q(source="conversion"),
                nulls_distinct=False,
                name="commission_once_per_conversion_line",
            ),
            models.UniqueConstraint(
                fields=["tenant", "source_reference"],
                condition=Q(source="dispute"),
                name="commission_once_per_dispute",
            ),
            models.CheckConstraint(
                condition=Q(reversed_amount__gte=0) & Q(reversed_amount__lte=F("amount")),
                name="commission_reversed_within_amount",
            ),
            models.CheckConstraint(condition=Q(amount__gte=0), name="commission_amount_gte_0"),
        ]
        indexes = [
            models.Index(fields=["tenant", "affiliate", "status"], name="commission_aff_status"),
            models.Index(fields=["tenant", "placement", "day"], name="commission_placement_day"),
            models.Index(fields=["tenant", "status", "day"], name="commission_status_day"),
            models.Index(fields=["tenant", "-day", "-id"], name="commission_list"),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.amount} ({self.get_status_display()})"


class DailyEarning(TenantOwnedModel):
    """DESIGN.md rule 1 for one placement and tenant-local day, rebuilt by the daily pipeline
    (upsert on ``tenant, placement, day``): ``total = click_income + guarantee_topup +
    registration_commission + order_commission``."""

    day = models.DateField()
    placement = models.ForeignKey("websites.Placement", on_delete=models.PROTECT, related_name="+")
    site = models.ForeignKey("websites.Site", on_delete=models.PROTECT, related_name="+")
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="daily_earnings"
    )
    contract = models.ForeignKey(
        "websites.Contract", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    valid_clicks = models.PositiveIntegerField(default=0)
    click_rate = models.DecimalField(**RATE, default=Decimal("0"))
    daily_guarantee = models.DecimalField(**MONEY, null=True, blank=True)
    click_income = models.DecimalField(**MONEY, default=Decimal("0.00"))
    guarantee_topup = models.DecimalField(**MONEY, default=Decimal("0.00"))
    registrations = models.PositiveIntegerField(default=0)
    registration_commission = models.DecimalField(**MONEY, default=Decimal("0.00"))
    orders = models.PositiveIntegerField(default=0)
    order_commission = models.DecimalField(**MONEY, default=Decimal("0.00"))
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["-day", "placement"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "placement", "day"], name="daily_earning_unique"
            ),
            models.CheckConstraint(
                condition=Q(
                    total=F("click_income")
                    + F("guarantee_topup")
                    + F("registration_commission")
                    + F("order_commission")
                ),
                name="daily_earning_total_is_sum",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "affiliate", "day"], name="daily_earning_aff_day"),
            # the back office's default ordering (-day, placement): no sort of the whole tenant
            models.Index(fields=["tenant", "-day", "placement"], name="daily_earning_list"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.placement_id}: {self.total}"


class AccountKind(models.TextChoices):
    WEBMASTER_PAYABLE = "webmaster_payable", "Webmaster payable"
    # Accrued commissions still in the lock period (approval moves them to payable).
    WEBMASTER_PENDING = "webmaster_pending", "Webmaster pending (not yet approved)"
    MERCHANT_BALANCE = "merchant_balance", "Merchant balance"
    # What a merchant owes on approved invoices for CPS commissions and the fee (apps.billing).
    MERCHANT_RECEIVABLE = "merchant_receivable", "Merchant receivable (invoiced)"
    NETWORK_REVENUE = "network_revenue", "Network revenue"
    NETWORK_FEE_REVENUE = "network_fee_revenue", "Network fee revenue"
    NETWORK_COST = "network_cost", "Network costs"
    NETWORK_CASH = "network_cash", "Network cash (payouts and deposits)"
    # Issue 17 (docs/currency.md): one per currency; an exchange posts a leg in each currency
    # through it, so every currency's legs of a transaction sum to zero.
    FX_CLEARING = "fx_clearing", "FX clearing (exchange between currencies)"
    # Income tax withheld from webmasters' statements, owed to the tax office (issue 17).
    TAX_PAYABLE = "tax_payable", "Income tax withheld (payable)"


class LedgerAccount(TenantOwnedModel):
    """An account of the tenant, or of one webmaster or merchant in it, in one currency (the
    tenant's unless it is a cash or FX clearing account of another; issue 17). The database
    checks that a transaction's legs sum to zero in each currency (migration 0010)."""

    kind = models.CharField(max_length=24, choices=AccountKind)
    currency = models.CharField(max_length=3, validators=[currency_validator])
    affiliate = models.ForeignKey(
        "affiliates.Affiliate", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    merchant = models.ForeignKey(
        "campaigns.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["kind"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "kind", "affiliate", "merchant", "currency"],
                nulls_distinct=False,
                name="ledger_account_unique",
            ),
            models.CheckConstraint(condition=~Q(currency=""), name="ledger_account_currency"),
        ]

    def __str__(self) -> str:
        party = self.affiliate_id or self.merchant_id or "network"
        return f"{self.get_kind_display()} ({party}, {self.currency})"


class LedgerTransaction(TenantOwnedModel):
    """One money movement. ``idempotency_key`` makes posting the same business event twice
    impossible (e.g. ``commission:123:approved``)."""

    kind = models.CharField(max_length=40)
    memo = models.CharField(max_length=300, blank=True)
    idempotency_key = models.CharField(max_length=160)
    occurred_on = models.DateField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"], name="ledger_transaction_idempotent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.idempotency_key}"


class LedgerEntry(TenantScopedModel):
    """One leg: a signed amount on one account (credit to a payable/balance is positive)."""

    id = models.BigAutoField(primary_key=True)
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.ForeignKey(LedgerAccount, on_delete=models.PROTECT, related_name="entries")
    amount = models.DecimalField(**MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "ledger entries"
        indexes = [models.Index(fields=["tenant", "account"], name="ledger_entry_account")]

    def __str__(self) -> str:
        return f"{self.account_id}: {self.amount}"


#: seed 001: "up to 3.8% brand, 3% high-potential, 2.5% small and medium" (issue 21)
RATE_CAPS = {
    MerchantTier.BRAND: Decimal("0.0380"),
    MerchantTier.HIGH_POTENTIAL: Decimal("0.0300"),
    MerchantTier.SMB: Decimal("0.0250"),
}


class RebateTier(TenantOwnedModel):
    """DESIGN.md rule 9: a bracket of a merchant tier's monthly spend, from
    ``monthly_spend_from`` to the next bracket, earns ``rate`` (0.0380 = 3.8%) on the spend
    within it (marginal brackets, ``services.rebates``); capped per tier (``RATE_CAPS``)."""

    merchant_tier = models.CharField(max_length=20, choices=MerchantTier.choices)
    monthly_spend_from = models.DecimalField(**MONEY, validators=[MinValueValidator(0)])
    rate = models.DecimalField(
        max_digits=6,
        decimal_places=4,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))],
    )

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["merchant_tier", "monthly_spend_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "merchant_tier", "monthly_spend_from"], name="rebate_tier_unique"
            ),
            models.CheckConstraint(
                condition=Q(merchant_tier="brand", rate__lte=RATE_CAPS[MerchantTier.BRAND])
                | Q(
                    merchant_tier="high_potential",
                    rate__lte=RATE_CAPS[MerchantTier.HIGH_POTENTIAL],
                )
                | Q(merchant_tier="smb", rate__lte=RATE_CAPS[MerchantTier.SMB]),
                name="rebate_tier_rate_within_cap",
                violation_error_message="A rebate rate is at most 3.8% for brand, 3% for "
                "high-potential and 2.5% for small and medium merchants (seed 001).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.merchant_tier} from {self.monthly_spend_from}: {self.rate:%}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        cap = RATE_CAPS.get(self.merchant_tier)
        if cap is not None and self.rate is not None and self.rate > cap:
            raise ValidationError(
                {
                    "rate": f"At most {cap:.1%} for {self.get_merchant_tier_display()} "
                    "merchants (seed 001's maximum)."
                }
            )


class MerchantRebate(TenantOwnedModel):
    """A month's rebate credited to a merchant (once per merchant and period)."""

    merchant = models.ForeignKey("campaigns.Merchant", on_delete=models.PROTECT, related_name="+")
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    spend = models.DecimalField(**MONEY)
    rate = models.DecimalField(max_digits=6, decimal_places=4)
    amount = models.DecimalField(**MONEY)
    transaction = models.ForeignKey(
        LedgerTransaction, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "merchant", "period"], name="merchant_rebate_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.merchant_id} {self.period}: {self.amount}"


class StatementStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"


class Statement(TenantOwnedModel):
    """A webmaster's settlement for one month. ``gross = opening_balance + sum(lines)``;
    ``total = gross - tax_withheld`` is what is paid (issue 17: income tax withheld from an
    individual, by the tenant's rule; ``statement_totals`` is the one rule). Below the tenant's
    minimum payout, or negative, the gross carries over to the next period
    (``carried_forward``), and nothing is withheld until it is paid. A webmaster paid in
    another currency gets ``payout_amount`` in ``payout_currency`` at ``payout_rate``, frozen
    on approval. ``status`` moves only through the statement transition service;
    approval needs four eyes (not the submitter, not the last adjuster)."""

    affiliate = models.ForeignKey(
        "affiliates.Affiliate", on_delete=models.PROTECT, related_name="statements"
    )
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=12, choices=StatementStatus, default=StatementStatus.DRAFT)
    opening_balance = models.DecimalField(**MONEY, default=Decimal("0.00"))
    lines_total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    tax_withheld = models.DecimalField(**MONEY, default=Decimal("0.00"))
    #: the withholding rule the tax was worked out by ("" or "off": none)
    withholding_rule = models.CharField(max_length=12, blank=True)
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    carried_forward = models.BooleanField(default=False)
    payout_currency = models.CharField(max_length=3, blank=True)
    payout_rate = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    payout_amount = models.DecimalField(**MONEY, null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    last_adjusted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    payout_reference = models.CharField(max_length=120, blank=True)
    returned_reason = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-period", "affiliate"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "affiliate", "period"], name="statement_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(total=F("opening_balance") + F("lines_total") - F("tax_withheld")),
                name="statement_total_is_opening_plus_lines_less_tax",
            ),
            models.CheckConstraint(condition=Q(tax_withheld__gte=0), name="statement_tax_gte_0"),
        ]
        indexes = [models.Index(fields=["tenant", "status", "period"], name="statement_status")]

    CURRENCY_FIELDS = {"payout_amount": "payout_currency"}

    @property
    def gross(self) -> Decimal:
        return self.opening_balance + self.lines_total

    def __str__(self) -> str:
        """Named for people (issue 14): "November 2026 · Publisher 03 · 14,000.00 CNY"."""
        return " · ".join(
            (
                display.format_period(self.period),
                self.affiliate.name,
                display.format_money(self.total),
            )
        )


class StatementLineKind(models.TextChoices):
    EARNING = "earning", "Daily earnings (clicks and guarantee)"
    COMMISSION = "commission", "Commission"
    CLAWBACK = "clawback", "Clawback of a settled commission"
    ADJUSTMENT = "adjustment", "Manual adjustment"
    BONUS = "bonus", "Performance bonus (tier reached)"


class BonusTier(TenantOwnedModel):
    """A monthly performance bonus for webmasters (issue 17, docs/currency.md): a webmaster
    whose month's GMV reaches ``gmv_from`` earns ``percent`` of that month's commissions, or
    ``fixed_amount``. Tiers without a merchant are the network's (all of a webmaster's GMV and
    commissions); a merchant's tiers count that merchant's only. Of each scheme the highest
    tier reached pays, as its own statement line (``statement_lines_wanted``)."""

    merchant = models.ForeignKey(
        "campaigns.Merchant", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    gmv_from = models.DecimalField(
        **MONEY,
        validators=[MinValueValidator(Decimal("0.01"))],
        verbose_name="monthly GMV from",
    )
    percent = models.DecimalField(
        max_digits=7,
        decimal_places=4,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
        help_text="Percent of the month's commissions (1 = 1 %); or give a fixed amount.",
    )
    fixed_amount = models.DecimalField(
        **MONEY, null=True, blank=True, validators=[MinValueValidator(Decimal("0.01"))]
    )
    is_active = models.BooleanField(default=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "bonus tier"
        ordering = ["merchant", "gmv_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "merchant", "gmv_from"],
                nulls_distinct=False,
                name="bonus_tier_unique",
            ),
            models.CheckConstraint(
                condition=(Q(percent__isnull=False) & Q(fixed_amount__isnull=True))
                | (Q(percent__isnull=True) & Q(fixed_amount__isnull=False)),
                name="bonus_tier_percent_or_fixed",
            ),
            models.CheckConstraint(condition=Q(gmv_from__gt=0), name="bonus_tier_gmv_gt_0"),
        ]

    def __str__(self) -> str:
        prize = (
            f"{self.percent}% of commissions"
            if self.percent is not None
            else (display.format_money(self.fixed_amount))
        )
        return f"GMV from {display.format_money(self.gmv_from)}: {prize}"


class StatementLine(TenantOwnedModel):
    statement = models.ForeignKey(Statement, on_delete=models.PROTECT, related_name="lines")
    kind = models.CharField(max_length=12, choices=StatementLineKind)
    description = models.CharField(max_length=300)
    day = models.DateField(null=True, blank=True)
    amount = models.DecimalField(**MONEY)
    earning = models.ForeignKey(
        DailyEarning, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    commission = models.ForeignKey(
        Commission, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    #: the tier a bonus line pays (issue 17)
    bonus_tier = models.ForeignKey(
        BonusTier, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.CharField(max_length=500, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["day", "id"]
        constraints = [
            # A day's earnings, a commission and its clawback are each paid at most once.
            models.UniqueConstraint(
                fields=["tenant", "earning"],
                condition=Q(earning__isnull=False),
                name="statement_line_earning_once",
            ),
            models.UniqueConstraint(
                fields=["tenant", "commission", "kind"],
                condition=Q(commission__isnull=False),
                name="statement_line_commission_once",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | ~Q(reason=""),
                name="statement_adjustment_has_reason",
            ),
            models.UniqueConstraint(
                fields=["tenant", "statement", "bonus_tier"],
                condition=Q(bonus_tier__isnull=False),
                name="statement_line_bonus_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.amount}"


class WebmasterPaymentHold(Affiliate):
    """Webmasters seen by risk staff for payment holds (issue 5): no table of its own; the hold
    is set and lifted through ``apps.affiliates.services.affiliate_payment_hold_set``."""

    class Meta:
        proxy = True
        verbose_name = "payment hold"
        verbose_name_plural = "payment holds"


class ReconcileRun(TenantOwnedModel):
    """The last reconciliation of one period (``manage.py reconcile`` or the nightly task):
    how many differences it found and each one, for the finance page."""

    period = models.CharField(max_length=7)
    ran_at = models.DateTimeField()
    differences = models.PositiveIntegerField(default=0)
    report = models.TextField(blank=True, help_text="one difference a line")
    checks = models.JSONField(default=list, help_text="the checks that ran, in order")

    class Meta:
        ordering = ["-period"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "period"], name="reconcile_run_one_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"reconcile {self.period}: {self.differences} differences"
