"""Commission records and their lifecycle (issue 5, DESIGN.md rule 10).

Accrual (daily step ``commissions.accrue``, order 20) creates one ``Commission`` per attributed
conversion of the day, or one per order line for percent rules:
- each order line (a ``ConversionItem``; an order without items is one line of its amount and
  its product's type) is resolved with ``resolve_rule`` on the conversion's day, customer type
  and the line's product type;
- a *percent* winner pays ``quantize_money(line amount x value / 100)`` on that line
  (``conversion_item`` set, ``base_amount`` the line amount);
- *fixed* winners pay once per conversion (``conversion_item`` empty): if lines resolve to
  different fixed rules, the most specific of them (same order as resolution) pays;
- a registration is one line with no product type and the conversion's amount (usually none);
- a conversion with no matching rule gets no commission;
- a conversion on a click run_daily classified invalid gets none either (issue 21): it stays
  attributed and the funnel shows it as an order on an invalid click, with the reason.
The rule, rate type and rate are frozen on the row, so later rule edits never change past
money. Reruns create nothing twice (``commission_once_per_conversion_line``).

Lifecycle (``commission_transition``, ``ALLOWED``): pending → approved (``commissions.approve``,
order 50: the commission's day is at least ``tenant.lock_period_days`` before the run day, or
its order was confirmed by the merchant) → settled (settle's statement payment sets
``settled_at``). A refund or cancellation (``services.orders``) before settlement makes it
reversed (``reversal_reason``, ``reversed_amount``; partial refunds reverse proportionally and
leave it in its status). After settlement the row keeps ``settled_at`` and gets
``reversed_amount > 0``: status ``reversed`` for a full reversal, still ``settled`` for a
partial one. Settle's next statement finds those as
``Commission(settled_at__isnull=False, reversed_amount__gt=0)`` and adds a clawback line of
``-reversed_amount`` (at most once per commission: ``statement_line_commission_once``).

Ledger: see ``services.ledger`` (pending on accrual, payable on approval).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from apps.commissions.errors import CommissionError, CommissionStateError
from apps.commissions.models import (
    AccountKind,
    Commission,
    CommissionSource,
    CommissionStatus,
    RateType,
)
from apps.commissions.resolution import rule_specificity
from apps.commissions.services.ledger import (
    LedgerAccount,
    Posting,
    ledger_account_for,
    ledger_post_bulk,
    network_account,
)
from apps.commissions.services.rules import RuleBook
from apps.core.db import advisory_xact_lock, lock_object
from apps.core.events import event_emit
from apps.core.money import quantize_money
from apps.tenants.clock import local_day
from apps.tenants.scope import current_tenant
from apps.tracking.models import (
    ClickVerdict,
    Conversion,
    ConversionItem,
    ConversionStatus,
    ConversionType,
)

ALLOWED: dict[str, set[str]] = {
    CommissionStatus.PENDING: {CommissionStatus.APPROVED, CommissionStatus.REVERSED},
    CommissionStatus.APPROVED: {CommissionStatus.SETTLED, CommissionStatus.REVERSED},
    CommissionStatus.SETTLED: {CommissionStatus.REVERSED},
    CommissionStatus.REVERSED: set(),
}


def commission_amount(*, rate_type: str, value: Decimal, base: Decimal | None) -> Decimal:
    """What one line pays: a fixed value, or ``base x value / 100`` rounded half-up."""
    if rate_type == RateType.FIXED:
        return quantize_money(value)
    return quantize_money((base or Decimal("0")) * value / Decimal(100))


def affiliate_accounts(kind: str, affiliate_ids: set[int]) -> dict[int, LedgerAccount]:
    """The ``kind`` accounts of many webmasters (created where missing) in two queries."""
    tenant = current_tenant()
    # webmasters' accounts are in the book currency (issue 17)
    accounts = LedgerAccount.objects.filter(kind=kind, currency=tenant.currency)
    found = {a.affiliate_id: a for a in accounts.filter(affiliate_id__in=affiliate_ids)}
    missing = affiliate_ids - set(found)
    if missing:
        LedgerAccount.objects.bulk_create(
            [
                LedgerAccount(tenant=tenant, kind=kind, affiliate_id=pk, currency=tenant.currency)
                for pk in missing
            ],
            ignore_conflicts=True,
        )
        found.update({a.affiliate_id: a for a in accounts.filter(affiliate_id__in=missing)})
    return found  # type: ignore[return-value]  # webmasters' accounts: affiliate_id is never None


def accrual_postings(commissions: list[Commission]) -> list[Posting]:
    pending = affiliate_accounts(
        AccountKind.WEBMASTER_PENDING, {c.affiliate_id for c in commissions}
    )
    cost = network_account(AccountKind.NETWORK_COST)
    return [
        Posting(
            kind="commission_accrued",
            idempotency_key=f"commission:{c.pk}",
            occurred_on=c.day,
            legs=[(pending[c.affiliate_id], c.amount), (cost, -c.amount)],
            memo=f"{c.event} commission {c.pk}",
        )
        for c in commissions
        if c.amount > 0
    ]


def commissions_accrue_day(*, day: datetime.date) -> dict[str, int]:
    """Daily step: commissions for the conversions of ``day`` (module docstring)."""
    tenant = current_tenant()
    with transaction.atomic():
        advisory_xact_lock(f"commissions.accrue:{tenant.pk}:{day}")
        conversions = list(
            Conversion.objects.filter(day=day)
            .select_related("affiliate", "product", "click")
            .only(
                "id",
                "click__verdict",
                "type",
                "merchant_id",
                "placement_id",
                "affiliate_id",
                "affiliate__kind",
                "amount",
                "customer_type",
                "day",
                "status",
                "product__product_type",
            )
        )
        if not conversions:
            return {"commissions": 0}
        # a commission's day is its conversion's day: no join needed
        done = set(
            Commission.objects.filter(source=CommissionSource.CONVERSION, day=day).values_list(
                "conversion_id", flat=True
            )
        )
        # Issue 21 / seed 000 ("effective conversion"): an order or registration on a click
        # run_daily found invalid (bot, duplicate, over the IP cap, self, blocked) stays
        # attributed, so the merchant and the funnel see it, but it earns no commission.
        todo = [c for c in conversions if c.pk not in done and not on_invalid_click(c)]
        items: dict[int, list[ConversionItem]] = {}
        for item in ConversionItem.objects.filter(conversion_id__in=[c.pk for c in todo]).only(
            "id", "conversion_id", "product_type", "amount"
        ):
            items.setdefault(item.conversion_id, []).append(item)
        book = RuleBook(on_day=day)
        new: list[Commission] = []
        for conversion in todo:
            new.extend(_commissions_for(conversion, items.get(conversion.pk, []), book, tenant))
        created = Commission.objects.bulk_create(new, batch_size=2000)
        ledger_post_bulk(accrual_postings(created))
        reversed_count = _apply_earlier_status_changes(todo, created)
    return {"commissions": len(created), "reversed_on_accrual": reversed_count}


def on_invalid_click(conversion: Conversion) -> bool:
    """The conversion came through a click classified as anything but valid (an unclassified
    click, or none at all, e.g. a coupon order, is not invalid)."""
    click = conversion.click if conversion.click_id else None
    return click is not None and click.verdict not in (
        ClickVerdict.VALID,
        ClickVerdict.UNCLASSIFIED,
    )


def _commissions_for(
    conversion: Conversion, items: list[ConversionItem], book: RuleBook, tenant: Any
) -> list[Commission]:
    kind = conversion.affiliate.kind
    if conversion.type == ConversionType.ORDER and items:
        lines: list[tuple[ConversionItem | None, str, Decimal | None]] = [
            (item, item.product_type, item.amount) for item in items
        ]
    else:
        product_type = (
            conversion.product.product_type  # type: ignore[union-attr]  # product_id is set
            if conversion.product_id
            else ""
        )
        if conversion.type == ConversionType.REGISTRATION:
            product_type = ""
        lines = [(None, product_type, conversion.amount)]
    out: list[Commission] = []
    best_fixed = None
    for item, product_type, base in lines:
        rule = book.resolve(
            event=conversion.type,
            merchant_id=conversion.merchant_id,
            affiliate_id=conversion.affiliate_id,
            affiliate_kind=kind,
            customer_type=conversion.customer_type,
            product_type=product_type,
        )
        if rule is None:
            continue
        if rule.rate_type == RateType.PERCENT:
            out.append(_row(conversion, tenant, rule, item, product_type, base or Decimal("0.00")))
        elif best_fixed is None or rule_specificity(rule) > rule_specificity(best_fixed[0]):
            best_fixed = (rule, product_type)
    if best_fixed is not None:
        rule, product_type = best_fixed
        out.append(_row(conversion, tenant, rule, None, product_type, conversion.amount))
    return out


def _row(
    conversion: Conversion,
    tenant: Any,
    rule: Any,
    item: ConversionItem | None,
    product_type: str,
    base: Decimal | None,
) -> Commission:
    return Commission(
        tenant=tenant,
        affiliate_id=conversion.affiliate_id,
        merchant_id=conversion.merchant_id,
        placement_id=conversion.placement_id,
        conversion_id=conversion.pk,
        conversion_item=item,
        source=CommissionSource.CONVERSION,
        event=conversion.type,
        day=conversion.day,
        customer_type=conversion.customer_type,
        product_type=product_type or "",
        rule=rule,
        rate_type=rule.rate_type,
        rate_value=rule.value,
        base_amount=base,
        amount=commission_amount(rate_type=rule.rate_type, value=rule.value, base=base),
    )


def _apply_earlier_status_changes(conversions: list[Conversion], created: list[Commission]) -> int:
    """A merchant may refund or cancel an order before the nightly accrual: reverse the new
    commissions of such conversions exactly as ``order_status_change`` would have."""
    from apps.commissions.services.orders import commissions_reverse_for_conversion

    changed = {
        c.pk
        for c in conversions
        if c.status in (ConversionStatus.REFUNDED, ConversionStatus.CANCELLED)
    }
    targets = {c.conversion_id for c in created if c.conversion_id in changed}
    for conversion in Conversion.objects.filter(pk__in=targets):
        commissions_reverse_for_conversion(conversion=conversion)
    return len(targets)


# --- approval ------------------------------------------------------------------------------


def approval_postings(rows: list[tuple[int, int, Decimal]], day: datetime.date) -> list[Posting]:
    """``rows`` are ``(commission id, affiliate id, net amount)`` of just-approved ones."""
    ids = {affiliate_id for _, affiliate_id, _ in rows}
    pending = affiliate_accounts(AccountKind.WEBMASTER_PENDING, ids)
    payable = affiliate_accounts(AccountKind.WEBMASTER_PAYABLE, ids)
    return [
        Posting(
            kind="commission_approved",
            idempotency_key=f"commission:{pk}:approved",
            occurred_on=day,
            legs=[(pending[affiliate_id], -net), (payable[affiliate_id], net)],
            memo=f"Approved commission {pk}",
        )
        for pk, affiliate_id, net in rows
        if net > 0
    ]


def commissions_approve_due(*, day: datetime.date) -> dict[str, int]:
    """Daily step ``commissions.approve`` (order 50): approve pending commissions whose day
    is at least ``tenant.lock_period_days`` before ``day`` or whose order the merchant
    confirmed. Set-based: two id reads, one UPDATE ... RETURNING, one ledger statement."""
    tenant = current_tenant()
    cutoff = day - datetime.timedelta(days=tenant.lock_period_days)
    pending = Commission.objects.filter(status=CommissionStatus.PENDING)
    confirmed = Conversion.objects.filter(status=ConversionStatus.CONFIRMED).values("id")
    ids = set(pending.filter(day__lte=cutoff).values_list("pk", flat=True))
    ids |= set(pending.filter(conversion_id__in=confirmed).values_list("pk", flat=True))
    return {"approved": len(commissions_approve(ids=sorted(ids)))}


_APPROVE_SQL = """
UPDATE commissions_commission
   SET status = 'approved', approved_at = %(now)s, updated_at = %(now)s
 WHERE id = ANY(%(ids)s) AND status = 'pending'
