"""The ad auction behind ``GET /serve/{placement_code}`` (DESIGN.md rule 6, issue 4).

Pure functions over frozen dataclasses: no ORM, no clock, no settings, so the rules can be
tested with worked numbers and property tests (``tests/campaigns/test_auction.py``). The serve
view (tracking) builds one ``Bid`` per eligible campaign (``bid_for_campaign`` helps) and calls
``run_auction``.

The rules:

- predicted CTR = (clicks + 1) / (impressions + 100) over the campaign's history;
- eCPM = the CPM bid, or CPC bid x predicted CTR x 1000;
- a full-site plan bids CPC = (its 30-day GMV per click, or product price x 2% when it has no
  GMV) / target ROI (``full_site_cpc``);
- only each merchant's best bid competes (the other bids of that merchant never set a price);
- the winner pays min(own eCPM, next eCPM + 0.10) per mille; a single bidder pays the
  placement's floor + 0.10, capped at its own eCPM;
- bids whose eCPM is zero or below the placement's floor do not take part (so the price is never
  below the floor);
- a CPC winner is charged per valid click at price_cpm / (predicted CTR x 1000), never more
  than its CPC bid;
- ties (equal eCPM) go to the older campaign (``created_at``), then the lower campaign id.

Rounding (decided here, documented in docs/contract-notes.md): predicted CTR is kept at 6
decimals, eCPM, clearing prices and CPC prices at 4 decimals, all half-up; money actually
charged is quantized to cents once per line when spend is rolled up (tracking).
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

CTR_PLACES = Decimal("0.000001")
PRICE_PLACES = Decimal("0.0001")
MILLE = Decimal(1000)
#: what the winner pays above the runner-up (or the floor), per mille
INCREMENT = Decimal("0.10")
#: a full-site plan with no GMV history values a click at this share of the product price
FULL_SITE_FALLBACK_RATE = Decimal("0.02")
CTR_PRIOR_CLICKS = 1
CTR_PRIOR_IMPRESSIONS = 100

CPM = "cpm"
CPC = "cpc"


def _price(value: Decimal) -> Decimal:
    return value.quantize(PRICE_PLACES, rounding=ROUND_HALF_UP)


def predicted_ctr(clicks: int, impressions: int) -> Decimal:
    """(clicks + 1) / (impressions + 100), at 6 decimals: a new campaign starts at 1%."""
    if clicks < 0 or impressions < 0:
        raise ValueError("clicks and impressions cannot be negative")
    ratio = Decimal(clicks + CTR_PRIOR_CLICKS) / Decimal(impressions + CTR_PRIOR_IMPRESSIONS)
    return ratio.quantize(CTR_PLACES, rounding=ROUND_HALF_UP)


def ecpm(*, kind: str, amount: Decimal, ctr: Decimal) -> Decimal:
    """What a bid is worth per thousand impressions: the CPM bid itself, or
    CPC x predicted CTR x 1000 (4 decimals)."""
    if kind == CPM:
        return _price(amount)
    if kind == CPC:
        return _price(amount * ctr * MILLE)
    raise ValueError(f"unknown bid kind {kind!r}; use {CPM!r} or {CPC!r}")


def full_site_cpc(
    *, gmv_30d: Decimal, clicks_30d: int, product_price: Decimal, target_roi: Decimal
) -> Decimal:
    """A full-site plan's CPC: what a click is worth (30-day GMV per click, or the product price
    x 2% when the plan has no GMV in 30 days) divided by the target ROI (4 decimals).

    "No GMV" is no clicks or a GMV of zero: a plan without sales yet keeps bidding on the price
    fallback instead of bidding nothing."""
    if target_roi <= 0:
        raise ValueError("a full-site plan needs a positive target ROI")
    if clicks_30d > 0 and gmv_30d > 0:
        value_per_click = gmv_30d / Decimal(clicks_30d)
    else:
        value_per_click = product_price * FULL_SITE_FALLBACK_RATE
    return _price(value_per_click / target_roi)


@dataclass(frozen=True)
class Bid:
    campaign_id: int
    merchant_id: int
    #: the campaign's creation time: equal eCPMs go to the older campaign
    created_at: datetime.datetime
    #: "cpm" (amount per mille) or "cpc" (amount per click)
    kind: str
    amount: Decimal
    predicted_ctr: Decimal
    #: the product the ad shows (carried through for the serve view; not used in pricing)
    product_id: int | None = None

    #: what the bid is worth per mille, computed once when the bid is made
    ecpm: Decimal = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        value = ecpm(kind=self.kind, amount=self.amount, ctr=self.predicted_ctr)
        object.__setattr__(self, "ecpm", value)

    def rank_key(self) -> tuple[Decimal, datetime.datetime, int]:
        """Sort key, best first: higher eCPM, then the older campaign, then the lower id."""
        return (-self.ecpm, self.created_at, self.campaign_id)


@dataclass(frozen=True)
class AuctionResult:
    winner: Bid
    #: the winner's own eCPM
    winner_ecpm: Decimal
    #: the clearing price per thousand impressions
    price_cpm: Decimal
    #: for a CPC winner: what each valid click costs (price_cpm / (predicted CTR x 1000))
    cpc_price: Decimal | None
    #: the best bid of another merchant, if any (it set the price)
    runner_up: Bid | None


def best_bid_per_merchant(bids: Sequence[Bid]) -> list[Bid]:
    """Each merchant's best bid, best first (one bid per merchant per impression)."""
    best: dict[int, Bid] = {}
    for bid in bids:
        current = best.get(bid.merchant_id)
        if current is None or bid.rank_key() < current.rank_key():
            best[bid.merchant_id] = bid
    return sorted(best.values(), key=Bid.rank_key)


