"""Writes on campaigns (plans): create, update, and the one status transition.

Rules (DESIGN.md rules 6-7, issue 4), all checked when a plan becomes active, under a lock on
the merchant's row so two activations of the same merchant see each other:

- a merchant runs at most ``merchant.plan_quota`` active plans (default 200; staff raise it);
- a product in an active full-site plan is in no other active plan, and a full-site plan cannot
  start on a product that is in another active plan;
- a full-site plan has a target ROI and exactly one product, active and on a verified domain of
  its merchant; CPC and CPM plans have a bid; every plan needs at least one product of its own
  merchant to run.

Quota and the product rules are reads in ``apps.campaigns.selectors.eligibility``, which the
full-site setup's first step lists too (issue 15: one rule, one function).

Field rules (bid, target ROI, one full-site product) are also checked on create and update, so a
draft is refused early with the same message. What claims depend on is frozen on a full-site
plan's first activation: ``started_at``, ``product_was_tagged``, ``roi_tiers_at_start`` and
``target_roi_was_tier``; once started, its product and target ROI cannot change.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.campaigns.errors import CampaignError, CampaignStateError
from apps.campaigns.models import (
    Campaign,
    CampaignProduct,
    CampaignStatus,
    CampaignType,
    Merchant,
    Product,
)
from apps.campaigns.selectors.eligibility import plan_label, plan_quota_refusal, product_refusals
from apps.campaigns.services.products import roi_tiers
from apps.core.db import lock_object
from apps.core.history import history_note, person
from apps.tenants.live import live_state_changed

S = CampaignStatus
ALLOWED: dict[str, set[str]] = {
    S.DRAFT: {S.ACTIVE},
    S.ACTIVE: {S.PAUSED, S.ENDED},
    S.PAUSED: {S.ACTIVE, S.ENDED},
    S.ENDED: set(),
}
BIDDING_TYPES = {CampaignType.CPC, CampaignType.CPM}
UPDATABLE_FIELDS = (
    "name",
    "bid",
    "daily_budget",
    "target_roi",
    "starts_at",
    "ends_at",
    "min_site_weight",
)


_label = plan_label


def campaign_check_fields(
    *,
    type: str,
    bid: Decimal | None,
    target_roi: Decimal | None,
    products: Sequence[Product] | None = None,
    name: str = "",
) -> None:
    """The per-plan field rules, shared by create, update, activation and the admin form."""
    plan = f"Plan “{name}”" if name else "This plan"
    if type not in CampaignType.values:
        raise CampaignError(
            f"Unknown campaign type {type!r}; use one of {', '.join(CampaignType.values)}.",
            code=CampaignError.INVALID,
            field="type",
        )
    if type in BIDDING_TYPES and bid is None:
        raise CampaignError(
            f"{plan} is a {type.upper()} plan and needs a bid.",
            code=CampaignError.BID_REQUIRED,
            field="bid",
        )
    if type == CampaignType.FULL_SITE and target_roi is None:
        raise CampaignError(
            f"{plan} is a full-site plan and needs a target ROI.",
            code=CampaignError.FULL_SITE_NEEDS_TARGET_ROI,
            field="target_roi",
        )
    if type == CampaignType.FULL_SITE and products is not None and len(products) > 1:
        skus = ", ".join(p.sku for p in products)
        raise CampaignError(
            f"{plan} is a full-site plan and promotes exactly one product, not {len(products)} "
            f"({skus}).",
            code=CampaignError.FULL_SITE_NEEDS_ONE_PRODUCT,
            field="products",
        )


def _check_products_belong(merchant: Merchant, products: Iterable[Product]) -> None:
    for product in products:
        if product.merchant_id != merchant.pk:
            raise CampaignError(
                f"Product {product.sku} belongs to another merchant, not {merchant.code}.",
                code=CampaignError.FOREIGN_PRODUCT,
                field="products",
            )


def _set_products(campaign: Campaign, products: Sequence[Product]) -> None:
    wanted = {p.pk for p in products}
    current = set(
        CampaignProduct.objects.filter(campaign=campaign).values_list("product_id", flat=True)
    )
    CampaignProduct.objects.filter(campaign=campaign, product_id__in=current - wanted).delete()
    CampaignProduct.objects.bulk_create(
        [
            CampaignProduct(tenant_id=campaign.tenant_id, campaign=campaign, product_id=pk)
            for pk in sorted(wanted - current)
        ]
    )


def _full_clean(campaign: Campaign) -> None:
    """Field checks (a ``ValidationError`` naming each bad field); uniqueness is the database's."""
    campaign.full_clean(validate_unique=False)


