"""Shared builders for the statement tests (money rows created in their tenant's scope)."""

import datetime
from decimal import Decimal

from django.utils import timezone

from apps.commissions.models import Commission
from apps.tenants.scope import tenant_scope
from tests.commissions.factories import CommissionFactory, DailyEarningFactory
from tests.sites.factories import PlacementFactory, SiteFactory


def earning(affiliate, day: datetime.date, clicks: str, topup: str = "0.00", orders: str = "0.00"):
    """A DailyEarning of ``affiliate`` on a placement of its own (total = the sum)."""
    placement = PlacementFactory(
        tenant=affiliate.tenant, site=SiteFactory(tenant=affiliate.tenant, affiliate=affiliate)
    )
    click_income, guarantee_topup, order_commission = (
        Decimal(clicks),
        Decimal(topup),
        Decimal(orders),
    )
    return DailyEarningFactory(
        tenant=affiliate.tenant,
        placement=placement,
        day=day,
        click_income=click_income,
        guarantee_topup=guarantee_topup,
        order_commission=order_commission,
        total=click_income + guarantee_topup + order_commission,
    )


def commission(affiliate, amount: str, *, status: str = "approved", day=None, reversed_amount="0"):
    now = timezone.now()
    return CommissionFactory(
        tenant=affiliate.tenant,
        affiliate=affiliate,
        amount=Decimal(amount),
        status=status,
        day=day or datetime.date(2026, 3, 10),
        approved_at=now if status in ("approved", "settled") else None,
        settled_at=now if status == "settled" else None,
        reversed_amount=Decimal(reversed_amount),
    )


def refund_after_settlement(commission_row: Commission, reversed_amount: str) -> None:
    """What money's order service leaves behind for a refund of a settled commission: the
    commission stays settled with ``reversed_amount`` > 0 (test helper; no ledger posting)."""
    with tenant_scope(commission_row.tenant):
        Commission.objects.filter(pk=commission_row.pk).update(
            reversed_amount=Decimal(reversed_amount),
            reversal_reason="returned",
            reversed_at=timezone.now(),
        )


def reverse_before_settlement(commission_row: Commission) -> None:
    with tenant_scope(commission_row.tenant):
        Commission.objects.filter(pk=commission_row.pk).update(
            status="reversed",
            reversed_amount=commission_row.amount,
            reversal_reason="cancelled",
            reversed_at=timezone.now(),
        )
