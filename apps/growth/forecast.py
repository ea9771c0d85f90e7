"""Forecast before launch (issue 18, seeds 001/002): what a daily budget and a target ROI
would buy for a product, and the chance of reaching the target.

The reading (``product_forecast``) takes the product's last 30 tenant-local days of roll-ups
(``CampaignDayStats``, every plan it ran in), or, with too little history, the same merchant's
other products of the same product type (``basis`` says which: ``product``,
``product_type`` or ``none``), and the auction's clearing prices of the last 7 and 30 days
(the nightly histogram of ``apps.growth.clearing``). The arithmetic (``forecast_from``) is pure.

The model, per day (docs/growth.md has the worked numbers):

1. History per product-day: valid clicks, orders, GMV; value per click ``v = GMV / clicks``;
   conversion ``orders / clicks``. Volume and price come from the paid plans (CPC, CPM,
   full-site: CPS clicks cost nothing in the auction): their clicks per product-day, their
   price per click ``spend / paid clicks`` and predicted CTR (the auction's rule).
2. The plan bids what a full-site plan bids (``apps.campaigns.auction.full_site_cpc``):
   ``v / target ROI`` per click, worth ``bid x CTR x 1000`` per mille.
3. The history's bid level: the click-weighted eCPM its paid plans bid (a CPM bid, a CPC bid
   x CTR x 1000, a full-site plan's ``v / its target``). Without paid history the market's
   median clearing price stands in.
4. Against the clearing prices: clicks scale with the share of the market the new bid outbids
   now (the last 7 days) over the share the history's bid outbid then (the last 30 days), at
   most ``MAX_VOLUME_FACTOR`` times; the price per click is the mean clearing price under the
   new bid, scaled so that the history's bid gives the history's price, and never more than the
   bid (second price). No clearing prices at all: the history's price capped by the bid, and
   its volume, times ``bid / price`` when the bid is the lower.
5. The daily budget caps spend: clicks = budget / price per click when it binds.
6. Orders = clicks x conversion, GMV = clicks x v, ROI by ``apps.core.money.roi``.
7. Chance of target: ROI over a 7-day window (the compensation window's minimum) is taken as
   log-normal around the forecast ROI, with variance from the history's day-to-day spread of
   GMV per click (beyond what order counts explain), the Poisson spread of the window's
   orders, and a model term per basis; times the chance of at least one order in the window.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, localcontext

from django.db.models import DecimalField, IntegerField, Min, Sum
from django.db.models.functions import Coalesce

from apps.campaigns.auction import (
    CPC,
    CPM,
    MILLE,
    PRICE_PLACES,
    ecpm,
    full_site_cpc,
    predicted_ctr,
)
from apps.campaigns.models import CampaignType, Product
from apps.campaigns.services.products import roi_tiers
from apps.core.money import quantize_money, roi
from apps.growth.clearing import Landscape, clearing_landscapes
from apps.tenants.clock import tenant_today
from apps.tracking.models import CampaignDayStats

WINDOW_DAYS = 30
#: a basis needs at least this many valid clicks and product-days in the window
MIN_CLICKS = 100
MIN_PRODUCT_DAYS = 7
#: a cheaper target never forecasts more than this many times the history's clicks
MAX_VOLUME_FACTOR = Decimal(3)
#: the compensation window's shortest length (DESIGN.md rule 8): the chance is over 7 days
CHANCE_WINDOW_DAYS = 7
#: the model's own uncertainty (relative), by basis: similar products are a looser guide
MODEL_SPREAD = {"product": Decimal("0.10"), "product_type": Decimal("0.25")}

PRODUCT, PRODUCT_TYPE, NONE = "product", "product_type", "none"
ONE_PLACE = Decimal("0.1")
CHANCE_PLACES = Decimal("0.01")
ZERO = Decimal(0)
_MONEY = DecimalField(max_digits=18, decimal_places=2)
_INT = IntegerField()


@dataclass(frozen=True)
class DayPoint:
    clicks: int
    orders: int
    gmv: Decimal


@dataclass(frozen=True)
class History:
    """A basis' 30 days. ``product_days``: each product's days from its first activity in the
    window to the window's end, summed over the basis' products; ``paid_*`` the same for its
    rows in paid plans (CPC, CPM, full-site); ``bid_ecpm`` the click-weighted eCPM those
    plans bid (None without paid clicks)."""

    product_days: int = 0
    impressions: int = 0
    clicks: int = 0
    orders: int = 0
    gmv: Decimal = ZERO
    spend: Decimal = ZERO
    paid_days: int = 0
    paid_impressions: int = 0
    paid_clicks: int = 0
    bid_ecpm: Decimal | None = None
    days: tuple[DayPoint, ...] = ()

    @property
    def is_enough(self) -> bool:
        return self.clicks >= MIN_CLICKS and self.product_days >= MIN_PRODUCT_DAYS


@dataclass(frozen=True)
class Forecast:
    """One day of a plan at ``daily_budget`` and ``target_roi``: what the API answers (spend,
    clicks, orders, GMV, ROI, chance, basis), and how it was reached (for the portal)."""

    basis: str
    daily_budget: Decimal
    target_roi: Decimal
    spend: Decimal = Decimal("0.00")
    clicks: Decimal = Decimal("0.0")
    orders: Decimal = Decimal("0.0")
    gmv: Decimal = Decimal("0.00")
    roi: Decimal | None = None
    chance_of_target: Decimal = Decimal("0.00")
    #: the plan's bid per click, and what a click is forecast to cost
    bid_cpc: Decimal | None = None
    cpc: Decimal | None = None
    budget_bound: bool = False
    product_days: int = 0
    notes: list[str] = field(default_factory=list)


# --- arithmetic --------------------------------------------------------------------------


def normal_cdf(z: Decimal) -> Decimal:
    """Phi(z) in Decimal (Abramowitz and Stegun 7.1.26: error under 1.5e-7)."""
    with localcontext() as ctx:
        ctx.prec = 28
        x = abs(z) / Decimal(2).sqrt()
        t = 1 / (1 + Decimal("0.3275911") * x)
        poly = t * (
            Decimal("0.254829592")
            + t
            * (
                Decimal("-0.284496736")
                + t
                * (
                    Decimal("1.421413741")
                    + t * (Decimal("-1.453152027") + t * Decimal("1.061405429"))
                )
            )
        )
        erf = 1 - poly * (-(x * x)).exp()
        return (1 + erf) / 2 if z >= 0 else (1 - erf) / 2


def _day_spread(history: History) -> Decimal:
    """Relative variance of one day's GMV per click beyond the Poisson spread of its orders."""
    if history.clicks <= 0 or history.gmv <= 0:
        return ZERO
    mean = history.gmv / history.clicks
    weight = ZERO
    total = ZERO
    orders_per_day = ZERO
    active = [d for d in history.days if d.clicks > 0]
    for point in active:
        ratio = (point.gmv / point.clicks) / mean - 1
        total += point.clicks * ratio * ratio
        weight += point.clicks
        orders_per_day += point.orders
    if weight <= 0 or not active:
        return ZERO
    orders_per_day /= len(active)
    poisson = 1 / orders_per_day if orders_per_day > 0 else ZERO
    return max(ZERO, total / weight - poisson)


