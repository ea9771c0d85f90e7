"""Campaign performance, nightly product tagging and auction inputs, read from the roll-ups.

Owned by the campaigns side of issue 4 (it lives in tracking because it reads tracking's
roll-ups, and apps import only to their left). Everything here reads ``CampaignDayStats``
(one row per campaign, product and tenant-local day), never raw clicks or impressions, except
the optional ``raw_today`` part of ``campaign_bid_inputs`` (see there).

For the serve view (tracking, /serve/), the exact call is::

    from apps.tracking.performance import campaign_bid_inputs
    inputs = campaign_bid_inputs(campaign_ids=[...], now=timezone.now())
    # -> {campaign_id: apps.campaigns.auction.BidInputs(
    #        clicks, impressions, gmv_30d, clicks_30d, spend_today)}

and then ``apps.campaigns.auction.is_eligible(...)``, ``bid_for_campaign(..., inputs=...)`` and
``run_auction(bids, floor_cpm=placement.floor_cpm)``. Campaigns without roll-ups get
``BidInputs()`` (zeros), so every id asked for is in the answer.

Choices (docs/contract-notes.md "Campaigns and the auction"):
- ``roi`` and ``attainment`` are ``apps.core.money.roi`` / ``attainment`` (the one rule: ROI
  to 2 places half-up, attainment to 4); both are None when there is no spend, ``attainment``
  is None without a target ROI.
- predicted CTR uses *valid* clicks over impressions (only valid clicks are charged).
- the 30-day windows end on the tenant-local day before ``now`` for bids (today is not rolled
  up yet) and on ``day`` itself for the nightly tagging step.
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, IntegerField, OuterRef, Q, Subquery, Sum
from django.db.models.functions import Coalesce

from apps.campaigns.auction import BidInputs
from apps.campaigns.models import Campaign
from apps.campaigns.services.products import ProductTaggingStats, product_tagging_refresh
from apps.core.money import attainment, quantize_money, roi
from apps.tenants.clock import day_window, local_day
from apps.tracking.models import CampaignDayStats, Click, Impression, ProvisionalCampaignDay

ZERO = Decimal("0.00")
WINDOW_DAYS = 30
_MONEY = DecimalField(max_digits=16, decimal_places=2)


def _sum(field: str) -> Coalesce:
    if field in {"spend", "gmv"}:
        return Coalesce(Sum(field), ZERO, output_field=_MONEY)
    return Coalesce(Sum(field), 0, output_field=IntegerField())


def campaign_performance(
    *, campaign: Campaign, date_from: datetime.date, date_to: datetime.date
) -> dict[str, Any]:
    """Spend, GMV, ROI and attainment of one plan over tenant-local days [from, to]."""
    totals = CampaignDayStats.objects.filter(
        campaign=campaign, day__gte=date_from, day__lte=date_to
    ).aggregate(
        spend=_sum("spend"),
        gmv=_sum("gmv"),
        impressions=_sum("impressions"),
        valid_clicks=_sum("valid_clicks"),
        orders=_sum("orders"),
    )
    target = campaign.target_roi
    return {
        "from": date_from,
        "to": date_to,
        "spend": totals["spend"],
        "gmv": totals["gmv"],
        "roi": roi(gmv=totals["gmv"], spend=totals["spend"]),
        "target_roi": target,
        "attainment": attainment(gmv=totals["gmv"], spend=totals["spend"], target_roi=target),
        "impressions": totals["impressions"],
        "valid_clicks": totals["valid_clicks"],
        "orders": totals["orders"],
    }


def _daily_series(
    *, date_from: datetime.date, date_to: datetime.date, counts: tuple[str, ...], **filters: Any
) -> list[dict[str, Any]]:
    """Spend, GMV, ROI (and the ``counts`` columns) per day over [from, to], zeros on quiet
    days, from the roll-ups matching ``filters``."""
    rows = {
        row["day"]: row
        for row in CampaignDayStats.objects.filter(day__gte=date_from, day__lte=date_to, **filters)
        .values("day")
        .annotate(spend=_sum("spend"), gmv=_sum("gmv"), **{name: _sum(name) for name in counts})
        .order_by("day")
    }
    series = []
    day = date_from
    while day <= date_to:
        row = rows.get(day)
        spend = row["spend"] if row else ZERO
        gmv = row["gmv"] if row else ZERO
        point = {"day": day, "spend": spend, "gmv": gmv, "roi": roi(gmv=gmv, spend=spend)}
        point.update({name: row[name] if row else 0 for name in counts})
        series.append(point)
        day += datetime.timedelta(days=1)
    return series


def campaign_daily_series(
    *, campaign: Campaign, date_from: datetime.date, date_to: datetime.date
) -> list[dict[str, Any]]:
    """One row per day in [from, to] (days without activity are zeros), for charts."""
    return _daily_series(
        date_from=date_from,
        date_to=date_to,
        counts=("impressions", "valid_clicks", "orders"),
        campaign=campaign,
    )


def product_tagging_stats_query(*, day: datetime.date) -> Any:
    """Per product, the 30 tenant-local days ending ``day``: ``(product_id, orders,
    valid_clicks, gmv, spend)`` (a query: the nightly tagging runs it inside its UPDATE)."""
    start = day - datetime.timedelta(days=WINDOW_DAYS - 1)
    return (
        CampaignDayStats.objects.filter(day__gte=start, day__lte=day, product__isnull=False)
        .values("product_id")
        .annotate(
            orders=_sum("orders"),
            valid_clicks=_sum("valid_clicks"),
            gmv=_sum("gmv"),
            spend=_sum("spend"),
        )
        .values_list("product_id", "orders", "valid_clicks", "gmv", "spend")
        .order_by("product_id")
    )


def product_tagging_stats(*, day: datetime.date) -> dict[int, ProductTaggingStats]:
    """Per product, the 30 tenant-local days ending ``day``: orders, valid clicks, GMV, spend."""
    rows = product_tagging_stats_query(day=day).values(
        "product_id", "orders", "valid_clicks", "gmv", "spend"
    )
    return {
        row["product_id"]: ProductTaggingStats(
            orders=row["orders"],
            valid_clicks=row["valid_clicks"],
            gmv=row["gmv"],
            spend=row["spend"],
        )
        for row in rows
    }


def median_conversion_rate(stats: Iterable[ProductTaggingStats]) -> Decimal | None:
    """The tenant's median conversion rate over products with valid clicks (None if none)."""
    rates = [row.conversion_rate for row in stats if row.conversion_rate is not None]
    if not rates:
        return None
    return Decimal(statistics.median(rates))


