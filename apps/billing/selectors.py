"""Reads of billing: prepaid positions and the network's monthly P&L (docs/billing.md)."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db.models import F, Sum

from apps.billing.models import InvoicedCommission, InvoiceStatus, MerchantInvoice
from apps.campaigns.models import Merchant
from apps.commissions.models import (
    AccountKind,
    Commission,
    CommissionStatus,
    DailyEarning,
    LedgerEntry,
    MerchantRebate,
    StatementLine,
    StatementLineKind,
    StatementStatus,
)
from apps.core.money import ZERO, quantize_money
from apps.tenants.clock import period_bounds
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats

HUNDRED = Decimal(100)


# --- prepaid ------------------------------------------------------------------------------


@dataclass(frozen=True)
class PrepaidPosition:
    """A merchant's money with the network. ``balance`` is its ledger account (deposits,
    rebates and credits less spend and CPS charges paid from it), ``receivable`` what approved
    invoices still ask of it (negative = owed), ``unbilled`` the CPS commissions (pending or
    approved, on no invoice yet) with the fee: money already committed. ``available =
    balance + receivable - unbilled``."""

    merchant_id: int
    balance: Decimal
    receivable: Decimal
    unbilled: Decimal

    @property
    def available(self) -> Decimal:
        return self.balance + self.receivable - self.unbilled


def merchant_prepaid_positions(
    *, merchant_ids: list[int] | None = None
) -> dict[int, PrepaidPosition]:
    """Every (or the given) merchant's ``PrepaidPosition``, in three grouped queries."""
    tenant = current_tenant()
    merchants = Merchant.objects.all()
    if merchant_ids is not None:
        merchants = merchants.filter(pk__in=merchant_ids)
    ids = list(merchants.values_list("pk", flat=True))
    sums: dict[tuple[int, str], Decimal] = {}
    for merchant_id, kind, total in (
        LedgerEntry.objects.filter(
            account__merchant_id__in=ids,
            account__kind__in=[AccountKind.MERCHANT_BALANCE, AccountKind.MERCHANT_RECEIVABLE],
        )
        .values("account__merchant_id", "account__kind")
        .annotate(total=Sum("amount"))
        .values_list("account__merchant_id", "account__kind", "total")
    ):
        sums[(merchant_id, kind)] = total or ZERO
    billed = InvoicedCommission.objects.values("commission_id")
    unbilled = dict(
        Commission.objects.filter(merchant_id__in=ids)
        .exclude(status=CommissionStatus.REVERSED)
        .exclude(pk__in=billed)
        .values("merchant_id")
        .annotate(total=Sum(F("amount") - F("reversed_amount")))
        .values_list("merchant_id", "total")
    )
    from apps.billing.models import MerchantBillingTerms

    # fee_percent is not null in these rows: a Decimal each
    rates = cast(
        "dict[int, Decimal]",
        dict(
            MerchantBillingTerms.objects.filter(
                merchant_id__in=ids, fee_percent__isnull=False
            ).values_list("merchant_id", "fee_percent")
        ),
    )
    out = {}
    for merchant_id in ids:
        committed = unbilled.get(merchant_id) or ZERO
        rate = rates.get(merchant_id, tenant.network_fee_percent)
        out[merchant_id] = PrepaidPosition(
            merchant_id=merchant_id,
            balance=sums.get((merchant_id, AccountKind.MERCHANT_BALANCE), ZERO),
            receivable=sums.get((merchant_id, AccountKind.MERCHANT_RECEIVABLE), ZERO),
            unbilled=quantize_money(committed + committed * rate / HUNDRED),
        )
    return out


