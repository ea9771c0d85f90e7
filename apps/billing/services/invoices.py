"""Monthly merchant invoices: generation, the four-eyes workflow, payment (docs/billing.md).

What a merchant's invoice for period P bills:
- **CPS commissions**: its approved (or settled) commissions with a day up to P's last day that
  no invoice billed yet, at their net (``amount - reversed_amount``), one line per event; and,
  for commissions billed on an earlier invoice whose net has since fallen (a refund or
  cancellation), the difference as a negative "refunds" line. Each is linked to the invoice
  (``InvoicedCommission``), so a commission is billed once and credited back once.
- **Network fee**: ``quantize_money(commissions x fee_percent / 100)``; the merchant's own
  billing terms, else the tenant's ``network_fee_percent``; frozen on the invoice.
- **CPC/CPM spend**: P's ``CampaignDayStats.spend`` per campaign: what run_daily charged.
- less **the rebate** of P (``rebates_credit_month``, credited first if it was not yet) and
  less **approved compensation claims** credited in P.
``total = commissions + fee + spend - rebate - credits``.

Generation is idempotent and refreshes only drafts; a period is invoiced once it has ended.

Ledger (``services.ledger`` conventions): spend, rebates and credits already run through the
merchant's balance day by day. Approval bills the CPS part, ``invoice:<id>:approved``:
``merchant_receivable -(C + F)``, ``network_revenue +C``, ``network_fee_revenue +F``.
Payment, ``invoice:<id>:paid``: the merchant's payment of the total settles the receivable
and the month's balance: ``network_cash -T``, ``merchant_receivable +(C + F)``,
``merchant_balance +(S - R - K)``. When the tenant requires prepayment, approval pays the
invoice from the prepaid balance at once, ``invoice:<id>:prepaid``: ``merchant_balance
-(C + F)``, ``merchant_receivable +(C + F)`` (spend was already taken from the balance).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db import transaction
from django.db.models import F, Sum
from django.utils import timezone

from apps.billing.errors import InvoiceError, InvoiceFourEyesError, InvoiceStateError
from apps.billing.models import (
    InvoicedCommission,
    InvoiceLineKind,
    InvoiceStatus,
    MerchantBillingTerms,
    MerchantInvoice,
    MerchantInvoiceLine,
)
from apps.campaigns.models import Campaign, Merchant
from apps.commissions.models import AccountKind, Commission, CommissionStatus, MerchantRebate
from apps.commissions.services.ledger import ledger_account_for, ledger_post, network_account
from apps.commissions.services.rebates import rebates_credit_month
from apps.core.db import advisory_xact_lock, lock_object
from apps.core.history import history_note, person
from apps.core.money import ZERO, quantize_money
from apps.disputes.models import Claim, ClaimStatus
from apps.tenants.clock import period_bounds, tenant_today
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats, ConversionType

ALLOWED: dict[str, set[str]] = {
    InvoiceStatus.DRAFT: {InvoiceStatus.SUBMITTED},
    InvoiceStatus.SUBMITTED: {InvoiceStatus.APPROVED, InvoiceStatus.DRAFT},
    InvoiceStatus.APPROVED: {InvoiceStatus.PAID},
    InvoiceStatus.PAID: set(),
}
FROZEN = frozenset({InvoiceStatus.APPROVED, InvoiceStatus.PAID})
BILLABLE = (CommissionStatus.APPROVED, CommissionStatus.SETTLED)
HUNDRED = Decimal(100)


def fee_percent_for(*, merchant: Merchant, tenant: Any = None) -> Decimal:
    """The merchant's own fee (billing terms) or the tenant's ``network_fee_percent``."""
    tenant = tenant or current_tenant()
    own = (
        MerchantBillingTerms.objects.filter(merchant=merchant, fee_percent__isnull=False)
        .values_list("fee_percent", flat=True)
        .first()
    )
    return own if own is not None else tenant.network_fee_percent


def network_fee(*, commissions: Decimal, fee_percent: Decimal) -> Decimal:
    """The fee on a commissions total: one rounding, half-up (10,000.00 at 20 → 2,000.00)."""
    return quantize_money(commissions * fee_percent / HUNDRED)


# --- what an invoice should hold ----------------------------------------------------------


@dataclass
class WantedLine:
    kind: str
    description: str
    amount: Decimal
    quantity: int = 0
    campaign_id: int | None = None
    claim_id: int | None = None


@dataclass
class WantedInvoice:
    merchant_id: int
    fee_percent: Decimal
    lines: list[WantedLine] = field(default_factory=list)
    #: commission id → amount billed now
    links: dict[int, Decimal] = field(default_factory=dict)

    def total_of(self, *kinds: str) -> Decimal:
        return sum((line.amount for line in self.lines if line.kind in kinds), ZERO)

    @property
    def has_activity(self) -> bool:
        return bool(self.lines)


def _billed_elsewhere(exclude_invoices: list[int]) -> dict[int, Decimal]:
    """commission id → what invoices other than ``exclude_invoices`` billed for it."""
    rows = (
        InvoicedCommission.objects.exclude(invoice_id__in=exclude_invoices)
        .values("commission_id")
        .annotate(total=Sum("amount"))
        .values_list("commission_id", "total")
    )
    return dict(rows)


def invoices_wanted(
    *, period: str, refresh: dict[int, MerchantInvoice] | None = None
) -> dict[int, WantedInvoice]:
    """What each merchant's invoice of ``period`` should hold (read-only). ``refresh`` are the
    period's drafts being rebuilt: their own links do not count as billed."""
    start, end = period_bounds(period)
    tenant = current_tenant()
    refresh = refresh or {}
    billed = _billed_elsewhere([inv.pk for inv in refresh.values()])
    wanted: dict[int, WantedInvoice] = {}

    # fee_percent is not null in these rows: a Decimal each
    terms = cast(
        "dict[int, Decimal]",
        dict(
            MerchantBillingTerms.objects.filter(fee_percent__isnull=False).values_list(
                "merchant_id", "fee_percent"
            )
        ),
    )

    def invoice_for(merchant_id: int) -> WantedInvoice:
        if merchant_id not in wanted:
            # A draft freezes nothing: the current terms apply until it is submitted.
            rate = terms.get(merchant_id, tenant.network_fee_percent)
            wanted[merchant_id] = WantedInvoice(merchant_id=merchant_id, fee_percent=rate)
        return wanted[merchant_id]

    new, corrections = _commissions_to_bill(billed=billed, end=end)
    _add_commission_lines(invoice_for, new, corrections)
    _add_spend_lines(invoice_for, start=start, end=end)
    _add_rebate_and_credit_lines(invoice_for, period=period, start=start, end=end)
    for invoice in wanted.values():
        _add_fee_line(invoice)
    return wanted


