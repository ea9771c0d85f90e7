"""The webmaster's daily report (API.md ``GET /reports/daily``, DESIGN.md rule 3).

Aggregates only: the funnel comes from the tracking roll-ups (``PlacementDayStats``, or
``PlacementSubDayStats`` with ``by_sub``), the contract earnings from ``DailyEarning``, and the
conversion earnings from the commission records net of reversals (API.md: "``earnings`` leave
reversed commissions out"), so a refund shows up in the report without rerunning the day. No
merchant's order record is ever read into a row. Three or four queries whatever the range.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Sum

from apps.commissions.models import Commission, CommissionStatus, DailyEarning
from apps.core.money import ZERO, allocate
from apps.tracking.funnel import (
    INVALID_REASONS,
    funnel_row,
    funnel_zero,
    orders_on_invalid_clicks,
)
from apps.tracking.models import ConversionType, PlacementDayStats, PlacementSubDayStats

EARNING_KEYS = ("clicks", "guarantee_topup", "registrations", "orders")


def _earnings(
    clicks: Decimal = ZERO,
    guarantee_topup: Decimal = ZERO,
    registrations: Decimal = ZERO,
    orders: Decimal = ZERO,
) -> dict[str, Decimal]:
    return {
        "clicks": clicks,
        "guarantee_topup": guarantee_topup,
        "registrations": registrations,
        "orders": orders,
        "total": clicks + guarantee_topup + registrations + orders,
    }


def _filtered(queryset: Any, *, site: Any, placement: Any) -> Any:
    if site is not None:
        queryset = queryset.filter(placement__site=site)
    if placement is not None:
        queryset = queryset.filter(placement=placement)
    return queryset


def daily_report(
    *,
    affiliate: Any,
    date_from: datetime.date,
    date_to: datetime.date,
    site: Any = None,
    placement: Any = None,
    by_sub: bool = False,
) -> list[dict[str, Any]]:
    """Rows per day and placement (and ``sub`` tag with ``by_sub``), oldest first:
    ``{date, site, site_name, placement, clicks, valid_clicks, invalid_clicks,
    invalid_by_reason, landings, lost_after_jump, registrations, orders, earnings}``.

    The funnel columns are ``apps.tracking.funnel.funnel_row`` (defined once there):
    ``landings`` counts valid clicks that landed, so ``lost_after_jump = valid_clicks -
    landings`` is never negative and adds up over a range. With ``by_sub`` each
    placement-day's earnings are split over its sub rows (click income and top-up by valid
    clicks, conversion fees by registrations and orders; largest remainder, so the rows add up
    to the placement's day to the cent)."""
    range_filter = {"affiliate": affiliate, "day__gte": date_from, "day__lte": date_to}
    earnings = {
        (row.placement_id, row.day): row
        for row in _filtered(
            DailyEarning.objects.filter(**range_filter), site=site, placement=placement
        ).select_related("placement", "site")
    }
    fees: dict[tuple[int, datetime.date], dict[str, Decimal]] = defaultdict(
        lambda: {"registrations": ZERO, "orders": ZERO}
    )
    commission_rows = (
        _filtered(Commission.objects.filter(**range_filter), site=site, placement=placement)
        .filter(placement__isnull=False)
        .exclude(status=CommissionStatus.REVERSED)
        .values("placement_id", "day", "event")
        .annotate(net=Sum(F("amount") - F("reversed_amount")))
        .order_by()
    )
    for row in commission_rows:
        key = "registrations" if row["event"] == ConversionType.REGISTRATION else "orders"
        fees[(row["placement_id"], row["day"])][key] += row["net"] or ZERO

    def earnings_of(placement_id: int, day: datetime.date) -> dict[str, Decimal]:
        earning = earnings.get((placement_id, day))
        fee = fees.get((placement_id, day), {"registrations": ZERO, "orders": ZERO})
        return _earnings(
            earning.click_income if earning else ZERO,
            earning.guarantee_topup if earning else ZERO,
            fee["registrations"],
            fee["orders"],
        )

    if by_sub:
        return _sub_rows(
            affiliate=affiliate,
            range_filter=range_filter,
            site=site,
            placement=placement,
            earnings_of=earnings_of,
        )

    rows: dict[tuple[int, datetime.date], dict[str, Any]] = {}
    stats = _filtered(
        PlacementDayStats.objects.filter(**range_filter), site=site, placement=placement
    ).select_related("placement", "site")
    invalid_orders = orders_on_invalid_clicks(
        **{
            **range_filter,
            **({"placement__site": site} if site is not None else {}),
            **({"placement": placement} if placement is not None else {}),
        }
    )
    for stat in stats:
        rows[(stat.placement_id, stat.day)] = {
            **_identity(stat.day, stat.site, stat.placement),
            **funnel_row(stat, invalid_orders=invalid_orders.get((stat.placement_id, stat.day))),
        }
    # A guaranteed day without any click still pays its top-up: it gets a row of its own.
    for (placement_id, day), earning in earnings.items():
        if (placement_id, day) not in rows:
            rows[(placement_id, day)] = {
                **_identity(day, earning.site, earning.placement),
                **_zero_funnel(),
                "invalid_by_reason": dict.fromkeys(INVALID_REASONS, 0),
            }
    for (placement_id, day), row in rows.items():
        row["earnings"] = earnings_of(placement_id, day)
    return sorted(rows.values(), key=lambda r: (r["date"], r["site"], r["placement"]))


