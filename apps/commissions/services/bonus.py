"""Monthly performance bonus tiers for webmasters (issue 17, docs/currency.md).

A scheme is the network's tiers (``BonusTier`` without a merchant: all of a webmaster's GMV
and commissions) or one merchant's (that merchant's only). For each webmaster and scheme, the
month's GMV picks the highest tier with ``gmv_from <= GMV``; it pays ``percent`` of the
month's commissions (half-up to cents), or its ``fixed_amount``, as one statement line of the
month (``statement_lines_wanted``, key ``("bonus", tier id)``).

- GMV: the month's attributed orders (tenant-local days), in the tenant's currency, net of
  refunds, cancelled ones left out (the roll-ups' GMV, read from the orders themselves so an
  order on the month's last day counts before that night's run);
- commissions: the month's commissions by their day, net of reversals (pending ones too: the
  tier rewards the month's work, whether or not its commissions are approved yet);
- a draft statement follows refunds until it is submitted; an approved statement's bonus is
  paid and stays (a later refund does not claw a bonus back).
``bonus_evaluate`` is pure; ``bonus_basis`` reads what it needs in two queries.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum

from apps.core.money import ZERO, quantize_money


@dataclass(frozen=True)
class TierRow:
    pk: int
    merchant_id: int | None
    merchant_name: str
    gmv_from: Decimal
    percent: Decimal | None
    fixed_amount: Decimal | None


@dataclass(frozen=True)
class Basis:
    gmv: Decimal = ZERO
    commissions: Decimal = ZERO


@dataclass(frozen=True)
class BonusReached:
    affiliate_id: int
    tier: TierRow
    basis: Basis
    amount: Decimal

    def description(self) -> str:
        scheme = self.tier.merchant_name or "network"
        if self.tier.percent is not None:
            prize = f"{self.tier.percent.normalize():f} % of {self.basis.commissions} commissions"
        else:
            prize = "fixed bonus"
        return (
            f"Bonus tier ({scheme}): GMV {self.basis.gmv} reached {self.tier.gmv_from}, {prize}"
        )[:300]


def tier_reached(tiers: Iterable[TierRow], gmv: Decimal) -> TierRow | None:
    """The highest tier of one scheme that ``gmv`` reaches (None below the lowest)."""
    best = None
    for tier in tiers:
        if tier.gmv_from <= gmv and (best is None or tier.gmv_from > best.gmv_from):
            best = tier
    return best


def tier_prize(tier: TierRow, basis: Basis) -> Decimal:
    if tier.percent is not None:
        return quantize_money(basis.commissions * tier.percent / Decimal(100))
    return quantize_money(tier.fixed_amount or ZERO)


def schemes(tiers: Iterable[TierRow]) -> dict[int | None, list[TierRow]]:
    out: dict[int | None, list[TierRow]] = defaultdict(list)
    for tier in tiers:
        out[tier.merchant_id].append(tier)
    return dict(out)


def bonus_evaluate(tiers: list[TierRow], basis: dict[tuple[int, int], Basis]) -> list[BonusReached]:
    """Every (webmaster, scheme) whose month reached a tier, with a positive prize. ``basis``
    is per (webmaster, merchant). Pure."""
    by_scheme = schemes(tiers)
    if not by_scheme:
        return []
    totals: dict[int, Basis] = {}
    for (affiliate_id, _), part in basis.items():
        total = totals.get(affiliate_id, Basis())
        totals[affiliate_id] = Basis(total.gmv + part.gmv, total.commissions + part.commissions)
    reached = []
    for merchant_id, scheme in sorted(by_scheme.items(), key=lambda kv: kv[0] or 0):
        if merchant_id is None:
            parts = totals
        else:
            parts = {a: b for (a, m), b in basis.items() if m == merchant_id}
        for affiliate_id, part in sorted(parts.items()):
            tier = tier_reached(scheme, part.gmv)
            if tier is None:
                continue
            amount = tier_prize(tier, part)
            if amount > 0:
                reached.append(BonusReached(affiliate_id, tier, part, amount))
    return reached


def active_tiers() -> list[TierRow]:
    from apps.commissions.models import BonusTier

    return [
        TierRow(pk, merchant_id, name or "", gmv_from, percent, fixed)
        for pk, merchant_id, name, gmv_from, percent, fixed in BonusTier.objects.filter(
            is_active=True
        ).values_list("pk", "merchant_id", "merchant__name", "gmv_from", "percent", "fixed_amount")
    ]


def bonus_basis(
    *, start: datetime.date, end: datetime.date, affiliate_id: int | None = None
) -> dict[tuple[int, int], Basis]:
    """Per (webmaster, merchant): the GMV and net commissions of the days ``start..end``."""
    from apps.commissions.models import Commission, CommissionStatus
    from apps.tracking.models import Conversion, ConversionStatus, ConversionType

    orders = Conversion.objects.filter(
        type=ConversionType.ORDER, day__gte=start, day__lte=end
    ).exclude(status=ConversionStatus.CANCELLED)
    commissions = Commission.objects.filter(day__gte=start, day__lte=end).exclude(
        status=CommissionStatus.REVERSED
    )
    if affiliate_id is not None:
        orders = orders.filter(affiliate_id=affiliate_id)
        commissions = commissions.filter(affiliate_id=affiliate_id)
    gmv: dict[tuple[int, int], Decimal] = {
        (a, m): total or ZERO
        for a, m, total in orders.values("affiliate_id", "merchant_id")
        .annotate(total=Sum(F("amount") - F("refund_amount")))
        .values_list("affiliate_id", "merchant_id", "total")
        .order_by()
    }
    net: dict[tuple[int, int], Decimal] = {
        (a, m): total or ZERO
        for a, m, total in commissions.values("affiliate_id", "merchant_id")
        .annotate(total=Sum(F("amount") - F("reversed_amount")))
        .values_list("affiliate_id", "merchant_id", "total")
        .order_by()
    }
    return {
        key: Basis(quantize_money(gmv.get(key, ZERO)), quantize_money(net.get(key, ZERO)))
        for key in set(gmv) | set(net)
    }


@dataclass(frozen=True)
class SchemeProgress:
    """One scheme's month so far for one webmaster (the portal's progress)."""

    label: str
    basis: Basis
    reached: TierRow | None
    prize: Decimal
    next_tier: TierRow | None
    #: GMV still to make for the next tier (None at the top)
    to_next: Decimal | None
    #: the next tier's prize on the commissions so far
    next_prize: Decimal | None

    @property
    def share_to_next(self) -> Decimal | None:
        """How far from the reached tier (or 0) to the next one, 0..1, for a meter."""
        if self.next_tier is None:
            return None
        floor = self.reached.gmv_from if self.reached else ZERO
        span = self.next_tier.gmv_from - floor
        return min(Decimal(1), max(ZERO, (self.basis.gmv - floor) / span)) if span else None


def bonus_progress(
    *, affiliate_id: int, start: datetime.date, end: datetime.date
) -> list[SchemeProgress]:
    """Each scheme that concerns the webmaster this month: the network's always (when it has
    tiers), a merchant's once the webmaster has orders or commissions with it. The same rule
    as the statement (``bonus_evaluate``), on the days so far."""
    tiers = active_tiers()
    if not tiers:
        return []
    basis = bonus_basis(start=start, end=end, affiliate_id=affiliate_id)
    total = Basis(
        sum((b.gmv for b in basis.values()), ZERO),
        sum((b.commissions for b in basis.values()), ZERO),
    )
    out = []
    for merchant_id, scheme in sorted(schemes(tiers).items(), key=lambda kv: kv[0] or 0):
        if merchant_id is None:
            part, label = total, "Network bonus"
        else:
            if (affiliate_id, merchant_id) not in basis:
                continue
            part, label = basis[(affiliate_id, merchant_id)], f"{scheme[0].merchant_name} bonus"
        reached = tier_reached(scheme, part.gmv)
        higher = sorted((t for t in scheme if t.gmv_from > part.gmv), key=lambda t: t.gmv_from)
        following = higher[0] if higher else None
        out.append(
            SchemeProgress(
                label=label,
                basis=part,
                reached=reached,
                prize=tier_prize(reached, part) if reached else ZERO,
                next_tier=following,
                to_next=(following.gmv_from - part.gmv) if following else None,
                next_prize=tier_prize(following, part) if following else None,
            )
        )
    return out