def campaign_create(
    *,
    merchant: Merchant,
    name: str,
    type: str,
    products: Sequence[Product] = (),
    bid: Decimal | None = None,
    daily_budget: Decimal,
    target_roi: Decimal | None = None,
    starts_at: datetime.datetime,
    ends_at: datetime.datetime | None = None,
    min_site_weight: int = 1,
    status: str = S.DRAFT,
    actor: Any = None,
) -> Campaign:
    """Create a plan for ``merchant`` with its products, as a draft; with ``status="active"``
    it is then activated through ``campaign_transition`` (all activation rules apply, and a
    refusal creates nothing)."""
    products = list(products)
    campaign_check_fields(type=type, bid=bid, target_roi=target_roi, products=products, name=name)
    _check_products_belong(merchant, products)
    if status not in {S.DRAFT, S.ACTIVE}:
        raise CampaignError(
            f"A new plan starts as draft or active, not {status!r}.",
            code=CampaignError.INVALID,
            field="status",
        )
    with transaction.atomic():
        campaign = Campaign(
            tenant_id=merchant.tenant_id,
            merchant=merchant,
            name=name,
            type=type,
            bid=bid,
            daily_budget=daily_budget,
            target_roi=target_roi,
            starts_at=starts_at,
            ends_at=ends_at,
            min_site_weight=min_site_weight,
            created_by=person(actor),
        )
        _full_clean(campaign)
        history_note(campaign, actor)
        campaign.save()
        _set_products(campaign, products)
        if status == S.ACTIVE:
            campaign = campaign_transition(campaign=campaign, to=S.ACTIVE, actor=actor)
    return campaign


def campaign_update(
    *,
    campaign: Campaign,
    products: Sequence[Product] | None = None,
    actor: Any = None,
    **fields: Any,
) -> Campaign:
    """Change a plan's fields (``UPDATABLE_FIELDS``) and/or its products.

    An ended plan is final. A full-site plan that has started keeps its product and target ROI
    (its claim eligibility was frozen with them). Changing an active plan's products re-checks
    exclusivity under the merchant lock."""
    unknown = sorted(set(fields) - set(UPDATABLE_FIELDS))
    if unknown:
        raise CampaignError(
            f"These fields cannot be changed: {', '.join(unknown)}.",
            code=CampaignError.INVALID,
            fields={name: ["This field cannot be changed."] for name in unknown},
        )
    with transaction.atomic():
        merchant = lock_object(Merchant.objects.all(), campaign.merchant_id)
        campaign = lock_object(Campaign.objects.all(), campaign.pk)
        if campaign.status == S.ENDED:
            raise CampaignStateError(
                f"The {_label(campaign)} has ended and can no longer be changed.",
                code=CampaignError.ENDED,
            )
        new_products = list(products) if products is not None else None
        started_full_site = campaign.type == CampaignType.FULL_SITE and campaign.started_at
        if started_full_site:
            if "target_roi" in fields and fields["target_roi"] != campaign.target_roi:
                raise CampaignError(
                    f"The full-site {_label(campaign)} has started: its target ROI is fixed "
                    f"(compensation claims depend on it). End it and start a new plan instead.",
                    code="full_site_started",
                    field="target_roi",
                )
            if new_products is not None and {p.pk for p in new_products} != set(
                _product_ids(campaign)
            ):
                raise CampaignError(
                    f"The full-site {_label(campaign)} has started: its product is fixed.",
                    code="full_site_started",
                    field="products",
                )
        for name, value in fields.items():
            setattr(campaign, name, value)
        if new_products is not None:
            _check_products_belong(merchant, new_products)
        campaign_check_fields(
            type=campaign.type,
            bid=campaign.bid,
            target_roi=campaign.target_roi,
            products=new_products,
            name=campaign.name,
        )
        _full_clean(campaign)
        if new_products is not None and campaign.status == S.ACTIVE:
            _check_activation(campaign=campaign, merchant=merchant, products=new_products)
        history_note(campaign, actor)
        campaign.save()
        if new_products is not None:
            _set_products(campaign, new_products)
        if campaign.status == S.ACTIVE:
            live_state_changed()
    return campaign