def drafts_changed_by_fee(*, merchant: Merchant, fee_percent: Decimal | None) -> list[Any]:
    """The merchant's draft invoices whose fee would change if its own fee became
    ``fee_percent`` (``None``: the tenant's ``network_fee_percent``): drafts with commissions
    computed at another rate. Submitted and final invoices keep their frozen fee."""
    rate = fee_percent if fee_percent is not None else current_tenant().network_fee_percent
    return list(
        MerchantInvoice.objects.filter(merchant=merchant, status=InvoiceStatus.DRAFT)
        .exclude(commissions_total=0)
        .exclude(fee_percent=rate)
        .order_by("period")
    )


# --- the monthly P&L ----------------------------------------------------------------------

#: (key, label, sign in the net): billings add, costs subtract
PNL_LINES: list[tuple[str, str, int]] = [
    ("spend", "CPC/CPM spend billed", 1),
    ("cps_billed", "CPS commissions billed (approved invoices)", 1),
    ("fees", "Network fee (approved invoices)", 1),
    ("commissions", "Webmaster commissions accrued", -1),
    ("reversals", "Less commissions reversed (refunds, cancellations)", 1),
    ("click_income", "Webmaster click income", -1),
    ("topups", "Guarantee top-ups", -1),
    ("rebates", "Merchant rebates", -1),
    ("credits", "Compensation claim credits", -1),
    # issue 17: bonus tiers paid on approved statements (posted dated the period's last day)
    ("bonuses", "Webmaster bonus tiers (approved statements)", -1),
    ("other", "Other ledger postings on network accounts", 1),
]
BILLINGS = ("spend", "cps_billed", "fees")
SIGN = {key: sign for key, _, sign in PNL_LINES}
#: one ledger posting per placement-day carries click income and top-up together
CONTRACT = "click_income+topups"
PAYOUTS = ("commissions", "reversals", "click_income")

#: ledger transaction kind → P&L line (legs on network revenue, fee revenue and cost)
LEDGER_KIND_LINE = {
    "spend": "spend",
    "commission_accrued": "commissions",
    "commission_reversed": "reversals",
    "rebate": "rebates",
    "compensation_credit": "credits",
    "statement_bonus": "bonuses",
}
NETWORK_PNL_ACCOUNTS = [
    AccountKind.NETWORK_REVENUE,
    AccountKind.NETWORK_FEE_REVENUE,
    AccountKind.NETWORK_COST,
]


@dataclass
class Pnl:
    """One month of the network's P&L, each line as a positive amount (``PNL_LINES`` give the
    sign), from the business records (``lines``) and from the ledger (``ledger``)."""

    period: str
    lines: dict[str, Decimal] = field(default_factory=dict)
    ledger: dict[str, Decimal] = field(default_factory=dict)
    unbilled_cps: Decimal = ZERO

    @property
    def net(self) -> Decimal:
        return sum((sign * self.lines.get(key, ZERO) for key, _, sign in PNL_LINES), ZERO)

    @property
    def ledger_net(self) -> Decimal:
        contract = -self.ledger.get(CONTRACT, ZERO)
        return contract + sum(
            (sign * self.ledger.get(key, ZERO) for key, _, sign in PNL_LINES), ZERO
        )

    def comparisons(self) -> list[tuple[str, Decimal, Decimal]]:
        """``(figure, from the records, from the ledger)`` for every line the ledger holds
        on its own, click income and top-ups together, and the net."""
        out = [
            (label, self.lines.get(key, ZERO), self.ledger.get(key, ZERO))
            for key, label, _ in PNL_LINES
            if key not in ("click_income", "topups")
        ]
        out.append(
            (
                "Webmaster click income and guarantee top-ups",
                self.lines.get("click_income", ZERO) + self.lines.get("topups", ZERO),
                self.ledger.get(CONTRACT, ZERO),
            )
        )
        out.append(("Net margin", self.net, self.ledger_net))
        return out

    @property
    def billings(self) -> Decimal:
        return sum((self.lines.get(k, ZERO) for k in BILLINGS), ZERO)

    @property
    def payouts(self) -> Decimal:
        values = self.lines
        return values["commissions"] - values["reversals"] + values["click_income"]

    def rows(self) -> list[dict[str, Any]]:
        return [
            {"key": key, "label": label, "sign": sign, "amount": self.lines.get(key, ZERO)}
            for key, label, sign in PNL_LINES
        ]