def chance_of_target(
    *,
    gmv: Decimal,
    spend: Decimal,
    orders: Decimal,
    target_roi: Decimal,
    history: History,
    basis: str,
) -> Decimal:
    """P(ROI over a 7-day window >= target), 0..1 at two places (module docstring, step 7)."""
    window_orders = orders * CHANCE_WINDOW_DAYS
    if spend <= 0 or gmv <= 0 or window_orders <= 0 or target_roi <= 0:
        return Decimal("0.00")
    with localcontext() as ctx:
        ctx.prec = 28
        variance = (
            _day_spread(history) / CHANCE_WINDOW_DAYS
            + 1 / window_orders
            + MODEL_SPREAD.get(basis, Decimal("0.25")) ** 2
        )
        z = ((gmv / spend) / target_roi).ln() / variance.sqrt()
        some_order = 1 - (-window_orders).exp()
        chance = some_order * normal_cdf(z)
    return min(max(chance, ZERO), Decimal(1)).quantize(CHANCE_PLACES, rounding=ROUND_HALF_UP)


def forecast_from(
    *,
    history: History,
    basis: str,
    daily_budget: Decimal,
    target_roi: Decimal,
    product_price: Decimal,
    recent: Landscape,
    past: Landscape,
) -> Forecast:
    """The forecast of one day from a basis' history and the clearing prices (pure)."""
    if basis == NONE or not history.is_enough:
        return Forecast(
            basis=NONE,
            daily_budget=daily_budget,
            target_roi=target_roi,
            product_days=history.product_days,
        )
    value_per_click = history.gmv / history.clicks
    conversion = Decimal(history.orders) / history.clicks
    paid = history.spend / history.paid_clicks if history.paid_clicks > 0 else None
    if paid is not None:
        clicks_per_day = Decimal(history.paid_clicks) / max(history.paid_days, 1)
        ctr = predicted_ctr(history.paid_clicks, history.paid_impressions)
    else:
        clicks_per_day = Decimal(history.clicks) / history.product_days
        ctr = predicted_ctr(history.clicks, history.impressions)
    per_mille = ctr * MILLE
    bid = full_site_cpc(
        gmv_30d=history.gmv,
        clicks_30d=history.clicks,
        product_price=product_price,
        target_roi=target_roi,
    )
    bid_ecpm = ecpm(kind=CPC, amount=bid, ctr=ctr)
    notes: list[str] = []
    if past.is_empty and recent.is_empty:
        # Nothing says what else there is to win: a bid above the history's price buys the
        # history's volume, one below it proportionally less.
        volume = min(Decimal(1), bid / paid) if paid else Decimal(1)
        cpc = paid if paid is not None else bid
        notes.append("No clearing prices in the last 30 days: the history's volume and price.")
    else:
        now = recent if not recent.is_empty else past
        then = past if not past.is_empty else recent
        if paid is not None:
            reference = history.bid_ecpm or paid * per_mille
        else:
            reference = then.median() or bid_ecpm
        share_then = then.share_below(reference)
        share_now = now.share_below(bid_ecpm)
        volume = share_now / share_then if share_then > 0 else Decimal(1 if share_now else 0)
        volume = min(volume, MAX_VOLUME_FACTOR)
        mean_then = then.mean_below(reference)
        mean_now = now.mean_below(bid_ecpm)
        if mean_now is None:
            cpc = bid
        elif paid is not None and mean_then:
            cpc = paid * mean_now / mean_then  # the history's bid pays the history's price
        else:
            cpc = mean_now / per_mille
    cpc = min(cpc, bid)
    clicks = clicks_per_day * volume
    budget_bound = False
    if cpc > 0 and clicks * cpc > daily_budget:
        clicks = daily_budget / cpc
        budget_bound = True
    spend = clicks * cpc
    orders = clicks * conversion
    gmv = clicks * value_per_click
    spend_q, gmv_q = quantize_money(spend), quantize_money(gmv)
    return Forecast(
        basis=basis,
        daily_budget=daily_budget,
        target_roi=target_roi,
        spend=spend_q,
        clicks=clicks.quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
        orders=orders.quantize(ONE_PLACE, rounding=ROUND_HALF_UP),
        gmv=gmv_q,
        roi=roi(gmv=gmv_q, spend=spend_q),
        chance_of_target=chance_of_target(
            gmv=gmv,
            spend=spend,
            orders=orders,
            target_roi=target_roi,
            history=history,
            basis=basis,
        ),
        bid_cpc=bid,
        cpc=cpc.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP),
        budget_bound=budget_bound,
        product_days=history.product_days,
        notes=notes,
    )


