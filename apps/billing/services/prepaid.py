"""Prepaid balances (issue 21, docs/billing.md): deposits finance records, the low-balance
warning, and the serving stop.

A merchant's *available* prepaid money is ``balance + receivable - unbilled``
(``apps.billing.selectors.PrepaidPosition``): its ledger balance (deposits, rebates and
credits, less spend and CPS charges taken from it), less what approved invoices still ask,
less the CPS commissions it has incurred but not been invoiced for yet (with the fee).

When the tenant requires prepayment, a merchant whose available money is zero or less gets
``Merchant.prepaid_exhausted`` and the serving snapshot stops serving its campaigns; the flag
is cleared as soon as a deposit (or a credit) brings it above zero. Without the requirement
no merchant is ever flagged. The flag is written only here, with ``live_state_changed()``.
Balances are re-checked after each deposit and invoice, and nightly after spend is charged
(daily step ``billing.prepaid``); within a day the campaigns' daily budgets bound spend.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django.db import IntegrityError, transaction

from apps.billing.errors import DepositError
from apps.billing.models import MerchantDeposit
from apps.billing.selectors import PrepaidPosition, merchant_prepaid_positions
from apps.campaigns.models import Merchant
from apps.commissions.models import AccountKind
from apps.commissions.services.ledger import ledger_account_for, ledger_post, network_account
from apps.core.history import history_note
from apps.core.money import ZERO, quantize_money
from apps.tenants.live import live_state_changed
from apps.tenants.scope import current_tenant


def merchant_deposit_record(
    *,
    merchant: Merchant,
    amount: Decimal,
    received_on: datetime.date,
    reference: str,
    note: str = "",
    actor: Any = None,
) -> MerchantDeposit:
    """Finance records prepaid money received from ``merchant``: a ``MerchantDeposit`` and the
    ledger transaction ``deposit:<id>`` (``merchant_balance +d``, ``network_cash -d``); then
    the merchant's serving flag is re-checked. A bank reference is recorded once per merchant
    (the same reference again is refused, so a double click deposits once)."""
    reference = (reference or "").strip()
    if not reference:
        raise DepositError(
            "Give the bank's reference of the deposit.",
            code=DepositError.REFERENCE,
            field="reference",
        )
    if not isinstance(amount, Decimal) or quantize_money(amount) <= 0:
        raise DepositError(
            f"A deposit is a positive amount such as 5000.00, not {amount}.",
            code=DepositError.AMOUNT,
            field="amount",
        )
    amount = quantize_money(amount)
    try:
        with transaction.atomic():
            deposit = MerchantDeposit.objects.create(
                tenant=current_tenant(),
                merchant=merchant,
                amount=amount,
                received_on=received_on,
                reference=reference[:120],
                note=(note or "")[:300],
                recorded_by=actor if getattr(actor, "pk", None) else None,
            )
            deposit.ledger_transaction = ledger_post(
                kind="merchant_deposit",
                idempotency_key=f"deposit:{deposit.pk}",
                occurred_on=received_on,
                legs=[
                    (
                        ledger_account_for(kind=AccountKind.MERCHANT_BALANCE, merchant=merchant),
                        amount,
                    ),
                    (network_account(AccountKind.NETWORK_CASH), -amount),
                ],
                memo=f"Deposit {reference} from {merchant}",
                created_by=deposit.recorded_by,
            )
            deposit.save(update_fields=["ledger_transaction", "updated_at"])
            merchants_prepaid_refresh(merchant_ids=[merchant.pk])
    except IntegrityError as exc:
        if "merchant_deposit_reference" not in str(exc):
            raise
        raise DepositError(
            f"A deposit with reference {reference} is already recorded for {merchant}.",
            code=DepositError.REFERENCE,
            field="reference",
        ) from exc
    return deposit


def is_low(position: PrepaidPosition, *, tenant: Any = None) -> bool:
    """The low-balance warning: available money below the tenant's threshold."""
    tenant = tenant or current_tenant()
    return cast(bool, position.available < tenant.low_balance_warning)


def merchants_prepaid_refresh(*, merchant_ids: list[int] | None = None) -> dict[str, int]:
    """Set or clear ``prepaid_exhausted`` of every (or the given) merchant by the rule in the
    module docstring; the serving snapshot is told when any flag moved. Returns counts."""
    tenant = current_tenant()
    if (
        not tenant.prepayment_required
        and not Merchant.objects.filter(prepaid_exhausted=True).exists()
    ):
        return {"prepaid_exhausted": 0, "prepaid_changed": 0, "prepaid_low": 0}
    with transaction.atomic():
        positions = merchant_prepaid_positions(merchant_ids=merchant_ids)
        flagged = set(
            Merchant.objects.filter(pk__in=list(positions), prepaid_exhausted=True).values_list(
                "pk", flat=True
            )
        )
        should = (
            {pk for pk, pos in positions.items() if pos.available <= ZERO}
            if tenant.prepayment_required
            else set()
        )
        moved = 0
        for merchant in Merchant.objects.filter(pk__in=sorted(should ^ flagged)).order_by("pk"):
            exhausted = merchant.pk in should
            merchant.prepaid_exhausted = exhausted
            history_note(
                merchant,
                None,
                "prepaid balance used up: not served"
                if exhausted
                else "prepaid balance available: served again",
            )
            merchant.save(update_fields=["prepaid_exhausted", "updated_at"])
            moved += 1
        if moved:
            live_state_changed()
        low = sum(1 for pos in positions.values() if is_low(pos, tenant=tenant))
    return {"prepaid_exhausted": len(should), "prepaid_changed": moved, "prepaid_low": low}


def merchants_prepaid_refresh_day(*, day: datetime.date) -> dict[str, int]:
    """Daily step ``billing.prepaid`` (order 36, after the day's spend is charged)."""
    return merchants_prepaid_refresh()
