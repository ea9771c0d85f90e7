"""Nightly site weights 1-10 (DESIGN.md rule 4, issue 5), step ``commissions.weights``.

Over the 30 tenant-local days ending ``day`` (inclusive), from ``PlacementDayStats`` summed
per site: a site with at least 100 valid clicks is *ranked*; its ratio is
``(registrations + orders) / valid_clicks``. Among the ranked sites of the tenant,
``percent_rank = (number of ranked sites with a strictly lower ratio) / (n - 1)``, which is
PostgreSQL's ``PERCENT_RANK()`` over the ratio ascending (ties share the lowest rank; a lone
ranked site has 0). ``weight = 1 + floor(9 x percent_rank)``: the best site gets 10, the
worst 1. Every other site of the tenant gets weight 5. Exact arithmetic (``Fraction``).
Applied through ``apps.sites.services.site_weights_apply``.
"""

from __future__ import annotations

import datetime
import math
from fractions import Fraction

from django.db.models import Sum

from apps.sites.models import Site
from apps.sites.services import site_weights_apply
from apps.tracking.models import PlacementDayStats

MIN_VALID_CLICKS = 100
WINDOW_DAYS = 30
DEFAULT_WEIGHT = 5


def weights_for(stats: dict[int, tuple[int, int]]) -> dict[int, int]:
    """``{site_id: (valid_clicks, conversions)}`` → weights of the ranked sites (pure)."""
    ranked = {
        site: Fraction(conversions, valid)
        for site, (valid, conversions) in stats.items()
        if valid >= MIN_VALID_CLICKS
    }
    n = len(ranked)
    if n == 0:
        return {}
    ratios = sorted(ranked.values())
    out = {}
    for site, ratio in ranked.items():
        lower = next(i for i, r in enumerate(ratios) if r == ratio)
        rank = Fraction(lower, n - 1) if n > 1 else Fraction(0)
        out[site] = 1 + math.floor(9 * rank)
    return out


def site_weights_compute(*, day: datetime.date) -> dict[str, int]:
    """Daily step (order 40): see the module docstring."""
    start = day - datetime.timedelta(days=WINDOW_DAYS - 1)
    stats = {
        row["site_id"]: (row["valid"] or 0, (row["regs"] or 0) + (row["orders"] or 0))
        for row in PlacementDayStats.objects.filter(day__gte=start, day__lte=day)
        .values("site_id")
        .annotate(valid=Sum("valid_clicks"), regs=Sum("registrations"), orders=Sum("orders"))
    }
    weights = weights_for(stats)
    for site_id in Site.objects.exclude(pk__in=list(weights)).values_list("pk", flat=True):
        weights[site_id] = DEFAULT_WEIGHT
    site_weights_apply(weights=weights, day=day)
    ranked = sum(1 for v in stats.values() if v[0] >= MIN_VALID_CLICKS)
    return {"sites_ranked": ranked, "sites_weighted": len(weights)}