InvoiceFor = Callable[[int], WantedInvoice]
#: merchant -> event -> (commission id, net amount)
NewCommissions = dict[int, dict[str, list[tuple[int, Decimal]]]]
#: merchant -> (commission id, difference to what was billed)
Corrections = dict[int, list[tuple[int, Decimal]]]


def _commissions_to_bill(
    *, billed: dict[int, Decimal], end: datetime.date
) -> tuple[NewCommissions, Corrections]:
    """CPS commissions: billable ones up to ``end`` never billed, and corrections of ones
    billed before whose net amount has changed since (refunds, cancellations)."""
    net = F("amount") - F("reversed_amount")
    new: NewCommissions = defaultdict(lambda: defaultdict(list))
    for pk, merchant_id, event, amount in (
        Commission.objects.filter(status__in=BILLABLE, day__lte=end)
        .annotate(net=net)
        .filter(net__gt=0)
        .order_by("merchant_id", "day", "pk")
        .values_list("pk", "merchant_id", "event", "net")
    ):
        if pk not in billed:
            new[merchant_id][event].append((pk, amount))
    corrections: Corrections = defaultdict(list)
    if billed:
        for pk, merchant_id, amount in (
            Commission.objects.filter(pk__in=list(billed))
            .exclude(status=CommissionStatus.PENDING)
            .annotate(net=net)
            .order_by("pk")
            .values_list("pk", "merchant_id", "net")
        ):
            diff = quantize_money(amount) - billed[pk]
            if diff != 0:
                corrections[merchant_id].append((pk, diff))
    return new, corrections