RETURNING id, affiliate_id, amount - reversed_amount, merchant_id, conversion_id
"""


def commissions_approve(*, ids: list[int]) -> list[int]:
    """Approve the given pending commissions (others are left alone), each with its ledger
    transaction; returns the ids approved. The bulk form of the pending → approved move of
    ``commission_transition``: the UPDATE re-checks the status under its row locks, so two
    racing runs approve (and post) each commission once."""
    if not ids:
        return []
    now = timezone.now()
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(_APPROVE_SQL, {"now": now, "ids": list(ids)})
            rows = cursor.fetchall()
        day = local_day(now)
        ledger_post_bulk(approval_postings([row[:3] for row in rows], day))
        for pk, affiliate_id, net, merchant_id, conversion_id in rows:
            _emit_commission("commission.approved", pk, conversion_id, net, "approved",
                             merchant_id=merchant_id, affiliate_id=affiliate_id)  # fmt: skip
    return [row[0] for row in rows]


def _emit_commission(
    type_: str, pk: int, conversion_id: int | None, amount: Decimal, status: str, **owners: Any
) -> None:
    """``commission.approved|reversed`` for webhooks and webmaster postbacks (issue 16)."""
    data = {"id": pk, "conversion_id": conversion_id, "amount": str(amount), "status": status,
            "currency": current_tenant().currency}  # fmt: skip
    event_emit(type_, data=data, **owners)


def commission_transition(
    *, commission: Commission, to: str, actor: Any = None, at: datetime.datetime | None = None
) -> Commission:
    """Move one commission through ``ALLOWED`` under a row lock; re-applying its current
    status is a no-op. Approval posts its ledger transaction; settlement (settle's payment)
    only stamps ``settled_at``; reversals go through ``services.orders``."""
    with transaction.atomic():
        locked = lock_object(Commission.objects.all(), commission.pk)
        if locked.status == to:
            return locked
        if to not in ALLOWED[locked.status]:
            raise CommissionStateError(
                f"Commission {locked.pk} is {locked.status}; it cannot become {to}.",
                status=locked.status,
                to=to,
            )
        if to == CommissionStatus.APPROVED:
            commissions_approve(ids=[locked.pk])
            return Commission.objects.get(pk=locked.pk)
        now = at or timezone.now()
        locked.status = to
        fields = ["status", "updated_at"]
        if to == CommissionStatus.SETTLED:
            locked.settled_at = now
            fields.append("settled_at")
        if to == CommissionStatus.REVERSED:
            locked.reversed_at = now
            fields.append("reversed_at")
        locked.save(update_fields=fields)
        if to == CommissionStatus.REVERSED:
            _emit_commission("commission.reversed", locked.pk, locked.conversion_id,
                             locked.amount, to, merchant_id=locked.merchant_id,
                             affiliate_id=locked.affiliate_id)  # fmt: skip
    return locked


def commissions_settle(*, ids: list[int], at: datetime.datetime | None = None) -> int:
    """Mark approved commissions settled (``settled_at``): the bulk form of approved ->
    settled, used by a statement's approval (the caller holds the rows locked and has checked
    them against its lines). Returns how many changed."""
    if not ids:
        return 0
    now = at or timezone.now()
    return Commission.objects.filter(pk__in=list(ids), status=CommissionStatus.APPROVED).update(
        status=CommissionStatus.SETTLED, settled_at=now, updated_at=now
    )


def commission_reversal_apply(
    *, commission: Commission, target: Decimal, reason: str, at: datetime.datetime
) -> None:
    """Record a refund on a locked commission: ``reversed_amount = target`` with its reason;
    a full reversal also makes the status reversed (``reversed_at``). A partial one keeps the
    status (the net payout is ``amount - reversed_amount``). The ledger posting is the
    caller's (``services.orders``)."""
    commission.reversed_amount = target
    commission.reversal_reason = reason
    if target >= commission.amount:
        commission.status = CommissionStatus.REVERSED
        commission.reversed_at = at
    commission.save(
        update_fields=["reversed_amount", "reversal_reason", "status", "reversed_at", "updated_at"]
    )
    _emit_commission("commission.reversed", commission.pk, commission.conversion_id, target,
                     commission.status, merchant_id=commission.merchant_id,
                     affiliate_id=commission.affiliate_id)  # fmt: skip


