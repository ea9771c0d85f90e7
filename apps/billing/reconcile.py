"""Reconcile checks of billing (``manage.py reconcile``; ``apps.core.reconcile``).

``invoices``: every invoice of the period adds up (lines, totals, the commissions it links),
bills the spend, rebate and credits the records hold for its merchant and month, and, once
approved or paid, its ledger transactions carry exactly its amounts. Periods nobody invoiced
are not a difference (invoicing is finance's act, not the pipeline's).

``pnl``: each line of the network's P&L for the period, from the records, equals the
ledger's network revenue, fee revenue and cost legs of the month, and so does the net.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Sum

from apps.billing.models import (
    InvoicedCommission,
    InvoiceLineKind,
    InvoiceStatus,
    MerchantInvoice,
    MerchantInvoiceLine,
)
from apps.billing.selectors import network_pnl
from apps.billing.services.invoices import claims_credited_in
from apps.commissions.models import AccountKind, LedgerEntry, MerchantRebate
from apps.core.money import ZERO
from apps.core.reconcile import Difference
from apps.tenants.clock import period_bounds
from apps.tracking.models import CampaignDayStats

LINE_TOTALS = {
    "commissions_total": (InvoiceLineKind.COMMISSION, InvoiceLineKind.CORRECTION),
    "fee_total": (InvoiceLineKind.FEE,),
    "spend_total": (InvoiceLineKind.SPEND,),
}


def invoices(*, period: str) -> Iterator[Difference]:
    rows = list(MerchantInvoice.objects.filter(period=period).select_related("merchant"))
    if not rows:
        return
    records = _InvoiceRecords.read(period=period, ids=[inv.pk for inv in rows])
    for inv in rows:
        where = f"invoice {inv.number} of merchant {inv.merchant.code} (#{inv.pk})"

        def diff(figure: str, expected: object, found: object, where: str = where) -> Difference:
            return Difference("billing.invoices", where, figure, expected, found)

        yield from _totals(inv, records, diff)
        yield from _ledger(inv, records.ledger, diff)


@dataclass
class _InvoiceRecords:
    """What a period's invoices are checked against, each read once for all of them."""

    lines: dict[int, dict[str, Decimal]]  # invoice -> line kind -> sum
    links: dict[int, Decimal]  # invoice -> linked commissions
    spend: dict[int, Decimal]  # merchant -> the month's spend
    rebates: dict[int, Decimal]  # merchant -> the month's rebate
    credits: dict[int, Decimal]  # merchant -> claims credited in the month
    ledger: dict[str, dict[str, Decimal]]  # idempotency key -> account kind -> sum

    @classmethod
    def read(cls, *, period: str, ids: list[int]) -> _InvoiceRecords:
        start, end = period_bounds(period)
        lines: dict[int, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        for invoice_id, kind, total in (
            MerchantInvoiceLine.objects.filter(invoice_id__in=ids)
            .values("invoice_id", "kind")
            .annotate(total=Sum("amount"))
            .values_list("invoice_id", "kind", "total")
        ):
            lines[invoice_id][kind] = total
        links = dict(
            InvoicedCommission.objects.filter(invoice_id__in=ids)
            .values("invoice_id")
            .annotate(total=Sum("amount"))
            .values_list("invoice_id", "total")
        )
        spend = dict(
            CampaignDayStats.objects.filter(day__gte=start, day__lte=end)
            .values("merchant_id")
            .annotate(total=Sum("spend"))
            .values_list("merchant_id", "total")
        )
        rebates = dict(
            MerchantRebate.objects.filter(period=period).values_list("merchant_id", "amount")
        )
        credits: dict[int, Decimal] = defaultdict(lambda: ZERO)
        for merchant_id, amount in claims_credited_in(start=start, end=end).values_list(
            "merchant_id", "approved_amount"
        ):
            credits[merchant_id] += amount
        ledger: dict[str, dict[str, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
        keys = [f"invoice:{pk}:{step}" for pk in ids for step in ("approved", "paid", "prepaid")]
        for key, kind, total in (
            LedgerEntry.objects.filter(transaction__idempotency_key__in=keys)
            .values("transaction__idempotency_key", "account__kind")
            .annotate(total=Sum("amount"))
            .values_list("transaction__idempotency_key", "account__kind", "total")
        ):
            ledger[key][kind] = total
        return cls(lines, links, spend, rebates, credits, ledger)


def _totals(inv: MerchantInvoice, records: _InvoiceRecords, diff) -> Iterator[Difference]:
    """The invoice's totals against its lines, its linked commissions and the month's spend,
    rebate and claim credits of its merchant."""
    kinds = records.lines[inv.pk]
    for name, line_kinds in LINE_TOTALS.items():
        expected = sum((kinds[k] for k in line_kinds), ZERO)
        if getattr(inv, name) != expected:
            yield diff(f"{name} (sum of its lines)", expected, getattr(inv, name))
    for name, kind in (
        ("rebate_total", InvoiceLineKind.REBATE),
        ("credit_total", InvoiceLineKind.CLAIM_CREDIT),
    ):
        if getattr(inv, name) != -kinds[kind]:
            yield diff(f"{name} (sum of its lines)", -kinds[kind], getattr(inv, name))
    linked = records.links.get(inv.pk, ZERO)
    if linked != inv.commissions_total:
        yield diff("commissions billed (linked commissions)", linked, inv.commissions_total)
    month_spend = records.spend.get(inv.merchant_id) or ZERO
    if month_spend != inv.spend_total:
        yield diff("spend (run_daily's charges of the month)", month_spend, inv.spend_total)
    rebate = records.rebates.get(inv.merchant_id, ZERO)
    if rebate != inv.rebate_total:
        yield diff("rebate (the month's rebate)", rebate, inv.rebate_total)
    credit = records.credits[inv.merchant_id]
    if credit != inv.credit_total:
        yield diff("claim credits (credited in the month)", credit, inv.credit_total)


def _ledger(inv: MerchantInvoice, ledger: dict, diff) -> Iterator[Difference]:
    cps = inv.commissions_total + inv.fee_total
    final = inv.status in (InvoiceStatus.APPROVED, InvoiceStatus.PAID)
    approved = ledger.get(f"invoice:{inv.pk}:approved", {})
    expected = (
        {
            AccountKind.MERCHANT_RECEIVABLE: -cps,
            AccountKind.NETWORK_REVENUE: inv.commissions_total,
            AccountKind.NETWORK_FEE_REVENUE: inv.fee_total,
        }
        if final
        else {}
    )
    for kind in set(expected) | set(approved):
        if expected.get(kind, ZERO) != approved.get(kind, ZERO):
            yield diff(
                f"ledger {kind} on approval", expected.get(kind, ZERO), approved.get(kind, ZERO)
            )
    if inv.status != InvoiceStatus.PAID:
        for step in ("paid", "prepaid"):
            for kind, amount in ledger.get(f"invoice:{inv.pk}:{step}", {}).items():
                if amount:
                    yield diff(f"ledger {kind} of a payment of an unpaid invoice", ZERO, amount)
        return
    prepaid = ledger.get(f"invoice:{inv.pk}:prepaid", {})
    paid = ledger.get(f"invoice:{inv.pk}:paid", {})
    receivable = prepaid.get(AccountKind.MERCHANT_RECEIVABLE, ZERO) + paid.get(
        AccountKind.MERCHANT_RECEIVABLE, ZERO
    )
    if receivable != cps:
        yield diff("ledger merchant_receivable settled by payment", cps, receivable)


def payments(*, period: str) -> Iterator[Difference]:
    """Issue 17: each paid invoice's cash and FX clearing legs (``invoice:<id>:paid``) = what
    ``payment_cash_legs`` says: the total in cash, or for an invoice in the merchant's currency
    that currency's cash and the exchange, per account kind and currency."""
    from apps.billing.services.invoices import payment_cash_legs

    kinds = {AccountKind.NETWORK_CASH, AccountKind.FX_CLEARING}
    paid = list(
        MerchantInvoice.objects.filter(period=period, status=InvoiceStatus.PAID)
        .exclude(payment_reference="prepaid balance")
        .select_related("merchant")
        .order_by("pk")
    )
    found: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for key, kind, currency, total in (
        LedgerEntry.objects.filter(
            transaction__idempotency_key__in=[f"invoice:{inv.pk}:paid" for inv in paid],
            account__kind__in=kinds,
        )
        .values("transaction__idempotency_key", "account__kind", "account__currency")
        .annotate(total=Sum("amount"))
        .values_list("transaction__idempotency_key", "account__kind", "account__currency", "total")
    ):
        found[key][(kind, currency)] = total
    for inv in paid:
        if inv.total == 0:
            continue
        expected: dict[tuple[str, str], Decimal] = {}
        for account, amount in payment_cash_legs(inv):
            slot = (account.kind, account.currency)
            expected[slot] = expected.get(slot, ZERO) + amount
        have = found.get(f"invoice:{inv.pk}:paid", {})
        where = f"invoice {inv.number} of merchant {inv.merchant.code} (#{inv.pk})"
        for slot in sorted(set(expected) | set(have)):
            if expected.get(slot, ZERO) != have.get(slot, ZERO):
                yield Difference(
                    "billing.payments", where, f"ledger {slot[0]} {slot[1]} on payment",
                    expected.get(slot, ZERO), have.get(slot, ZERO),
                )  # fmt: skip


def pnl(*, period: str) -> Iterator[Difference]:
    report = network_pnl(period=period)
    for figure, records, books in report.comparisons():
        if records != books:
            yield Difference(
                "billing.pnl",
                f"network P&L {period}",
                figure,
                records,
                books,
                detail="records vs the ledger's network accounts",
            )