def _add_commission_lines(
    invoice_for: InvoiceFor, new: NewCommissions, corrections: Corrections
) -> None:
    """One line per event of new commissions, one of corrections; each links its rows."""
    for merchant_id in sorted(set(new) | set(corrections)):
        invoice = invoice_for(merchant_id)
        for event in (ConversionType.REGISTRATION, ConversionType.ORDER):
            rows = new[merchant_id].get(event, [])
            if rows:
                label = ConversionType(event).label.lower()
                invoice.lines.append(
                    WantedLine(
                        kind=InvoiceLineKind.COMMISSION,
                        description=f"CPS commissions on {label}s (approved, not billed before)",
                        amount=sum((a for _, a in rows), ZERO),
                        quantity=len(rows),
                    )
                )
                invoice.links.update(rows)
        rows = corrections.get(merchant_id, [])
        if rows:
            invoice.lines.append(
                WantedLine(
                    kind=InvoiceLineKind.CORRECTION,
                    description="Commissions billed before, since refunded or cancelled",
                    amount=sum((a for _, a in rows), ZERO),
                    quantity=len(rows),
                )
            )
            invoice.links.update(rows)


def _add_spend_lines(invoice_for: InvoiceFor, *, start: datetime.date, end: datetime.date) -> None:
    """Spend per campaign: what run_daily charged on the period's days."""
    spend = (
        CampaignDayStats.objects.filter(day__gte=start, day__lte=end)
        .values("merchant_id", "campaign_id")
        .annotate(total=Sum("spend"))
        .filter(total__gt=0)
        .order_by("merchant_id", "campaign_id")
    )
    names = dict(
        Campaign.objects.filter(pk__in={row["campaign_id"] for row in spend}).values_list(
            "pk", "name"
        )
    )
    types = dict(Campaign.objects.filter(pk__in=list(names)).values_list("pk", "type"))
    for row in spend:
        invoice = invoice_for(row["merchant_id"])
        kind = (types.get(row["campaign_id"]) or "").upper().replace("_", "-")
        invoice.lines.append(
            WantedLine(
                kind=InvoiceLineKind.SPEND,
                description=f"{kind} spend: {names.get(row['campaign_id'], row['campaign_id'])}"[
                    :300
                ],
                amount=quantize_money(row["total"]),
                campaign_id=row["campaign_id"],
            )
        )


def _add_rebate_and_credit_lines(
    invoice_for: InvoiceFor, *, period: str, start: datetime.date, end: datetime.date
) -> None:
    """The period's rebate and the compensation claims credited in it, as negative lines."""
    for rebate in MerchantRebate.objects.filter(period=period, amount__gt=0).order_by(
        "merchant_id"
    ):
        invoice_for(rebate.merchant_id).lines.append(
            WantedLine(
                kind=InvoiceLineKind.REBATE,
                description=f"Rebate {period} on spend of {rebate.spend}",
                amount=-rebate.amount,
            )
        )

    for claim in claims_credited_in(start=start, end=end).select_related("campaign"):
        invoice_for(claim.merchant_id).lines.append(
            WantedLine(
                kind=InvoiceLineKind.CLAIM_CREDIT,
                description=f"Compensation claim #{claim.pk}: {claim.campaign.name}"[:300],
                amount=-claim.approved_amount,
                claim_id=claim.pk,
            )
        )


def _add_fee_line(invoice: WantedInvoice) -> None:
    """The network fee on the invoice's commissions (none when it is zero)."""
    commissions = invoice.total_of(InvoiceLineKind.COMMISSION, InvoiceLineKind.CORRECTION)
    fee = network_fee(commissions=commissions, fee_percent=invoice.fee_percent)
    if fee:
        invoice.lines.append(
            WantedLine(
                kind=InvoiceLineKind.FEE,
                description=f"Network fee: {invoice.fee_percent.normalize():f} % of "
                f"{commissions} commissions",
                amount=fee,
            )
        )