def run_auction(bids: Sequence[Bid], *, floor_cpm: Decimal) -> AuctionResult | None:
    """The winner of one impression and what it pays, or None when no bid takes part.

    Bids with an eCPM of zero or below ``floor_cpm`` are left out. The winner is the best of
    the merchants' best bids; it pays min(own eCPM, runner-up eCPM + 0.10), or with no
    runner-up min(own eCPM, floor + 0.10)."""
    competing = [bid for bid in bids if bid.ecpm > 0 and bid.ecpm >= floor_cpm]
    ranked = best_bid_per_merchant(competing)
    if not ranked:
        return None
    winner = ranked[0]
    runner_up = ranked[1] if len(ranked) > 1 else None
    own = winner.ecpm
    reference = runner_up.ecpm if runner_up is not None else _price(floor_cpm)
    price_cpm = min(own, reference + INCREMENT)
    cpc_price = None
    if winner.kind == CPC:
        # Capped at the bid: eCPM is rounded to 4 decimals, and at a small CTR dividing the
        # rounded figure back could land a fraction above what the campaign bid per click.
        cpc_price = min(_price(price_cpm / (winner.predicted_ctr * MILLE)), winner.amount)
    return AuctionResult(
        winner=winner,
        winner_ecpm=own,
        price_cpm=price_cpm,
        cpc_price=cpc_price,
        runner_up=runner_up,
    )


@dataclass(frozen=True)
class BidInputs:
    """What a campaign's bid needs from its history (read from the roll-ups by
    ``apps.tracking.performance.campaign_bid_inputs``)."""

    clicks: int = 0
    impressions: int = 0
    gmv_30d: Decimal = Decimal("0.00")
    clicks_30d: int = 0
    spend_today: Decimal = Decimal("0.00")


def is_eligible(
    *,
    status: str,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None,
    now: datetime.datetime,
    daily_budget: Decimal,
    spend_today: Decimal,
    min_site_weight: int,
    site_weight: int,
) -> bool:
    """A campaign may bid when it is active, within its schedule (``ends_at`` excluded), below
    its daily budget, and the site's weight meets its minimum."""
    return (
        status == "active"
        and starts_at <= now
        and (ends_at is None or now < ends_at)
        and spend_today < daily_budget
        and site_weight >= min_site_weight
    )


def bid_for_campaign(
    *,
    campaign_id: int,
    merchant_id: int,
    created_at: datetime.datetime,
    type: str,
    bid: Decimal | None,
    target_roi: Decimal | None,
    product_price: Decimal | None,
    inputs: BidInputs,
    product_id: int | None = None,
) -> Bid | None:
    """The ``Bid`` a campaign makes, or None for a campaign that does not bid (CPS pays per sale
    and takes no part in the auction; a CPC/CPM plan without a bid; a full-site plan without a
    product price or target ROI)."""
    ctr = predicted_ctr(inputs.clicks, inputs.impressions)
    if type == CPM and bid is not None:
        return Bid(campaign_id, merchant_id, created_at, CPM, bid, ctr, product_id)
    if type == CPC and bid is not None:
        return Bid(campaign_id, merchant_id, created_at, CPC, bid, ctr, product_id)
    if type == "full_site" and target_roi is not None and product_price is not None:
        cpc = full_site_cpc(
            gmv_30d=inputs.gmv_30d,
            clicks_30d=inputs.clicks_30d,
            product_price=product_price,
            target_roi=target_roi,
        )
        return Bid(campaign_id, merchant_id, created_at, CPC, cpc, ctr, product_id)
    return None