# --- reading -------------------------------------------------------------------------------


def _sum(name: str) -> Coalesce:
    if name in {"gmv", "spend"}:
        return Coalesce(Sum(name), ZERO, output_field=_MONEY)
    return Coalesce(Sum(name), 0, output_field=_INT)


def basis_history(
    *,
    product_ids: list[int] | None = None,
    pool_of: Product | None = None,
    first: datetime.date,
    last: datetime.date,
) -> History:
    """The roll-ups of ``product_ids`` (or of ``pool_of``'s merchant's other products of its
    type) over [first, last], with their product-days and the day-by-day series."""
    rows = CampaignDayStats.objects.filter(day__gte=first, day__lte=last, product__isnull=False)
    if pool_of is not None:
        pool = Product.objects.filter(
            merchant_id=pool_of.merchant_id, product_type=pool_of.product_type
        ).exclude(pk=pool_of.pk)
        rows = rows.filter(product_id__in=pool.values("pk"))
    else:
        rows = rows.filter(product_id__in=product_ids or [])
    groups = (
        rows.values(
            "product_id",
            "product__price",
            "campaign_id",
            "campaign__type",
            "campaign__bid",
            "campaign__target_roi",
        )
        .annotate(
            first_day=Min("day"),
            impressions=_sum("impressions"),
            clicks=_sum("valid_clicks"),
            orders=_sum("orders"),
            gmv=_sum("gmv"),
            spend=_sum("spend"),
        )
        .order_by()
    )
    totals = {"impressions": 0, "clicks": 0, "orders": 0, "gmv": ZERO, "spend": ZERO}
    paid_totals = {"paid_impressions": 0, "paid_clicks": 0}
    first_days: dict[int, datetime.date] = {}
    paid_first_days: dict[int, datetime.date] = {}
    weighted_bid = ZERO
    for row in groups:
        product_id = row["product_id"]
        first_days[product_id] = min(row["first_day"], first_days.get(product_id, last))
        for name in totals:
            totals[name] += row[name]
        bid = _bid_ecpm(row)
        if bid is None:
            continue
        paid_first_days[product_id] = min(row["first_day"], paid_first_days.get(product_id, last))
        paid_totals["paid_impressions"] += row["impressions"]
        paid_totals["paid_clicks"] += row["clicks"]
        weighted_bid += bid * row["clicks"]
    if not first_days:
        return History()
    series = (
        rows.values("day")
        .annotate(clicks=_sum("valid_clicks"), orders=_sum("orders"), gmv=_sum("gmv"))
        .order_by("day")
    )
    paid_clicks = paid_totals["paid_clicks"]
    return History(
        product_days=sum((last - day).days + 1 for day in first_days.values()),
        paid_days=sum((last - day).days + 1 for day in paid_first_days.values()),
        bid_ecpm=weighted_bid / paid_clicks if paid_clicks else None,
        days=tuple(DayPoint(r["clicks"], r["orders"], r["gmv"]) for r in series),
        **totals,
        **paid_totals,
    )


