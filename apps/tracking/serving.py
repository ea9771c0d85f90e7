"""Choosing the ad for ``GET /serve/{code}``: eligible campaigns, their bids, the auction.

The campaign list of a tenant (active plans with their active products) is cached for
``TRACKING_CACHE_SECONDS``; each request filters it by schedule, budget and the site's weight
(``apps.campaigns.auction.is_eligible``), builds one ``Bid`` per campaign with
``bid_for_campaign`` from the history ``campaign_bid_inputs`` gives, and runs
``run_auction`` (camp's pure function). Nothing here writes; the view records the impression.
"""

from __future__ import annotations

import datetime
import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from apps.campaigns.auction import (
    AuctionResult,
    Bid,
    BidInputs,
    bid_for_campaign,
    is_eligible,
    run_auction,
)
from apps.campaigns.models import Campaign, CampaignProduct, CampaignStatus
from apps.tracking import cache
from apps.tracking.performance import campaign_bid_inputs
from apps.tracking.selectors import PlacementRef, ProductRef, product_by_id


@dataclass(frozen=True)
class CampaignCandidate:
    id: int
    merchant_id: int
    created_at: datetime.datetime
    type: str
    bid: Decimal | None
    target_roi: Decimal | None
    daily_budget: Decimal
    starts_at: datetime.datetime
    ends_at: datetime.datetime | None
    min_site_weight: int
    status: str
    product_ids: tuple[int, ...]


def _load_candidates() -> tuple[CampaignCandidate, ...]:
    campaigns = list(
        # A merchant whose prepaid balance is used up is not served (apps.billing, issue 21).
        Campaign.objects.filter(
            status=CampaignStatus.ACTIVE,
            merchant__is_active=True,
            merchant__prepaid_exhausted=False,
        ).values(
            "id", "merchant_id", "created_at", "type", "bid", "target_roi", "daily_budget",
            "starts_at", "ends_at", "min_site_weight", "status",
        )
    )  # fmt: skip
    products: dict[int, list[int]] = {}
    for campaign_id, product_id in (
        CampaignProduct.objects.filter(
            campaign_id__in=[c["id"] for c in campaigns],
            product__is_active=True,
        )
        .order_by("product_id")
        .values_list("campaign_id", "product_id")
    ):
        products.setdefault(campaign_id, []).append(product_id)
    return tuple(
        CampaignCandidate(**c, product_ids=tuple(products[c["id"]]))
        for c in campaigns
        if products.get(c["id"])
    )


def campaign_candidates(*, tenant_id: int) -> tuple[CampaignCandidate, ...]:
    return cache.cached(("campaigns", tenant_id), _load_candidates)


def _bid_inputs(*, tenant_id: int, campaign_ids: list[int]) -> Mapping[int, BidInputs]:
    """History for the bids (camp's ``campaign_bid_inputs``), cached like the campaign list.
    ``raw_today=True``: until tonight's roll-up, today's spend is read from today's raw rows
    (two aggregates a cache period per tenant), so a spent budget stops bidding within
    ``TRACKING_CACHE_SECONDS``."""
    return cache.cached(
        ("bid_inputs", tenant_id, tuple(sorted(campaign_ids))),
        lambda: campaign_bid_inputs(campaign_ids=campaign_ids, now=timezone.now(), raw_today=True),
    )


@dataclass(frozen=True)
class Ad:
    result: AuctionResult
    product: ProductRef


def ad_select(*, tenant_id: int, placement: PlacementRef, now: datetime.datetime) -> Ad | None:
    """The auction's winner for one impression on ``placement``, or None (nothing eligible)."""
    candidates = campaign_candidates(tenant_id=tenant_id)
    if not candidates:
        return None
    inputs = _bid_inputs(tenant_id=tenant_id, campaign_ids=[c.id for c in candidates])
    bids: list[Bid] = []
    chosen: dict[int, ProductRef] = {}
    for campaign in candidates:
        history = inputs.get(campaign.id, BidInputs())
        if not is_eligible(
            status=campaign.status,
            starts_at=campaign.starts_at,
            ends_at=campaign.ends_at,
            now=now,
            daily_budget=campaign.daily_budget,
            spend_today=history.spend_today,
            min_site_weight=campaign.min_site_weight,
            site_weight=placement.site_weight,
        ):
            continue
        # A plan with several products shows one of them, in turn at random (not security).
        product_id = random.choice(campaign.product_ids)  # noqa: S311
        product = product_by_id(tenant_id=tenant_id, product_id=product_id)
        if product is None:
            continue
        bid = bid_for_campaign(
            campaign_id=campaign.id,
            merchant_id=campaign.merchant_id,
            created_at=campaign.created_at,
            type=campaign.type,
            bid=campaign.bid,
            target_roi=campaign.target_roi,
            product_price=product.price,
            inputs=history,
            product_id=product.id,
        )
        if bid is not None:
            bids.append(bid)
            chosen[campaign.id] = product
    result = run_auction(bids, floor_cpm=placement.floor_cpm)
    if result is None:
        return None
    return Ad(result=result, product=chosen[result.winner.campaign_id])
