"""Invalid traffic from the roll-ups (issue 14): by day, reason, webmaster, site and placement.

Everything reads ``PlacementDayStats`` (one row per placement and day, with a count per
verdict), never raw clicks, so the risk home and desk cost the same at any traffic volume: one
grouped query per table shown."""

from __future__ import annotations

import datetime
from typing import Any

from django.db.models import F, QuerySet, Sum
from django.db.models.functions import Coalesce

from apps.tracking.models import PlacementDayStats

#: the invalid verdicts and their roll-up columns, in the order the desk shows them (rows carry
#: each reason's count under its column's name)
REASONS = (
    ("bot", "Bots", "bot_clicks"),
    ("blocked", "Block list", "blocked_clicks"),
    ("self", "Own clicks", "self_clicks"),
    ("duplicate", "Duplicates", "duplicate_clicks"),
    ("ip_cap", "Over the IP cap", "ip_cap_clicks"),
)
#: a webmaster, site or placement needs this many clicks to rank by invalid rate
MIN_CLICKS = 100


def _sums() -> dict[str, Any]:
    sums: dict[str, Any] = {
        "clicks": Coalesce(Sum("clicks"), 0),
        "valid": Coalesce(Sum("valid_clicks"), 0),
    }
    for _, _, column in REASONS:
        sums[column] = Coalesce(Sum(column), 0)
    return sums


def stats_window(
    *, tenant: Any, first: datetime.date, last: datetime.date, **filters: Any
) -> QuerySet[PlacementDayStats]:
    return PlacementDayStats.objects.filter(
        tenant=tenant, day__gte=first, day__lte=last, **filters
    ).order_by()


def invalid_by_day(
    *, tenant: Any, first: datetime.date, last: datetime.date, **filters: Any
) -> list[dict[str, Any]]:
    """One row per day in ``[first, last]`` (days without traffic included, as zeros)."""
    rows = {
        row["day"]: row
        for row in stats_window(tenant=tenant, first=first, last=last, **filters)
        .values("day")
        .annotate(**_sums())
    }
    out = []
    day = first
    while day <= last:
        row = rows.get(day) or {
            "day": day,
            "clicks": 0,
            "valid": 0,
            **{c: 0 for _, _, c in REASONS},
        }
        row["invalid"] = row["clicks"] - row["valid"]
        out.append(row)
        day += datetime.timedelta(days=1)
    return out


def invalid_ranked(
    *,
    tenant: Any,
    first: datetime.date,
    last: datetime.date,
    by: str,
    limit: int = 5,
    min_clicks: int = MIN_CLICKS,
    **filters: Any,
) -> list[dict[str, Any]]:
    """Webmasters (``by="affiliate"``), sites or placements with the highest invalid share of
    at least ``min_clicks`` clicks in the window, highest first."""
    names = {
        "affiliate": ("affiliate_id", "affiliate__name"),
        "site": ("site_id", "site__name"),
        "placement": ("placement_id", "placement__code"),
    }[by]
    extra: tuple[str, ...] = ("site__affiliate_id",) if by != "affiliate" else ()
    if by == "placement":
        extra = ("placement__site__affiliate_id", "placement__is_active")
    grouped = (
        stats_window(tenant=tenant, first=first, last=last, **filters)
        .values(*names, *extra)
        .annotate(**_sums())
        .annotate(invalid=F("clicks") - F("valid"))
        .filter(clicks__gte=min_clicks)
    )
    # the share as a ratio in the database: invalid * 10000 / clicks (basis points, integers)
    ranked = grouped.annotate(
        share_bp=F("invalid") * 10000 / F("clicks"),
    ).order_by("-share_bp", "-invalid", names[0])[:limit]
    out = []
    for row in ranked:
        row["id"], row["name"] = row[names[0]], row[names[1]]
        out.append(row)
    return out
