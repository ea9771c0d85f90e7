"""Merchant rebates (DESIGN.md rule 9): a merchant earns a rebate on its month's spend by its
tier and spend bracket.

``rebates_credit_month(period="YYYY-MM")``: for each merchant with spend in that month
(``CampaignDayStats.spend`` over the tenant-local days of the month), the bracket is the
``RebateTier`` of the merchant's tier with the highest ``monthly_spend_from`` not above the
spend; the rebate is ``quantize_money(spend x rate)`` on the whole month's spend. A positive
rebate is one ``MerchantRebate`` row (once per merchant and period) and one ledger
transaction ``rebate:<merchant>:<period>`` (``merchant_balance`` +r, ``network_cost`` -r).
Idempotent: a month already credited is left alone (late spend changes do not re-credit).
"""

from __future__ import annotations

import datetime
import re
from decimal import Decimal

from django.db import transaction
from django.db.models import Sum

from apps.campaigns.models import Merchant
from apps.commissions.errors import RebateError
from apps.commissions.models import AccountKind, MerchantRebate, RebateTier
from apps.commissions.services.ledger import ledger_account_for, ledger_post, network_account
from apps.core.money import quantize_money
from apps.tenants import clock
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats

PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of ``YYYY-MM`` (``apps.tenants.clock.period_bounds``); a malformed
    period is a ``RebateError``."""
    try:
        return clock.period_bounds(period)
    except clock.PeriodError as exc:
        raise RebateError(f"A period is YYYY-MM (e.g. 2026-03), not {period!r}.") from exc


def rebate_rate_for(tiers: list[RebateTier], spend: Decimal) -> Decimal:
    """The rate of the highest bracket ``spend`` reaches (0 when none)."""
    reached = [t for t in tiers if t.monthly_spend_from <= spend]
    if not reached:
        return Decimal("0")
    return max(reached, key=lambda t: t.monthly_spend_from).rate


def rebates_credit_month(*, period: str) -> dict[str, int]:
    """See the module docstring. Returns how many rebates were credited now."""
    start, end = period_bounds(period)
    tenant = current_tenant()
    tiers: dict[str, list[RebateTier]] = {}
    for tier in RebateTier.objects.all():
        tiers.setdefault(tier.merchant_tier, []).append(tier)
    spend = dict(
        CampaignDayStats.objects.filter(day__gte=start, day__lte=end)
        .values("merchant_id")
        .annotate(total=Sum("spend"))
        .values_list("merchant_id", "total")
    )
    done = set(MerchantRebate.objects.filter(period=period).values_list("merchant_id", flat=True))
    credited = 0
    cost = network_account(AccountKind.NETWORK_COST)
    for merchant in Merchant.objects.filter(pk__in=set(spend) - done).order_by("pk"):
        total = quantize_money(spend[merchant.pk] or Decimal("0"))
        rate = rebate_rate_for(tiers.get(merchant.tier, []), total)
        amount = quantize_money(total * rate)
        if amount <= 0:
            continue
        with transaction.atomic():
            tx = ledger_post(
                kind="rebate",
                idempotency_key=f"rebate:{merchant.pk}:{period}",
                occurred_on=end,
                legs=[
                    (
                        ledger_account_for(kind=AccountKind.MERCHANT_BALANCE, merchant=merchant),
                        amount,
                    ),
                    (cost, -amount),
                ],
                memo=f"Rebate {period}: {rate:%} of {total}",
            )
            MerchantRebate.objects.create(
                tenant=tenant,
                merchant=merchant,
                period=period,
                spend=total,
                rate=rate,
                amount=amount,
                transaction=tx,
            )
        credited += 1
    return {"rebates": credited}


#: The month before a day's month (``apps.tenants.clock.previous_period``).
previous_period = clock.previous_period