# --- disputes ------------------------------------------------------------------------------


def _dispute_found_order(merchant: Any, order_reference: str) -> Conversion | None:
    return (
        Conversion.objects.filter(
            merchant=merchant, type=ConversionType.ORDER, external_id=order_reference
        )
        .select_related("product")
        .first()
    )


def commission_create_from_dispute(
    *,
    affiliate: Any,
    merchant: Any,
    order_reference: str,
    order_date: datetime.date,
    amount: Decimal,
    dispute_reference: str,
    actor: Any = None,
) -> Commission:
    """An accepted missing-commission dispute becomes a commission (issues 5/6, 21).

    **No double pay** (issue 21): when tracking holds the order (``order_reference`` at the
    merchant) and it is already attributed to this webmaster, the acceptance is refused
    (``CommissionError`` code ``already_attributed``): tracking pays it, or deliberately does
    not (an invalid click, a refund), and a dispute must not pay it again. We refuse rather
    than pay a difference: the tracked commission already follows the rules, so any
    "difference" is a rule question for staff, not a second payout (docs/billing.md).

    **A found order is paid as any order**: its real amount, customer type and product types
    (its lines) go through the same rule resolution as accrual (``_commissions_for``) for this
    webmaster; several percent lines make one commission of their sum. Without a found order
    the rule is resolved on ``order_date`` with customer and product type unknown (only rules
    that are "any" on those match) and ``amount`` is the base of a percent rule.

    The commission is created *pending* (source ``dispute``, no placement), so it runs the same
    lock period as tracked ones, and its accrual is posted to the ledger. Idempotent on
    ``dispute_reference``. No matching rule: ``CommissionError`` (code ``no_matching_rule``).
    """
    tenant = current_tenant()
    amount = quantize_money(Decimal(amount))
    existing = Commission.objects.filter(
        source=CommissionSource.DISPUTE, source_reference=dispute_reference
    ).first()
    if existing is not None:
        return existing
    order = _dispute_found_order(merchant, order_reference)
    if order is not None and order.affiliate_id == affiliate.pk:
        raise CommissionError(
            f"Order {order_reference} at {merchant.code} is already attributed to this "
            f"webmaster by tracking (order of {order.day.isoformat()}); its commission is paid "
            "(or withheld) there, so a dispute cannot pay it a second time.",
            code=CommissionError.ALREADY_ATTRIBUTED,
            field="order_reference",
        )
    if order is not None:
        rows = _found_order_rows(order, affiliate, tenant)
        if not rows:
            raise CommissionError(
                f"No order commission rule matches {affiliate} and {merchant} for order "
                f"{order_reference} (its customer type and product types); add a rule first.",
                code=CommissionError.NO_RULE,
            )
        first = rows[0]
        values = {
            "day": order.day,
            "customer_type": order.customer_type,
            "product_type": first.product_type,
            "rule": first.rule,
            "rate_type": first.rate_type,
            "rate_value": first.rate_value,
            "base_amount": order.amount,
            "amount": sum((row.amount for row in rows), Decimal("0.00")),
        }
    else:
        rule = RuleBook(on_day=order_date, events=[ConversionType.ORDER]).resolve(
            event=ConversionType.ORDER,
            merchant_id=merchant.pk,
            affiliate_id=affiliate.pk,
            affiliate_kind=affiliate.kind,
            customer_type="",
            product_type="",
        )
        if rule is None:
            raise CommissionError(
                f"No order commission rule matches {affiliate} and {merchant} on {order_date} "
                "(with customer and product type unknown); add a rule first.",
                code=CommissionError.NO_RULE,
            )
        values = {
            "day": order_date,
            "rule": rule,
            "rate_type": rule.rate_type,
            "rate_value": rule.value,
            "base_amount": amount,
            "amount": commission_amount(rate_type=rule.rate_type, value=rule.value, base=amount),
        }
    try:
        with transaction.atomic():
            commission = Commission.objects.create(
                tenant=tenant,
                affiliate=affiliate,
                merchant=merchant,
                source=CommissionSource.DISPUTE,
                source_reference=dispute_reference,
                order_reference=order_reference,
                event=ConversionType.ORDER,
                **values,
            )
            ledger_post_bulk(accrual_postings([commission]))
    except IntegrityError:
        return Commission.objects.get(
            source=CommissionSource.DISPUTE, source_reference=dispute_reference
        )
    return commission


def _found_order_rows(order: Conversion, affiliate: Any, tenant: Any) -> list[Commission]:
    """What accrual would pay ``affiliate`` for ``order`` (unsaved rows, by the order's day)."""
    items = list(ConversionItem.objects.filter(conversion=order))
    order.affiliate = affiliate  # resolve for the disputing webmaster (its id and kind)
    order.affiliate_id = affiliate.pk
    return _commissions_for(order, items, RuleBook(on_day=order.day), tenant)


__all__ = [
    "ALLOWED",
    "commission_create_from_dispute",
    "commission_transition",
    "commissions_accrue_day",
    "commissions_approve",
    "commissions_approve_due",
    "ledger_account_for",
]