def product_tagging_step(*, day: datetime.date) -> dict[str, int]:
    """The nightly tagging step of ``run_daily`` (registered from apps/campaigns/apps.py):
    recompute every product's 30-day facts and tag, in one SQL statement
    (``product_tagging_refresh``: the same results as ``product_tagging_apply`` over
    ``product_tagging_stats``, without a product in memory; issue 19). Idempotent."""
    return product_tagging_refresh(day=day, stats=product_tagging_stats_query(day=day))


def campaign_bid_inputs(
    *,
    campaign_ids: Iterable[int],
    now: datetime.datetime,
    raw_today: bool = False,
) -> dict[int, BidInputs]:
    """What each campaign's bid needs, by campaign id:

    - ``clicks``, ``impressions``: all rolled-up history (valid clicks), for predicted CTR;
    - ``gmv_30d``, ``clicks_30d``: the 30 tenant-local days before today, for full-site CPC;
    - ``spend_today``: today's roll-up row if one exists; otherwise, with ``raw_today=True``,
      today's charges read from raw rows (rendered CPM impressions at price_cpm / 1000, and
      clicks that carry a CPC impression at its cpc_price, before click validation, so an
      upper bound). Two aggregate queries over today's rows of the tenant: use it only where
      that cost is acceptable (or cache the answer for a few seconds).
    """
    ids = sorted(set(campaign_ids))
    if not ids:
        return {}
    today = local_day(now)
    window_start = today - datetime.timedelta(days=WINDOW_DAYS)
    in_window = Q(day__gte=window_start, day__lt=today)
    rows = (
        CampaignDayStats.objects.filter(campaign_id__in=ids)
        .values("campaign_id")
        .annotate(
            clicks=_sum("valid_clicks"),
            impressions=_sum("impressions"),
            gmv_30d=Coalesce(Sum("gmv", filter=in_window), ZERO, output_field=_MONEY),
            clicks_30d=Coalesce(
                Sum("valid_clicks", filter=in_window), 0, output_field=IntegerField()
            ),
            spend_today=Coalesce(Sum("spend", filter=Q(day=today)), ZERO, output_field=_MONEY),
            rows_today=Count("pk", filter=Q(day=today)),
        )
    )
    found = {row["campaign_id"]: row for row in rows}
    raw: dict[int, Decimal] = {}
    if raw_today:
        missing = [cid for cid in ids if not (found.get(cid) or {}).get("rows_today")]
        raw = _raw_spend_today(campaign_ids=missing, today=today) if missing else {}
    answer = {}
    for cid in ids:
        row = found.get(cid)
        if row is None:
            answer[cid] = BidInputs(spend_today=raw.get(cid, ZERO))
            continue
        spend_today = row["spend_today"] if row["rows_today"] else raw.get(cid, ZERO)
        answer[cid] = BidInputs(
            clicks=row["clicks"],
            impressions=row["impressions"],
            gmv_30d=row["gmv_30d"],
            clicks_30d=row["clicks_30d"],
            spend_today=spend_today,
        )
    return answer