def _product_ids(campaign: Campaign) -> list[int]:
    return list(
        CampaignProduct.objects.filter(campaign=campaign)
        .order_by("product_id")
        .values_list("product_id", flat=True)
    )


def _check_activation(
    *, campaign: Campaign, merchant: Merchant, products: Sequence[Product]
) -> None:
    """Quota and exclusivity (both ways) for ``campaign`` running with ``products``.
    Callers hold the merchant's row lock."""
    campaign_check_fields(
        type=campaign.type,
        bid=campaign.bid,
        target_roi=campaign.target_roi,
        products=products,
        name=campaign.name,
    )
    if not products:
        raise CampaignError(
            f"The {_label(campaign)} has no product; add one before activating it.",
            code=CampaignError.NO_PRODUCTS,
            field="products",
        )
    _check_products_belong(merchant, products)
    # The same reads the full-site setup's first step lists (apps.campaigns.selectors
    # .eligibility): one rule for "can this product run here", refused here with its first reason.
    if campaign.status != S.ACTIVE:
        quota = plan_quota_refusal(merchant=merchant, campaign=campaign)
        if quota is not None:
            raise CampaignError(quota.message, code=quota.code, field="status", **quota.extra)
    refusals = product_refusals(
        merchant=merchant, plan_type=campaign.type, products=products, campaign=campaign
    )
    first = next((r for p in sorted(products, key=lambda p: p.pk) for r in refusals[p.pk]), None)
    if first is not None:
        raise CampaignError(first.message, code=first.code, field="products", **first.extra)


def campaign_transition(*, campaign: Campaign, to: str, actor: Any = None) -> Campaign:
    """Move a plan's status along ``ALLOWED`` (draft -> active, active <-> paused,
    active/paused -> ended). Re-applying the current status is a no-op.

    Activation (from draft or paused) checks the quota, exclusivity and field rules under a
    lock on the merchant row; a full-site plan's first activation freezes the facts claims
    depend on (tagged or not, the tiers offered, whether the target ROI was one of them)."""
    with transaction.atomic():
        merchant = lock_object(Merchant.objects.all(), campaign.merchant_id)
        campaign = lock_object(Campaign.objects.all(), campaign.pk)
        if campaign.status == to:
            return campaign
        if to not in ALLOWED.get(campaign.status, set()):
            raise CampaignStateError(
                f"The {_label(campaign)} is {campaign.status}; it cannot become {to}.",
                field="status",
                current=campaign.status,
                to=to,
            )
        update_fields = ["status", "updated_at"]
        if to == S.ACTIVE:
            products = list(Product.objects.filter(pk__in=_product_ids(campaign)).order_by("pk"))
            now = timezone.now()
            if campaign.ends_at is not None and campaign.ends_at <= now:
                raise CampaignError(
                    f"The {_label(campaign)} ended on {campaign.ends_at:%Y-%m-%d %H:%M}; move its "
                    f"end date before activating it.",
                    code=CampaignError.ENDED,
                    field="ends_at",
                )
            _check_activation(campaign=campaign, merchant=merchant, products=products)
            if campaign.started_at is None:
                campaign.started_at = now
                update_fields.append("started_at")
                if campaign.type == CampaignType.FULL_SITE:
                    product = products[0]
                    tiers = roi_tiers(product)
                    campaign.product_was_tagged = product.is_tagged
                    campaign.roi_tiers_at_start = [str(tier) for tier in tiers]
                    campaign.target_roi_was_tier = campaign.target_roi in tiers
                    update_fields += [
                        "product_was_tagged",
                        "roi_tiers_at_start",
                        "target_roi_was_tier",
                    ]
        campaign.status = to
        history_note(campaign, actor)
        campaign.save(update_fields=update_fields)
        live_state_changed()  # /serve/ and /c/ in every process within a second
    return campaign


def campaign_activate(*, campaign: Campaign, actor: Any = None) -> Campaign:
    return campaign_transition(campaign=campaign, to=S.ACTIVE, actor=actor)


def campaign_pause(*, campaign: Campaign, actor: Any = None) -> Campaign:
    return campaign_transition(campaign=campaign, to=S.PAUSED, actor=actor)


def campaign_end(*, campaign: Campaign, actor: Any = None) -> Campaign:
    return campaign_transition(campaign=campaign, to=S.ENDED, actor=actor)