def _sum(queryset: Any, expression: Any) -> Decimal:
    return queryset.aggregate(total=Sum(expression))["total"] or ZERO


def network_pnl(*, period: str) -> Pnl:
    """The network's P&L for ``period``: merchant billings - webmaster payouts - guarantee
    top-ups - rebates - claim credits (docs/billing.md), from the records and from the
    ledger's network accounts for the month, line by line.

    Records: spend = the month's ``CampaignDayStats.spend``; CPS billed and fees = the
    month's approved and paid invoices; commissions = every commission with a day in the
    month (its accrual); reversals = the reversal postings made in the month (a partial
    refund leaves no dated record of its own, so this line is the ledger's); click income and
    top-ups = the month's ``DailyEarning``; rebates = the month's ``MerchantRebate``; credits
    = approved claims credited in the month."""
    from apps.billing.services.invoices import claims_credited_in

    start, end = period_bounds(period)
    pnl = Pnl(period=period)
    ledger = _ledger_lines(start, end)
    invoices = MerchantInvoice.objects.filter(
        period=period, status__in=[InvoiceStatus.APPROVED, InvoiceStatus.PAID]
    )
    earnings = DailyEarning.objects.filter(day__gte=start, day__lte=end)
    pnl.lines = {
        "spend": _sum(CampaignDayStats.objects.filter(day__gte=start, day__lte=end), "spend"),
        "cps_billed": _sum(invoices, "commissions_total"),
        "fees": _sum(invoices, "fee_total"),
        "commissions": _sum(
            Commission.objects.filter(day__gte=start, day__lte=end, amount__gt=0), "amount"
        ),
        "reversals": ledger.get("reversals", ZERO),
        "click_income": _sum(earnings, "click_income"),
        "topups": _sum(earnings, "guarantee_topup"),
        "rebates": _sum(MerchantRebate.objects.filter(period=period), "amount"),
        "credits": _sum(claims_credited_in(start=start, end=end), "approved_amount"),
        "bonuses": _sum(
            StatementLine.objects.filter(
                kind=StatementLineKind.BONUS,
                statement__period=period,
                statement__status__in=[StatementStatus.APPROVED, StatementStatus.PAID],
            ),
            "amount",
        ),
        "other": ZERO,
    }
    pnl.ledger = ledger
    billed = InvoicedCommission.objects.values("commission_id")
    pnl.unbilled_cps = _sum(
        Commission.objects.filter(day__lte=end)
        .exclude(status=CommissionStatus.REVERSED)
        .exclude(pk__in=billed),
        F("amount") - F("reversed_amount"),
    )
    return pnl


def _ledger_lines(start: datetime.date, end: datetime.date) -> dict[str, Decimal]:
    """The month's legs on the network's P&L accounts, by P&L line, as positive amounts."""
    out: dict[str, Decimal] = defaultdict(lambda: ZERO)
    rows = (
        LedgerEntry.objects.filter(
            transaction__occurred_on__gte=start,
            transaction__occurred_on__lte=end,
            account__kind__in=NETWORK_PNL_ACCOUNTS,
        )
        .values("transaction__kind", "account__kind")
        .annotate(total=Sum("amount"))
        .values_list("transaction__kind", "account__kind", "total")
    )
    for tx_kind, account_kind, total in rows:
        total = total or ZERO
        if tx_kind == "merchant_invoice":
            key = "fees" if account_kind == AccountKind.NETWORK_FEE_REVENUE else "cps_billed"
            out[key] += total
        elif tx_kind == "contract_earning":
            out[CONTRACT] += -total
        elif tx_kind in LEDGER_KIND_LINE:
            key = LEDGER_KIND_LINE[tx_kind]
            out[key] += total * SIGN[key]
        else:
            out["other"] += total
    return dict(out)