def _raw_spend_today(*, campaign_ids: list[int], today: datetime.date) -> dict[int, Decimal]:
    """A provisional intraday *upper bound* of today's charges from raw rows, for budget pacing
    in serving only (``campaign_bid_inputs(raw_today=True)``). Not spend: spend is what
    ``run_daily`` charged (``CampaignDayStats.spend``, the ledger's ``spend:`` postings), and no
    screen, API or statement shows this figure (docs/reconcile.md)."""
    start, end = day_window(today)
    spend: dict[int, Decimal] = {}
    cpm_rows = (
        Impression.objects.filter(
            campaign_id__in=campaign_ids,
            served_at__gte=start,
            served_at__lt=end,
            cpc_price__isnull=True,
            rendered_at__isnull=False,
        )
        .values("campaign_id")
        .annotate(total=Coalesce(Sum("price_cpm"), Decimal(0)))
    )
    for row in cpm_rows:
        spend[row["campaign_id"]] = row["total"] / Decimal(1000)
    price = Impression.objects.filter(impression_id=OuterRef("impression_id")).values("cpc_price")[
        :1
    ]
    cpc_rows = (
        Click.objects.filter(
            campaign_id__in=campaign_ids,
            clicked_at__gte=start,
            clicked_at__lt=end,
            impression_id__isnull=False,
        )
        .annotate(cpc_price=Subquery(price))
        .values("campaign_id")
        .annotate(total=Coalesce(Sum("cpc_price"), Decimal(0)))
    )
    for row in cpc_rows:
        spend[row["campaign_id"]] = spend.get(row["campaign_id"], Decimal(0)) + row["total"]
    return {cid: quantize_money(value) for cid, value in spend.items()}


def merchant_campaign_performance(
    *, merchant: Any, date_from: datetime.date, date_to: datetime.date
) -> dict[int, dict[str, Any]]:
    """Spend, GMV, ROI and attainment of each of a merchant's plans over [from, to], by
    campaign id, in one grouped query (plans without roll-ups are absent)."""
    rows = (
        CampaignDayStats.objects.filter(merchant=merchant, day__gte=date_from, day__lte=date_to)
        .values("campaign_id", "campaign__target_roi")
        .annotate(
            spend=_sum("spend"),
            gmv=_sum("gmv"),
            impressions=_sum("impressions"),
            valid_clicks=_sum("valid_clicks"),
            orders=_sum("orders"),
        )
        .order_by("campaign_id")
    )
    answer = {}
    for row in rows:
        target = row["campaign__target_roi"]
        answer[row["campaign_id"]] = {
            "spend": row["spend"],
            "gmv": row["gmv"],
            "roi": roi(gmv=row["gmv"], spend=row["spend"]),
            "target_roi": target,
            "attainment": attainment(gmv=row["gmv"], spend=row["spend"], target_roi=target),
            "impressions": row["impressions"],
            "valid_clicks": row["valid_clicks"],
            "orders": row["orders"],
        }
    return answer


def merchant_daily_series(
    *, merchant: Any, date_from: datetime.date, date_to: datetime.date
) -> list[dict[str, Any]]:
    """The merchant's spend and GMV per day over [from, to] (zeros on quiet days)."""
    return _daily_series(date_from=date_from, date_to=date_to, counts=(), merchant=merchant)


TODAY_FIELDS = ("impressions", "clicks", "valid_clicks", "orders", "gmv", "spend")


def merchant_today_provisional(*, merchant: Any, day: datetime.date) -> dict[str, Any]:
    """The merchant's delivery and results on ``day`` so far (issue 15): the intraday count's
    ``ProvisionalCampaignDay`` rows, which the nightly run replaces by ``CampaignDayStats``.
    Shown only; nothing that bills or judges a claim reads it."""
    totals = ProvisionalCampaignDay.objects.filter(merchant=merchant, day=day).aggregate(
        **{name: _sum(name) for name in TODAY_FIELDS}
    )
    totals["roi"] = roi(gmv=totals["gmv"], spend=totals["spend"])
    return totals
