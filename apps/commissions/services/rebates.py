"""Merchant rebates (DESIGN.md rule 9, seed 001; issue 21): a merchant earns a rebate on its
month's spend by its tier and spend bracket.

**Marginal brackets** (docs/billing.md): the ``RebateTier`` rows of the merchant's tier,
ordered by ``monthly_spend_from``, cut the month's spend into slices; each slice earns its own
bracket's rate (``rate x (min(spend, next from) - from)``), like income-tax brackets. So one
more unit of spend never lowers the rebate (no cliff at a threshold), and the top rate is
reached only at the margin. Spend below the lowest bracket earns nothing. The rebate is the
sum in full precision, rounded once, half-up. Worked (brand 0 → 2 %, 100,000 → 3 %, 500,000 →
3.8 %): 600,000.00 of spend earns 2,000 + 12,000 + 3,800 = 17,800.00 (an effective 2.97 %).

**Caps** (seed 001: "up to 3.8 % brand, 3 % high-potential, 2.5 % small and medium"): no
bracket's rate exceeds its tier's cap (``REBATE_RATE_CAPS``), checked by the model and by the
database. A new tenant starts with ``DEFAULT_TIERS`` (``rebate_tiers_default_create``, run by
``tenant_create``), which staff change in the back office (history is kept).

``rebates_credit_month(period="YYYY-MM")``: for each merchant with spend in that month
(``CampaignDayStats.spend`` over the tenant-local days of the month), a positive rebate is one
``MerchantRebate`` row (once per merchant and period; ``rate`` is the effective rate) and one
ledger transaction ``rebate:<merchant>:<period>`` (``merchant_balance`` +r, ``network_cost``
-r). Idempotent: a month already credited is left alone (late spend changes do not re-credit).
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Sum

from apps.campaigns.models import Merchant, MerchantTier
from apps.commissions.errors import RebateError
from apps.commissions.models import RATE_CAPS, AccountKind, MerchantRebate, RebateTier
from apps.commissions.services.ledger import ledger_account_for, ledger_post, network_account
from apps.core.money import quantize_money
from apps.tenants import clock
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats

ZERO4 = Decimal("0.0000")
PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of ``YYYY-MM`` (``apps.tenants.clock.period_bounds``); a malformed
    period is a ``RebateError``."""
    try:
        return clock.period_bounds(period)
    except clock.PeriodError as exc:
        raise RebateError(f"A period is YYYY-MM (e.g. 2026-03), not {period!r}.") from exc


def rebate_for(tiers: list[RebateTier], spend: Decimal) -> tuple[Decimal, Decimal]:
    """``(rebate, effective rate)`` of ``spend`` by marginal brackets (module docstring)."""
    brackets = sorted(tiers, key=lambda t: t.monthly_spend_from)
    raw = Decimal("0")
    for index, tier in enumerate(brackets):
        upper = brackets[index + 1].monthly_spend_from if index + 1 < len(brackets) else None
        top = spend if upper is None else min(spend, upper)
        if top > tier.monthly_spend_from:
            raw += (top - tier.monthly_spend_from) * tier.rate
    amount = quantize_money(raw)
    rate = (amount / spend).quantize(Decimal("0.0001"), ROUND_HALF_UP) if spend > 0 else ZERO4
    return amount, rate


#: seed 001's maxima per merchant tier (a bracket's rate never exceeds its tier's)
REBATE_RATE_CAPS = RATE_CAPS

#: a new tenant's brackets (seed 001's maxima at the top), changed by staff afterwards
DEFAULT_TIERS: list[tuple[str, str, str]] = [
    (MerchantTier.BRAND, "0", "0.0200"),
    (MerchantTier.BRAND, "100000", "0.0300"),
    (MerchantTier.BRAND, "500000", "0.0380"),
    (MerchantTier.HIGH_POTENTIAL, "0", "0.0150"),
    (MerchantTier.HIGH_POTENTIAL, "100000", "0.0300"),
    (MerchantTier.SMB, "0", "0.0100"),
    (MerchantTier.SMB, "50000", "0.0250"),
]


def rebate_tiers_default_create(*, tenant: Any) -> int:
    """Give a new tenant ``DEFAULT_TIERS`` (a tenant setup step of ``tenant_create``); tiers
    that exist are left as they are. Returns how many were created."""
    created = 0
    for merchant_tier, spend_from, rate in DEFAULT_TIERS:
        _, made = RebateTier.objects.get_or_create(
            tenant=tenant,
            merchant_tier=merchant_tier,
            monthly_spend_from=Decimal(spend_from),
            defaults={"rate": Decimal(rate)},
        )
        created += made
    return created


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
        amount, rate = rebate_for(tiers.get(merchant.tier, []), total)
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
                memo=f"Rebate {period}: {amount} on {total} (marginal brackets)",
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
