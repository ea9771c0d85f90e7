"""Merchant order status changes and commission reversals (API.md
``POST /orders/{external_id}/status``; issue 5 "Reversals carry a reason code").

``order_status_change`` records the new status on the conversion (tracking's
``conversion_status_set``), then:
- ``confirmed``: the order's pending commissions are approved now (the merchant's
  confirmation ends the lock period);
- ``refunded`` (full or partial) / ``cancelled``: each commission of the order is reversed by
  the refunded share: ``target = quantize_money(amount x refund_amount / order amount)``
  (cancelled, or a refund of the whole amount or with no order amount: the full ``amount``).
  Only the difference to what was already reversed is posted, so repeating a call changes
  nothing and a larger later refund reverses the rest.
  - before settlement (pending/approved): ``reversed_amount`` = target; a full reversal makes
    the status ``reversed`` (``reversed_at``, ``reversal_reason``); a partial one keeps the
    status (its net payout is ``amount - reversed_amount``);
  - after settlement (``settled_at`` set): the row keeps ``settled_at`` and gets
    ``reversed_amount`` > 0: status ``reversed`` if full, still ``settled`` if partial. That
    is the mark settle's next statement picks up as a clawback line of ``-reversed_amount``.
  Every reversal posts ``account -x / network_cost +x`` (``services.ledger``), keyed
  ``commission:<id>:reversal:<reversed_amount after>``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.commissions.errors import OrderStatusError
from apps.commissions.models import AccountKind, Commission, CommissionStatus, LedgerAccount
from apps.commissions.services.accrual import commission_reversal_apply, commissions_approve
from apps.commissions.services.ledger import Posting, ledger_post_bulk, network_account
from apps.core.money import quantize_money
from apps.tenants.clock import local_day
from apps.tenants.scope import current_tenant
from apps.tracking.models import Conversion, ConversionStatus, ConversionType, ReversalReason


def order_status_change(
    *,
    merchant: Any,
    external_id: str,
    status: str,
    refund_amount: Decimal | None = None,
    reason: str = "",
    actor: Any = None,
) -> Conversion:
    """See the module docstring. Unknown order of this merchant: ``OrderStatusError``
    (code ``order_not_found``, answered 404 by the API)."""
    from apps.tracking.services import conversion_status_set

    conversion = Conversion.objects.filter(
        merchant=merchant, type=ConversionType.ORDER, external_id=external_id
    ).first()
    if conversion is None:
        raise OrderStatusError(
            f"Merchant {merchant} has no order {external_id!r}.",
            code=OrderStatusError.NOT_FOUND,
        )
    if reason and reason not in ReversalReason.values:
        raise OrderStatusError(
            f"reason must be one of {', '.join(ReversalReason.values)}, not {reason!r}.",
            field="reason",
        )
    with transaction.atomic():
        conversion = conversion_status_set(
            conversion=conversion, status=status, refund_amount=refund_amount, reason=reason
        )
        if conversion.status == ConversionStatus.CONFIRMED:
            ids = list(
                Commission.objects.filter(
                    conversion=conversion, status=CommissionStatus.PENDING
                ).values_list("pk", flat=True)
            )
            commissions_approve(ids=ids)
        elif conversion.status in (ConversionStatus.REFUNDED, ConversionStatus.CANCELLED):
            commissions_reverse_for_conversion(conversion=conversion, actor=actor)
    return conversion


def _reversal_reason(conversion: Conversion) -> str:
    if conversion.status_reason:
        return conversion.status_reason
    if conversion.status == ConversionStatus.CANCELLED:
        return ReversalReason.CANCELLED
    return ReversalReason.RETURNED


def _target(commission: Commission, conversion: Conversion) -> Decimal:
    if conversion.status == ConversionStatus.CANCELLED:
        return commission.amount
    order_amount = conversion.amount or Decimal("0")
    refund = conversion.refund_amount or Decimal("0")
    if order_amount <= 0 or refund >= order_amount or refund <= 0:
        return commission.amount
    return min(commission.amount, quantize_money(commission.amount * refund / order_amount))


def commissions_reverse_for_conversion(*, conversion: Conversion, actor: Any = None) -> int:
    """Reverse (or mark for clawback) the commissions of a refunded/cancelled conversion by
    its current refund; returns how many commissions changed. Idempotent."""
    tenant = current_tenant()
    now = timezone.now()
    reason = _reversal_reason(conversion)
    changed: list[tuple[Commission, Decimal, str]] = []
    with transaction.atomic():
        for commission in Commission.objects.select_for_update().filter(conversion=conversion):
            target = _target(commission, conversion)
            delta = target - commission.reversed_amount
            if delta <= 0:
                continue
            # Where the money sits now: pending until approved, payable after.
            account_kind = (
                AccountKind.WEBMASTER_PENDING
                if commission.status == CommissionStatus.PENDING
                else AccountKind.WEBMASTER_PAYABLE
            )
            commission_reversal_apply(commission=commission, target=target, reason=reason, at=now)
            changed.append((commission, delta, account_kind))
        if changed:
            from apps.commissions.services.accrual import affiliate_accounts

            ids = {c.affiliate_id for c, _, _ in changed}
            accounts: dict[str, dict[int, LedgerAccount]] = {
                kind: affiliate_accounts(kind, ids)
                for kind in (AccountKind.WEBMASTER_PENDING, AccountKind.WEBMASTER_PAYABLE)
            }
            cost = network_account(AccountKind.NETWORK_COST)
            day = local_day(now, tenant)
            ledger_post_bulk(
                [
                    Posting(
                        kind="commission_reversed",
                        idempotency_key=f"commission:{c.pk}:reversal:{c.reversed_amount}",
                        occurred_on=day,
                        legs=[(accounts[kind][c.affiliate_id], -delta), (cost, delta)],
                        memo=f"Reversal ({c.reversal_reason}) of commission {c.pk}",
                        created_by=actor,
                    )
                    for c, delta, kind in changed
                ]
            )
    return len(changed)