def _identity(day: datetime.date, site: Any, placement: Any) -> dict[str, Any]:
    return {
        "date": day,
        "site": site.pk,
        "site_name": site.name,
        "placement": placement.code,
        "placement_id": placement.pk,
    }


def _zero_funnel() -> dict[str, int]:
    return funnel_zero()


def _split(amount: Decimal, weights: list[int]) -> list[Decimal]:
    if not weights:
        return []
    if sum(weights) == 0:
        weights = [1] * len(weights)
    return allocate(amount, [Decimal(weight) for weight in weights])


def _sub_rows(
    *, affiliate: Any, range_filter: dict[str, Any], site: Any, placement: Any, earnings_of: Any
) -> list[dict[str, Any]]:
    groups: dict[tuple[int, datetime.date], list[dict[str, Any]]] = defaultdict(list)
    stats = _filtered(
        PlacementSubDayStats.objects.filter(**range_filter), site=site, placement=placement
    ).select_related("placement__site")
    for stat in stats:
        groups[(stat.placement_id, stat.day)].append(
            {
                **_identity(stat.day, stat.placement.site, stat.placement),
                "sub": stat.sub,
                **funnel_row(stat, with_reasons=False),  # the sub roll-up keeps no reasons
            }
        )
    rows: list[dict[str, Any]] = []
    for (placement_id, day), group in groups.items():
        total = earnings_of(placement_id, day)
        group.sort(key=lambda r: r["sub"])
        valid = [r["valid_clicks"] for r in group]
        parts = {
            "clicks": _split(total["clicks"], valid),
            "guarantee_topup": _split(total["guarantee_topup"], valid),
            "registrations": _split(total["registrations"], [r["registrations"] for r in group]),
            "orders": _split(total["orders"], [r["orders"] for r in group]),
        }
        for index, row in enumerate(group):
            row["earnings"] = _earnings(*(parts[key][index] for key in EARNING_KEYS))
            rows.append(row)
    return sorted(rows, key=lambda r: (r["date"], r["site"], r["placement"], r["sub"]))


def funnel_by_placement(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum daily rows per site and placement over the range (the portal's funnel table)."""
    totals: dict[tuple[int, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["site"], row["placement"])
        total = totals.get(key)
        if total is None:
            total = totals[key] = {
                "site": row["site"],
                "site_name": row["site_name"],
                "placement": row["placement"],
                **_zero_funnel(),
                "invalid_by_reason": dict.fromkeys(INVALID_REASONS, 0),
                "earnings": _earnings(),
            }
        for name in _zero_funnel():
            total[name] += row[name]
        for reason, count in (row.get("invalid_by_reason") or {}).items():
            total["invalid_by_reason"][reason] += count
        for name, amount in row["earnings"].items():
            total["earnings"][name] += amount
    return sorted(totals.values(), key=lambda r: (r["site_name"], r["placement"]))


def earnings_by_day(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sum daily rows per date (the portal's earnings chart)."""
    days: dict[datetime.date, dict[str, Any]] = {}
    for row in rows:
        day = days.setdefault(row["date"], {"date": row["date"], **_earnings()})
        for name, amount in row["earnings"].items():
            day[name] += amount
    return [days[key] for key in sorted(days)]


def commission_status_split(
    *, affiliate: Any, date_from: datetime.date, date_to: datetime.date
) -> list[dict[str, Any]]:
    """The webmaster's commissions of [from, to] by event and status, net of reversals (the
    earnings page's split; the same statuses the statements' notes use): pending (locked,
    paid on a later statement once approved), approved (due on the next statement unless
    already on a draft), settled (paid by an approved statement). Fully reversed ones are
    left out, as in ``daily_report``."""
    labels = dict(Commission._meta.get_field("event").choices)
    statuses = dict(Commission._meta.get_field("status").choices)
    rows = (
        Commission.objects.filter(affiliate=affiliate, day__gte=date_from, day__lte=date_to)
        .exclude(status=CommissionStatus.REVERSED)
        .values("event", "status")
        .annotate(count=Count("pk"), amount=Sum(F("amount") - F("reversed_amount")))
        .order_by("event", "status")
    )
    return [
        {
            **row,
            "amount": row["amount"] or ZERO,
            "event_label": labels.get(row["event"], row["event"]),
            "status_label": statuses.get(row["status"], row["status"]),
        }
        for row in rows
    ]
