"""Which products a plan may run with, and why not: the activation rules that depend on other
rows, as reads.

One rule, one function (issue 15): ``campaign_transition`` refuses an activation with the first
reason these give, and the full-site setup's first step lists every product of the merchant
with all of its reasons, so step 1 never offers a product the last step would refuse, and
names the plan that holds one it cannot offer. The reasons:

- the merchant already runs its quota of active plans (``plan_quota_refusal``, for every
  product alike);
- the product is in an active full-site plan (no other active plan may hold it), or, for a new
  full-site plan, in any other active plan (the plan is named);
- for a full-site plan: the product is not active, or its URL is not on a verified domain of
  its merchant (``/c/?sku=`` refuses such a click, so the plan could not spend).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from apps.campaigns.domains import url_within
from apps.campaigns.errors import CampaignError
from apps.campaigns.models import (
    Campaign,
    CampaignProduct,
    CampaignStatus,
    CampaignType,
    Merchant,
    MerchantDomain,
    Product,
)


@dataclass(frozen=True)
class Refusal:
    """Why a plan cannot run (with a product): a stable ``code`` (``CampaignError``'s), the
    sentence shown to the merchant, the other plan involved, and the error's ``extra``."""

    code: str
    message: str
    plan: Campaign | None = None
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class FullSiteCandidate:
    product: Product
    refusals: list[Refusal]

    @property
    def can_join(self) -> bool:
        return not self.refusals


def plan_label(campaign: Campaign) -> str:
    return f"plan “{campaign.name}” (#{campaign.pk})" if campaign.pk else f"plan “{campaign.name}”"


def _other_active_plans(merchant: Merchant, campaign: Campaign | None) -> Any:
    others = Campaign.objects.filter(merchant=merchant, status=CampaignStatus.ACTIVE)
    return others.exclude(pk=campaign.pk) if campaign is not None and campaign.pk else others


def plan_quota_refusal(*, merchant: Merchant, campaign: Campaign | None = None) -> Refusal | None:
    """The merchant's quota of active plans is used up (``campaign``, if given and active
    already, does not count against itself); None while there is room."""
    active = _other_active_plans(merchant, campaign).count()
    if active < merchant.plan_quota:
        return None
    what = f"the {plan_label(campaign)}" if campaign is not None else "a new plan"
    return Refusal(
        code=CampaignError.PLAN_QUOTA_EXCEEDED,
        message=f"Merchant {merchant.code} already runs {active} active plans, its quota of "
        f"{merchant.plan_quota}; pause or end one (or ask staff to raise the quota) before "
        f"activating {what}.",
        extra={"quota": merchant.plan_quota, "active": active},
    )


def product_refusals(
    *,
    merchant: Merchant,
    plan_type: str,
    products: Sequence[Product],
    campaign: Campaign | None = None,
) -> dict[int, list[Refusal]]:
    """Every reason each of ``products`` cannot run in a plan of ``plan_type`` (``campaign``,
    when it exists, is not counted as "another" plan): ``{product.pk: [Refusal, ...]}``, an
    empty list for a product that can. Three queries whatever the number of products."""
    by_product: dict[int, list[Refusal]] = {product.pk: [] for product in products}
    if not products:
        return by_product
    full_site = plan_type == CampaignType.FULL_SITE
    if full_site:
        verified = list(
            MerchantDomain.objects.filter(merchant=merchant, verified_at__isnull=False)
            .order_by("domain")
            .values_list("domain", flat=True)
        )
        for product in products:
            if not product.is_active:
                by_product[product.pk].append(
                    Refusal(
                        code=CampaignError.PRODUCT_INACTIVE,
                        message=f"Product {product.sku} is not active (your feed or the network "
                        f"turned it off); a full-site plan needs an active product.",
                        extra={"product": product.sku},
                    )
                )
            if not url_within(product.url, verified):
                where = ", ".join(verified) or "none yet"
                by_product[product.pk].append(
                    Refusal(
                        code=CampaignError.PRODUCT_OFF_VERIFIED_DOMAIN,
                        message=f"Product {product.sku}'s URL is not on a verified domain of "
                        f"yours (verified: {where}); clicks to it are refused until you verify "
                        f"its domain or fix the URL.",
                        extra={"product": product.sku},
                    )
                )
    skus = {product.pk: product.sku for product in products}
    links = (
        CampaignProduct.objects.filter(
            product_id__in=list(by_product), campaign__in=_other_active_plans(merchant, campaign)
        )
        .select_related("campaign")
        .order_by("product_id", "campaign_id")
    )
    for link in links:
        other, sku = link.campaign, skus[link.product_id]
        extra = {"product": sku, "plan": other.pk}
        if other.type == CampaignType.FULL_SITE:
            refusal = Refusal(
                code=CampaignError.PRODUCT_IN_FULL_SITE_PLAN,
                message=f"Product {sku} is in the active full-site {plan_label(other)}; a "
                f"product in a full-site plan can be in no other active plan.",
                plan=other,
                extra=extra,
            )
        elif full_site:
            refusal = Refusal(
                code=CampaignError.FULL_SITE_PRODUCT_IN_OTHER_PLAN,
                message=f"Product {sku} is in the active {plan_label(other)}; a full-site plan "
                f"needs a product that is in no other active plan.",
                plan=other,
                extra=extra,
            )
        else:
            continue
        by_product[link.product_id].append(refusal)
    return by_product


def full_site_candidates(*, merchant: Merchant, limit: int = 500) -> list[FullSiteCandidate]:
    """The merchant's products for a new full-site plan, each with every reason it cannot join
    one (``product_refusals``); those that can come first, tagged ones (with ROI tiers) first
    among them, then by sku."""
    products = list(
        Product.objects.filter(merchant=merchant).order_by("-is_active", "-is_tagged", "sku")[
            :limit
        ]
    )
    refusals = product_refusals(
        merchant=merchant, plan_type=CampaignType.FULL_SITE, products=products
    )
    candidates = [FullSiteCandidate(product=p, refusals=refusals[p.pk]) for p in products]
    return sorted(
        candidates, key=lambda c: (not c.can_join, not c.product.is_tagged, c.product.sku)
    )