def claims_credited_in(*, start: datetime.date, end: datetime.date) -> Any:
    """Approved compensation claims whose credit was posted on a day of ``[start, end]``."""
    return Claim.objects.filter(
        status=ClaimStatus.APPROVED,
        ledger_transaction__occurred_on__gte=start,
        ledger_transaction__occurred_on__lte=end,
    ).order_by("pk")


ORDER: dict[str, int] = {
    InvoiceLineKind.COMMISSION: 10,
    InvoiceLineKind.CORRECTION: 20,
    InvoiceLineKind.FEE: 30,
    InvoiceLineKind.SPEND: 40,
    InvoiceLineKind.REBATE: 50,
    InvoiceLineKind.CLAIM_CREDIT: 60,
}


def _totals(wanted: WantedInvoice) -> dict[str, Decimal]:
    commissions = wanted.total_of(InvoiceLineKind.COMMISSION, InvoiceLineKind.CORRECTION)
    fee = wanted.total_of(InvoiceLineKind.FEE)
    spend = wanted.total_of(InvoiceLineKind.SPEND)
    rebate = -wanted.total_of(InvoiceLineKind.REBATE)
    credit = -wanted.total_of(InvoiceLineKind.CLAIM_CREDIT)
    return {
        "commissions_total": commissions,
        "fee_total": fee,
        "spend_total": spend,
        "rebate_total": rebate,
        "credit_total": credit,
        "total": commissions + fee + spend - rebate - credit,
    }


def invoices_generate(*, period: str, actor: Any = None) -> dict[str, Any]:
    """Create or refresh the draft invoice of every merchant with something to bill in
    ``period`` (module docstring). Submitted, approved and paid invoices are left alone.
    Refused while the period is not over (its spend and rebate are not final). Idempotent;
    runs of one tenant and period are serialized by an advisory lock."""
    start, end = period_bounds(period)
    tenant = current_tenant()
    if end >= tenant_today(tenant):
        raise InvoiceError(
            f"{period} is not over yet; invoices are generated once its last day "
            f"({end.isoformat()}) has passed.",
            code=InvoiceError.PERIOD_OPEN,
            field="period",
        )
    rebates_credit_month(period=period)
    with transaction.atomic():
        advisory_xact_lock(f"invoices:{tenant.pk}:{period}")
        existing = {
            inv.merchant_id: inv
            for inv in MerchantInvoice.objects.filter(period=period).select_for_update(of=("self",))
        }
        drafts = {m: inv for m, inv in existing.items() if inv.status == InvoiceStatus.DRAFT}
        wanted = invoices_wanted(period=period, refresh=drafts)
        created = updated = 0
        for merchant_id, want in sorted(wanted.items()):
            if merchant_id in existing and merchant_id not in drafts:
                continue  # under review or final
            invoice = drafts.get(merchant_id)
            totals = _totals(want)
            if invoice is None:
                invoice = MerchantInvoice.objects.create(
                    tenant=tenant,
                    merchant_id=merchant_id,
                    period=period,
                    period_start=start,
                    period_end=end,
                    fee_percent=want.fee_percent,
                    **totals,
                )
                created += 1
            else:
                changed = [
                    name for name, value in totals.items() if getattr(invoice, name) != value
                ]
                if invoice.fee_percent != want.fee_percent:
                    changed.append("fee_percent")
                for name in changed:
                    setattr(invoice, name, totals.get(name, want.fee_percent))
                if changed:
                    history_note(invoice, actor, "regenerated")
                    invoice.save(update_fields=[*changed, "updated_at"])
                    updated += 1
                invoice.lines.all().delete()
                invoice.commission_links.all().delete()
            _write_lines(invoice, want)
        # Drafts with nothing left to bill become empty drafts (never deleted: history).
        for merchant_id, invoice in drafts.items():
            if merchant_id not in wanted:
                invoice.lines.all().delete()
                invoice.commission_links.all().delete()
                zero = _totals(WantedInvoice(merchant_id=merchant_id, fee_percent=ZERO))
                for name, value in zero.items():
                    setattr(invoice, name, value)
                invoice.save(update_fields=[*zero, "updated_at"])
    skipped = len([m for m in wanted if m in existing and m not in drafts])
    return {
        "period": period,
        "invoices": len(wanted) - skipped,
        "created": created,
        "updated": updated,
        "skipped": skipped,
    }


