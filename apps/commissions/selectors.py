"""Reads on the money: balances are sums of ledger legs (never stored)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce

from apps.commissions.models import AccountKind, Commission, LedgerAccount, LedgerEntry

ZERO = Value(Decimal("0.00"), output_field=DecimalField(max_digits=14, decimal_places=2))


def account_balance(account: LedgerAccount) -> Decimal:
    total: Decimal = LedgerEntry.objects.filter(account=account).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]
    return total


def _party_balance(**lookup: Any) -> Decimal:
    total: Decimal = LedgerEntry.objects.filter(
        **{f"account__{k}": v for k, v in lookup.items()}
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    return total


def affiliate_payable_balance(affiliate: Any) -> Decimal:
    """What the network owes the webmaster now: approved commissions and contract earnings,
    less payouts and reversals (pending commissions are in ``affiliate_pending_balance``)."""
    return _party_balance(kind=AccountKind.WEBMASTER_PAYABLE, affiliate=affiliate)


def affiliate_pending_balance(affiliate: Any) -> Decimal:
    return _party_balance(kind=AccountKind.WEBMASTER_PENDING, affiliate=affiliate)


def merchant_balance(merchant: Any) -> Decimal:
    """The merchant's account: credits (deposits, compensation, rebates) less spend."""
    return _party_balance(kind=AccountKind.MERCHANT_BALANCE, merchant=merchant)


def accounts_with_balances() -> QuerySet[LedgerAccount]:
    """Every account of the tenant with ``balance`` annotated (one query for a page)."""
    return LedgerAccount.objects.select_related("affiliate", "merchant").annotate(
        balance=Coalesce(Sum("entries__amount"), ZERO)
    )


def clawbacks_due() -> QuerySet[Commission]:
    """Settled commissions refunded later: settle's next statement claws these back."""
    return Commission.objects.filter(settled_at__isnull=False, reversed_amount__gt=0)