def _bid_ecpm(row: dict) -> Decimal | None:
    """What one plan bid per mille for one product (None for CPS plans, which do not bid)."""
    ctr = predicted_ctr(row["clicks"], row["impressions"])
    kind, amount, target = row["campaign__type"], row["campaign__bid"], row["campaign__target_roi"]
    if kind == CampaignType.CPM and amount is not None:
        return ecpm(kind=CPM, amount=amount, ctr=ctr)
    if kind == CampaignType.CPC and amount is not None:
        return ecpm(kind=CPC, amount=amount, ctr=ctr)
    if kind == CampaignType.FULL_SITE and target:
        cpc = full_site_cpc(
            gmv_30d=row["gmv"],
            clicks_30d=row["clicks"],
            product_price=row["product__price"],
            target_roi=target,
        )
        return ecpm(kind=CPC, amount=cpc, ctr=ctr)
    return None


@dataclass(frozen=True)
class ForecastInputs:
    """What every forecast of one product on one day shares (read once for the three tiers)."""

    product: Product
    basis: str
    history: History
    recent: Landscape
    past: Landscape


def forecast_inputs(*, product: Product, as_of: datetime.date | None = None) -> ForecastInputs:
    """The basis and clearing prices for ``product``, the 30 days ending ``as_of`` (default:
    yesterday, the last day the nightly run has closed)."""
    last = as_of or tenant_today() - datetime.timedelta(days=1)
    first = last - datetime.timedelta(days=WINDOW_DAYS - 1)
    history = basis_history(product_ids=[product.pk], first=first, last=last)
    basis = PRODUCT
    if not history.is_enough:
        basis = NONE
        if product.product_type:
            pool = basis_history(pool_of=product, first=first, last=last)
            if pool.is_enough:
                basis, history = PRODUCT_TYPE, pool
    recent, past = clearing_landscapes(last=last)
    return ForecastInputs(product=product, basis=basis, history=history, recent=recent, past=past)


def product_forecast(
    *,
    product: Product,
    daily_budget: Decimal,
    target_roi: Decimal,
    as_of: datetime.date | None = None,
    inputs: ForecastInputs | None = None,
) -> Forecast:
    """What ``daily_budget`` and ``target_roi`` would buy ``product`` per day (module docstring).
    Reads aggregates only: a few grouped queries over the roll-ups and the price histogram."""
    inputs = inputs or forecast_inputs(product=product, as_of=as_of)
    return forecast_from(
        history=inputs.history,
        basis=inputs.basis,
        daily_budget=daily_budget,
        target_roi=target_roi,
        product_price=product.price,
        recent=inputs.recent,
        past=inputs.past,
    )


def tier_forecasts(
    *, product: Product, daily_budget: Decimal, as_of: datetime.date | None = None
) -> list[Forecast]:
    """The forecast at each of the product's recommended tiers (none when it is not tagged),
    from one read of its history."""
    tiers = roi_tiers(product)
    if not tiers:
        return []
    inputs = forecast_inputs(product=product, as_of=as_of)
    return [
        product_forecast(product=product, daily_budget=daily_budget, target_roi=t, inputs=inputs)
        for t in tiers
    ]