def _write_lines(invoice: MerchantInvoice, want: WantedInvoice) -> None:
    tenant_id = invoice.tenant_id
    lines = sorted(want.lines, key=lambda line: ORDER[line.kind])
    MerchantInvoiceLine.objects.bulk_create(
        [
            MerchantInvoiceLine(
                tenant_id=tenant_id,
                invoice=invoice,
                kind=line.kind,
                description=line.description,
                quantity=line.quantity,
                amount=line.amount,
                campaign_id=line.campaign_id,
                claim_id=line.claim_id,
                position=index,
            )
            for index, line in enumerate(lines)
        ]
    )
    InvoicedCommission.objects.bulk_create(
        [
            InvoicedCommission(
                tenant_id=tenant_id, invoice=invoice, commission_id=pk, amount=amount
            )
            for pk, amount in sorted(want.links.items())
        ],
        batch_size=2000,
    )


# --- workflow -----------------------------------------------------------------------------


def _refresh(target: MerchantInvoice, source: MerchantInvoice) -> MerchantInvoice:
    for f in MerchantInvoice._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))
    return target


def invoice_transition(
    *, invoice: MerchantInvoice, to: str, actor: Any, reason: str = "", payment_reference: str = ""
) -> MerchantInvoice:
    """The one place an invoice's status moves (``ALLOWED``), under a row lock, stamping who
    and when, with a history row. Re-applying the current status is a no-op. Guards live in
    the named wrappers."""
    with transaction.atomic():
        locked = lock_object(MerchantInvoice.objects.all(), invoice.pk)
        if locked.status == to:
            return _refresh(invoice, locked)
        if to not in ALLOWED[locked.status]:
            raise InvoiceStateError(
                f"Invoice {locked.number} is {locked.get_status_display().lower()}; it cannot "
                f"become {to}.",
                invoice=locked.pk,
                status=locked.status,
            )
        now = timezone.now()
        who = person(actor)
        fields = ["status", "updated_at"]
        if to == InvoiceStatus.SUBMITTED:
            locked.submitted_by, locked.submitted_at, locked.returned_reason = who, now, ""
            fields += ["submitted_by", "submitted_at", "returned_reason"]
        elif to == InvoiceStatus.APPROVED:
            locked.approved_by, locked.approved_at = who, now
            fields += ["approved_by", "approved_at"]
        elif to == InvoiceStatus.PAID:
            locked.paid_by, locked.paid_at = who, now
            locked.payment_reference = payment_reference[:120]
            fields += ["paid_by", "paid_at", "payment_reference"]
        elif to == InvoiceStatus.DRAFT:
            locked.returned_reason = reason[:500]
            locked.submitted_by, locked.submitted_at = None, None
            fields += ["returned_reason", "submitted_by", "submitted_at"]
        locked.status = to
        history_note(locked, actor, reason or f"invoice {to}")
        locked.save(update_fields=fields)
    return _refresh(invoice, locked)


def invoice_submit(*, invoice: MerchantInvoice, actor: Any) -> MerchantInvoice:
    """Finance submits a draft for approval by someone else."""
    return invoice_transition(invoice=invoice, to=InvoiceStatus.SUBMITTED, actor=actor)


def invoice_return_to_draft(
    *, invoice: MerchantInvoice, actor: Any, reason: str
) -> MerchantInvoice:
    """Send a submitted invoice back to draft; the reason is required and kept."""
    reason = (reason or "").strip()
    if not reason:
        raise InvoiceError(
            f"Give a reason to return invoice {invoice.number} to draft.",
            code=InvoiceError.REASON_REQUIRED,
            field="reason",
        )
    return invoice_transition(invoice=invoice, to=InvoiceStatus.DRAFT, actor=actor, reason=reason)


