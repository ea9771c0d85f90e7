"""Back-test of the forecast before launch (issue 18): for each product with 60 days of
roll-ups, forecast days 31-60 from days 1-30 and compare with what happened.

    python -m bench.forecast_backtest                  # the "bench" tenant of bench.generate
    python -m bench.forecast_backtest --slug bench-dev

The 60 days are the last 60 days of the tenant's roll-ups. Each product is forecast as of day
30 (``apps.growth.forecast.product_forecast(as_of=...)``, exactly what the API and the portal
call) at the middle tier, its own ROI over days 1-30 (what a merchant following the
recommendation picks), and with a daily budget that cannot bind (bench.generate does not cap
its generated spend by budget, so a binding budget would measure the generator, not the
model). The error is the absolute percentage error of the forecast daily GMV and spend against
the mean of days 31-60, averaged over the products whose actual figure is above zero (MAPE).
Products forecast on too little history (``basis: none``) are counted apart and left out.

Writes ``bench/results/forecast_backtest.json`` and prints a section for bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

UNBOUNDED_BUDGET = Decimal("999999999999.99")
HISTORY_DAYS = 30
RESULTS = Path(__file__).resolve().parent / "results"


def _ape(forecast: Decimal, actual: Decimal) -> Decimal | None:
    if actual <= 0:
        return None
    return abs(forecast - actual) / actual


def backtest(*, slug: str) -> dict[str, Any]:
    from django.db.models import Max, Min, Sum

    from apps.campaigns.models import Product
    from apps.core.money import roi
    from apps.growth.forecast import NONE, product_forecast
    from apps.tenants.models import Tenant
    from apps.tenants.scope import tenant_scope
    from apps.tracking.models import CampaignDayStats

    tenant = Tenant.objects.get(slug=slug)
    started = time.perf_counter()
    with tenant_scope(tenant):
        last = CampaignDayStats.objects.aggregate(last=Max("day"))["last"]
        if last is None:
            raise SystemExit(f"{slug} has no roll-ups: run python -m bench.generate first")
        first = last - datetime.timedelta(days=2 * HISTORY_DAYS - 1)
        as_of = first + datetime.timedelta(days=HISTORY_DAYS - 1)
        window = CampaignDayStats.objects.filter(
            day__gte=first, day__lte=last, product__isnull=False
        )
        rows = (
            window.values("product_id")
            .annotate(
                first_day=Min("day"),
                gmv_then=Sum("gmv", filter=_q(lte=as_of)),
                spend_then=Sum("spend", filter=_q(lte=as_of)),
                gmv_now=Sum("gmv", filter=_q(gt=as_of)),
                spend_now=Sum("spend", filter=_q(gt=as_of)),
            )
            .order_by("product_id")
        )
        candidates = {row["product_id"]: row for row in rows if row["first_day"] == first}
        products = Product.objects.in_bulk(list(candidates))
        gmv_errors: list[Decimal] = []
        spend_errors: list[Decimal] = []
        by_basis: dict[str, int] = {}
        zero_actuals = 0
        for product_id, row in candidates.items():
            target = roi(gmv=row["gmv_then"] or Decimal(0), spend=row["spend_then"]) or Decimal(1)
            forecast = product_forecast(
                product=products[product_id],
                daily_budget=UNBOUNDED_BUDGET,
                target_roi=max(target, Decimal("0.01")),
                as_of=as_of,
            )
            by_basis[forecast.basis] = by_basis.get(forecast.basis, 0) + 1
            if forecast.basis == NONE:
                continue
            days = Decimal(HISTORY_DAYS)
            gmv = _ape(forecast.gmv, (row["gmv_now"] or Decimal(0)) / days)
            spend = _ape(forecast.spend, (row["spend_now"] or Decimal(0)) / days)
            zero_actuals += gmv is None or spend is None
            if gmv is not None:
                gmv_errors.append(gmv)
            if spend is not None:
                spend_errors.append(spend)

    def pct(values: list[Decimal], how: Any) -> float | None:
        return round(float(how(values)) * 100, 1) if values else None

    return {
        "slug": slug,
        "history": [first.isoformat(), as_of.isoformat()],
        "actual": [(as_of + datetime.timedelta(days=1)).isoformat(), last.isoformat()],
        "products": len(candidates),
        "by_basis": by_basis,
        "zero_actuals": zero_actuals,
        "mape_gmv_pct": pct(gmv_errors, statistics.mean),
        "mape_spend_pct": pct(spend_errors, statistics.mean),
        "median_ape_gmv_pct": pct(gmv_errors, statistics.median),
        "median_ape_spend_pct": pct(spend_errors, statistics.median),
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }


def _q(**bound: datetime.date) -> Any:
    from django.db.models import Q

    return Q(**{f"day__{op}": day for op, day in bound.items()})


def section(result: dict[str, Any], scale: str) -> str:
    return "\n".join(
        [
            "## Forecast back-test (issue 18)",
            "",
            f"`python -m bench.forecast_backtest --slug {result['slug']}` on the data of "
            f"`python -m bench.generate --scale {scale}`: each of the {result['products']:,} "
            f"products with 60 days of roll-ups forecast from {result['history'][0]} to "
            f"{result['history'][1]} at its middle tier with a budget that does not bind, "
            f"against its mean day from {result['actual'][0]} to {result['actual'][1]} "
            f"(bases: {result['by_basis']}; load average {result['load_average']}; "
            f"{result['seconds']} s).",
            "",
            "| figure | GMV | spend |",
            "|---|---|---|",
            f"| MAPE | {result['mape_gmv_pct']}% | {result['mape_spend_pct']}% |",
            f"| median APE | {result['median_ape_gmv_pct']}% | {result['median_ape_spend_pct']}% |",
            "",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--slug", default="bench")
    parser.add_argument("--scale", default="1.0", help="the scale the data was generated at")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    result = backtest(slug=args.slug)
    result["scale"] = args.scale
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "forecast_backtest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(section(result, args.scale))


if __name__ == "__main__":
    main()
