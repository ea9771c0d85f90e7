"""Choosing the ad for ``GET /serve/{code}``: eligible campaigns, their bids, the auction.

Everything comes from the tenant's live snapshot (``apps.tracking.snapshot``: active plans
of active merchants with their active products and bid history) and this process's
provisional spend today (``apps.tracking.budget``): no query. Each request takes each plan's
terms on its tenant-local day (the daily budget and target ROI of the phase in force, else
the plan's own: ``CampaignCandidate.terms``), keeps the plans within their schedule, below
that budget and pacing, and meeting their minimum site weight
(``apps.campaigns.auction.is_eligible``), builds one ``Bid`` per plan with
``bid_for_campaign`` and runs ``run_auction`` (camp's pure function). Nothing here writes;
the view records the impression.
"""

from __future__ import annotations

import datetime
import random
from dataclasses import dataclass
from decimal import Decimal

from apps.campaigns.auction import AuctionResult, Bid, bid_for_campaign, is_eligible, run_auction
from apps.tenants.clock import day_elapsed_share
from apps.tracking import budget
from apps.tracking.snapshot import PlacementRef, ProductRef, TenantSnapshot


@dataclass(frozen=True)
class Ad:
    result: AuctionResult
    product: ProductRef


def ad_select(
    *, snapshot: TenantSnapshot, placement: PlacementRef, now: datetime.datetime
) -> Ad | None:
    """The auction's winner for one impression on ``placement``, or None (nothing eligible)."""
    if not snapshot.campaigns:
        return None
    day = snapshot.local_today(now)
    share = Decimal(day_elapsed_share(now, tenant=snapshot.tenant))
    spend = budget.book(snapshot.tenant_id)
    bids: list[Bid] = []
    chosen: dict[int, ProductRef] = {}
    for campaign in snapshot.campaigns:
        spent = spend.total(campaign.id, day)
        terms = campaign.terms(day)  # the phase in force on the request's tenant-local day
        if not is_eligible(
            status="active",
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            now=now,
            daily_budget=terms.daily_budget,
            spend_today=spent,
            min_site_weight=campaign.min_site_weight,
            site_weight=placement.site_weight,
        ) or not budget.may_spend(daily_budget=terms.daily_budget, spent=spent, share=share):
            continue
        # A plan with several products shows one of them, in turn at random (not security).
        product = snapshot.products.get(random.choice(campaign.product_ids))  # noqa: S311
        if product is None or not product.redirects:
            continue  # its click would be refused: never show it
        bid = bid_for_campaign(
            campaign_id=campaign.id,
            merchant_id=campaign.merchant_id,
            created_at=campaign.created_at,
            type=campaign.type,
            bid=campaign.bid,
            target_roi=terms.target_roi,
            product_price=product.price,
            inputs=campaign.inputs,
            product_id=product.id,
        )
        if bid is not None:
            bids.append(bid)
            chosen[campaign.id] = product
    result = run_auction(bids, floor_cpm=placement.floor_cpm)
    if result is None:
        return None
    return Ad(result=result, product=chosen[result.winner.campaign_id])