def invoice_approve(*, invoice: MerchantInvoice, actor: Any) -> MerchantInvoice:
    """Approve a submitted invoice (four eyes: not its submitter) and post its CPS part to the
    ledger (module docstring). Refused when a billed commission changed since the draft
    (return it to draft and generate again). With prepayment required, the invoice is paid
    from the merchant's prepaid balance at once and the balance is re-checked for serving."""
    from apps.billing.services.prepaid import merchants_prepaid_refresh

    with transaction.atomic():
        locked = lock_object(MerchantInvoice.objects.select_related("merchant"), invoice.pk)
        if locked.status in FROZEN:
            return _refresh(invoice, locked)
        if locked.status != InvoiceStatus.SUBMITTED:
            raise InvoiceStateError(
                f"Invoice {locked.number} is {locked.get_status_display().lower()}; only a "
                "submitted invoice is approved.",
                invoice=locked.pk,
                status=locked.status,
            )
        actor_id = getattr(actor, "pk", None)
        if actor_id is not None and actor_id == locked.submitted_by_id:
            raise InvoiceFourEyesError(
                f"You submitted invoice {locked.number} of {locked.merchant.name}; another "
                "finance user must approve it (four eyes).",
                invoice=locked.pk,
            )
        _refuse_if_stale(locked)
        _billing_currency_freeze(locked)
        invoice_transition(invoice=locked, to=InvoiceStatus.APPROVED, actor=actor)
        _post_approval(locked, actor=actor)
        tenant = current_tenant()
        if tenant.prepayment_required:
            _post_prepaid_settlement(locked, actor=actor)
            invoice_transition(
                invoice=locked,
                to=InvoiceStatus.PAID,
                actor=actor,
                reason="paid from the prepaid balance",
                payment_reference="prepaid balance",
            )
        merchants_prepaid_refresh(merchant_ids=[locked.merchant_id])
    return _refresh(invoice, locked)


def _billing_currency_freeze(invoice: MerchantInvoice) -> None:
    """A merchant billed in its own currency (``Merchant.currency``, issue 17): the total at
    the rate of the invoice's day (the month's last, tenant-local), frozen on approval. No
    rate that day refuses the approval naming ``currency``, never 1.0."""
    from apps.core.money import Money
    from apps.fx.errors import FxRateMissingError
    from apps.fx.services import fx_convert

    book = current_tenant().currency
    wanted = (invoice.merchant.currency or "").upper()
    if not wanted or wanted == book:
        invoice.currency, invoice.fx_rate, invoice.total_in_currency = "", None, None
    else:
        try:
            due, rate = fx_convert(Money(invoice.total, book), day=invoice.period_end, to=wanted)
        except FxRateMissingError as exc:
            raise InvoiceStateError(
                f"{invoice.merchant.name} is billed in {wanted}: {exc.message}",
                code=InvoiceStateError.FX_RATE,
                field="currency",
                invoice=invoice.pk,
            ) from exc
        invoice.currency, invoice.fx_rate, invoice.total_in_currency = wanted, rate, due.amount
    invoice.save(update_fields=["currency", "fx_rate", "total_in_currency", "updated_at"])


def payment_cash_legs(invoice: MerchantInvoice) -> list[tuple[Any, Decimal]]:
    """The cash side of an invoice's payment: ``network_cash -total``, or for an invoice in
    the merchant's currency the cash of that currency received and the exchange through the
    FX clearing accounts (``fx_exchange_legs``), so each currency's legs sum to zero."""
    from apps.commissions.services.ledger import fx_exchange_legs
    from apps.core.money import Money

    book = current_tenant().currency
    if invoice.currency and invoice.currency != book and invoice.total_in_currency is not None:
        received = Money(invoice.total_in_currency, invoice.currency)
        return [
            (network_account(AccountKind.NETWORK_CASH, received.currency), -received.amount),
            *fx_exchange_legs(into_clearing=received, out_of_clearing=Money(invoice.total, book)),
        ]
    return [(network_account(AccountKind.NETWORK_CASH), -invoice.total)]


def _refuse_if_stale(invoice: MerchantInvoice) -> None:
    links = InvoicedCommission.objects.filter(invoice=invoice).select_related("commission")
    billed_before = _billed_elsewhere([invoice.pk])
    for link in links:
        commission = link.commission
        now_net = (
            ZERO
            if commission.status == CommissionStatus.PENDING
            else quantize_money(commission.amount - commission.reversed_amount)
        )
        if now_net - billed_before.get(commission.pk, ZERO) != link.amount:
            raise InvoiceStateError(
                f"Commission #{commission.pk} changed since invoice {invoice.number} was drafted "
                f"(net now {now_net}); return the invoice to draft and generate it again.",
                code=InvoiceStateError.STALE,
                commission=commission.pk,
            )


