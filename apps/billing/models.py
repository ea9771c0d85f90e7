"""Merchant billing (issue 21, docs/billing.md): what each merchant owes the network a month.

- ``MerchantInvoice``: one merchant's month. ``total = commissions_total + fee_total +
  spend_total - rebate_total - credit_total`` (a database check): the approved CPS commissions
  not billed before (and corrections of ones billed before), the network's fee on them, the
  CPC/CPM spend run_daily charged, less the month's rebate and approved claim credits.
  draft → submitted → approved → paid, or submitted → draft with a reason; four eyes on
  approval; approved and paid invoices never change (``status`` moves only through
  ``apps.billing.services.invoices.invoice_transition``).
- ``MerchantInvoiceLine``: the printed lines (per event, per campaign, per claim).
- ``InvoicedCommission``: which commission an invoice billed and for how much, so no
  commission is billed twice and a refund after billing is credited once on the next invoice.
- ``MerchantDeposit``: prepaid money finance received from a merchant.
- ``MerchantBillingTerms``: a merchant's own fee, instead of the tenant's.
"""

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.core.models import TenantOwnedModel

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 7, "decimal_places": 4}


class MerchantBillingTerms(TenantOwnedModel):
    """A merchant's own billing terms; without a row the tenant's apply."""

    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="billing_terms"
    )
    fee_percent = models.DecimalField(
        **PERCENT,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
        help_text="The network's fee on this merchant's CPS commissions in percent (20 = 20%); "
        "empty: the network's default.",
    )
    note = models.CharField(max_length=300, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "merchant billing terms"
        verbose_name_plural = "merchant billing terms"
        constraints = [
            models.UniqueConstraint(fields=["tenant", "merchant"], name="billing_terms_unique"),
            models.CheckConstraint(
                condition=Q(fee_percent__isnull=True) | Q(fee_percent__gte=0),
                name="billing_terms_fee_gte_0",
            ),
        ]

    def __str__(self) -> str:
        return f"Billing terms of merchant #{self.merchant_id}"


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for approval"
    APPROVED = "approved", "Approved"
    PAID = "paid", "Paid"


class MerchantInvoice(TenantOwnedModel):
    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="invoices"
    )
    period = models.CharField(max_length=7, help_text="YYYY-MM")
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=12, choices=InvoiceStatus, default=InvoiceStatus.DRAFT)
    #: the fee rate the invoice was computed with (percent), frozen on the invoice
    fee_percent = models.DecimalField(**PERCENT, default=Decimal("0"))
    commissions_total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    fee_total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    spend_total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    rebate_total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    credit_total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    total = models.DecimalField(**MONEY, default=Decimal("0.00"))
    # Issue 17 (docs/currency.md): a merchant billed in another currency than the network's
    # owes ``total_in_currency`` in ``currency``: the total at the rate of the month's last
    # day, frozen on approval. Blank currency: the network's.
    currency = models.CharField(max_length=3, blank=True)
    fx_rate = models.DecimalField(max_digits=20, decimal_places=8, null=True, blank=True)
    total_in_currency = models.DecimalField(**MONEY, null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    paid_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    paid_at = models.DateTimeField(null=True, blank=True)
    payment_reference = models.CharField(max_length=120, blank=True)
    returned_reason = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-period", "merchant"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "merchant", "period"], name="merchant_invoice_unique_period"
            ),
            models.CheckConstraint(
                condition=Q(
                    total=F("commissions_total")
                    + F("fee_total")
                    + F("spend_total")
                    - F("rebate_total")
                    - F("credit_total")
                ),
                name="merchant_invoice_total_is_sum",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "status", "period"], name="merchant_invoice_status")
        ]

    CURRENCY_FIELDS = {"total_in_currency": "currency"}

    def __str__(self) -> str:
        return f"Invoice {self.number}"

    @property
    def number(self) -> str:
        return f"{self.period}-{self.pk:05d}" if self.pk else self.period


class InvoiceLineKind(models.TextChoices):
    COMMISSION = "commission", "CPS commissions"
    CORRECTION = "correction", "Refunds of commissions billed before"
    FEE = "fee", "Network fee"
    SPEND = "spend", "CPC/CPM spend"
    REBATE = "rebate", "Rebate"
    CLAIM_CREDIT = "claim_credit", "Compensation credit"


class MerchantInvoiceLine(TenantOwnedModel):
    invoice = models.ForeignKey(MerchantInvoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=16, choices=InvoiceLineKind)
    description = models.CharField(max_length=300)
    quantity = models.PositiveIntegerField(default=0)
    #: signed: rebates and credits are negative
    amount = models.DecimalField(**MONEY)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    claim = models.ForeignKey(
        "disputes.Claim", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"{self.description}: {self.amount}"


class InvoicedCommission(TenantOwnedModel):
    """One commission billed on one invoice, for ``amount`` (its net then, or the correction
    of a later refund). The sum over a commission's rows is what the merchant has been billed
    for it."""

    invoice = models.ForeignKey(
        MerchantInvoice, on_delete=models.CASCADE, related_name="commission_links"
    )
    commission = models.ForeignKey(
        "commissions.Commission", on_delete=models.PROTECT, related_name="+"
    )
    amount = models.DecimalField(**MONEY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "invoice", "commission"], name="invoiced_commission_once"
            )
        ]
        indexes = [models.Index(fields=["tenant", "commission"], name="invoiced_commission")]

    def __str__(self) -> str:
        return f"commission {self.commission_id} on invoice {self.invoice_id}: {self.amount}"


class MerchantDeposit(TenantOwnedModel):
    """Prepaid money received from a merchant, recorded by finance (ledger ``deposit:<id>``)."""

    merchant = models.ForeignKey(
        "campaigns.Merchant", on_delete=models.PROTECT, related_name="deposits"
    )
    amount = models.DecimalField(**MONEY, validators=[MinValueValidator(Decimal("0.01"))])
    received_on = models.DateField()
    reference = models.CharField(max_length=120, help_text="The bank's transfer reference.")
    note = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ledger_transaction = models.ForeignKey(
        "commissions.LedgerTransaction",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        ordering = ["-received_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "merchant", "reference"], name="merchant_deposit_reference"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="merchant_deposit_gt_0"),
        ]

    def __str__(self) -> str:
        return f"Deposit {self.reference}: {self.amount}"
