"""Nightly site weights 1-10 (DESIGN.md rule 4; issue 21), step ``commissions.weights``.

An **absolute** scale around the tenant's typical site, so a weight means the same whatever
the other sites do (docs/billing.md). Over the 30 tenant-local days ending ``day``
(inclusive), from ``PlacementDayStats`` summed per site, ``rate = (registrations + orders) /
valid_clicks``:

- a site with fewer than 100 valid clicks is *unknown*: the neutral weight 5;
- the tenant's *reference* is the median rate of its proven sites (>= 100 valid clicks); when
  that median is 0, their mean; when that is 0 too, every proven site is neutral (5);
- a proven site's rate is made cautious for little data by blending in 100 clicks at the
  reference rate, ``(conversions + 100 x reference) / (valid + 100)``, and compared with the
  reference: ``score = cautious rate / reference``;
- ``score = 1`` (the typical site, a lone site, sites all tied) is 5; above it the weight
  climbs by one per fifth of the reference, ``5 + ceil(5 x (score - 1))`` up to 10; below it
  it falls the same way, ``5 - ceil(5 x (1 - score))`` down to 1.

So a proven site converting better than the reference is always above 5 and outranks every
unknown site; a proven poor one is below 5. Exact arithmetic (``Fraction``). Applied through
``apps.sites.services.site_weights_apply``; the serving snapshot is told when any weight moved
(``live_state_changed``).
"""

from __future__ import annotations

import datetime
import math
from fractions import Fraction

from django.db.models import Sum

from apps.sites.models import Site
from apps.sites.services import site_weights_apply
from apps.tenants.live import live_state_changed
from apps.tracking.models import PlacementDayStats

MIN_VALID_CLICKS = 100
#: clicks at the reference rate blended into every proven site's own (the confidence rule)
PRIOR_CLICKS = 100
WINDOW_DAYS = 30
DEFAULT_WEIGHT = NEUTRAL_WEIGHT = 5


def _median(values: list[Fraction]) -> Fraction:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    return (ordered[middle - 1] + ordered[middle]) / 2


def weight_for_score(score: Fraction) -> int:
    if score >= 1:
        return min(10, NEUTRAL_WEIGHT + math.ceil(5 * (score - 1)))
    return max(1, NEUTRAL_WEIGHT - math.ceil(5 * (1 - score)))


def weights_for(stats: dict[int, tuple[int, int]]) -> dict[int, int]:
    """``{site_id: (valid_clicks, conversions)}`` → weights of the proven sites (pure); the
    others are unknown (``NEUTRAL_WEIGHT``)."""
    proven = {site: v for site, v in stats.items() if v[0] >= MIN_VALID_CLICKS}
    if not proven:
        return {}
    rates = [Fraction(conversions, valid) for valid, conversions in proven.values()]
    reference = _median(rates) or sum(rates, Fraction(0)) / len(rates)
    if reference == 0:
        return dict.fromkeys(proven, NEUTRAL_WEIGHT)
    out = {}
    for site, (valid, conversions) in proven.items():
        cautious = Fraction(conversions + PRIOR_CLICKS * reference) / (valid + PRIOR_CLICKS)
        out[site] = weight_for_score(cautious / reference)
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
    current = dict(Site.objects.values_list("pk", "weight"))
    for site_id in current:
        weights.setdefault(site_id, NEUTRAL_WEIGHT)
    site_weights_apply(weights=weights, day=day)  # tells the serving snapshot
    if any(current.get(site_id) != weight for site_id, weight in weights.items()):
        live_state_changed()  # (once per transaction: a no-op when the service told it)
    ranked = sum(1 for v in stats.values() if v[0] >= MIN_VALID_CLICKS)
    return {"sites_ranked": ranked, "sites_weighted": len(weights)}