def cps_part(invoice: MerchantInvoice) -> Decimal:
    return invoice.commissions_total + invoice.fee_total


def _post_approval(invoice: MerchantInvoice, *, actor: Any) -> None:
    if invoice.commissions_total == 0 and invoice.fee_total == 0:
        return
    receivable = ledger_account_for(kind=AccountKind.MERCHANT_RECEIVABLE, merchant=invoice.merchant)
    ledger_post(
        kind="merchant_invoice",
        idempotency_key=f"invoice:{invoice.pk}:approved",
        occurred_on=invoice.period_end,
        legs=[
            (receivable, -cps_part(invoice)),
            (network_account(AccountKind.NETWORK_REVENUE), invoice.commissions_total),
            (network_account(AccountKind.NETWORK_FEE_REVENUE), invoice.fee_total),
        ],
        memo=f"Invoice {invoice.number}: CPS commissions and fee",
        created_by=person(actor),
    )


def _post_prepaid_settlement(invoice: MerchantInvoice, *, actor: Any) -> None:
    amount = cps_part(invoice)
    if amount == 0:
        return
    merchant = invoice.merchant
    ledger_post(
        kind="merchant_invoice_prepaid",
        idempotency_key=f"invoice:{invoice.pk}:prepaid",
        occurred_on=tenant_today(),
        legs=[
            (ledger_account_for(kind=AccountKind.MERCHANT_BALANCE, merchant=merchant), -amount),
            (ledger_account_for(kind=AccountKind.MERCHANT_RECEIVABLE, merchant=merchant), amount),
        ],
        memo=f"Invoice {invoice.number} paid from the prepaid balance",
        created_by=person(actor),
    )


def invoice_mark_paid(
    *, invoice: MerchantInvoice, actor: Any, payment_reference: str
) -> MerchantInvoice:
    """Record the merchant's payment of an approved invoice (a reference is required): cash in
    for the total, the receivable and the month's balance settled (``invoice:<id>:paid``)."""
    payment_reference = (payment_reference or "").strip()
    if not payment_reference:
        raise InvoiceError(
            f"Give the bank's reference of the payment of invoice {invoice.number}.",
            code=InvoiceError.REFERENCE_REQUIRED,
            field="payment_reference",
        )
    from apps.billing.services.prepaid import merchants_prepaid_refresh

    with transaction.atomic():
        locked = lock_object(MerchantInvoice.objects.select_related("merchant"), invoice.pk)
        if locked.status == InvoiceStatus.PAID:
            return _refresh(invoice, locked)
        invoice_transition(
            invoice=locked,
            to=InvoiceStatus.PAID,
            actor=actor,
            reason=f"paid: {payment_reference}",
            payment_reference=payment_reference,
        )
        merchant = locked.merchant
        rest = locked.spend_total - locked.rebate_total - locked.credit_total
        legs = [
            *payment_cash_legs(locked),
            (
                ledger_account_for(kind=AccountKind.MERCHANT_RECEIVABLE, merchant=merchant),
                cps_part(locked),
            ),
            (ledger_account_for(kind=AccountKind.MERCHANT_BALANCE, merchant=merchant), rest),
        ]
        if any(amount for _, amount in legs):
            ledger_post(
                kind="merchant_invoice_paid",
                idempotency_key=f"invoice:{locked.pk}:paid",
                occurred_on=tenant_today(),
                legs=legs,
                memo=f"Payment of invoice {locked.number}, reference {payment_reference}",
                created_by=person(actor),
            )
        merchants_prepaid_refresh(merchant_ids=[merchant.pk])
    return _refresh(invoice, locked)


__all__ = [
    "fee_percent_for",
    "invoice_approve",
    "invoice_mark_paid",
    "invoice_return_to_draft",
    "invoice_submit",
    "invoice_transition",
    "invoices_generate",
    "invoices_wanted",
    "network_fee",
]
