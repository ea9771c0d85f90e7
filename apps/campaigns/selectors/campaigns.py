"""Reads on campaigns."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from apps.campaigns.models import (
    Campaign,
    CampaignPhase,
    CampaignProduct,
    CampaignStatus,
    Merchant,
    Product,
)


def campaign_list(
    *,
    merchant: Merchant | None = None,
    status: str | None = None,
    type: str | None = None,
) -> QuerySet[Campaign]:
    """The scoped tenant's plans (of one merchant when given), newest first, with their
    products prefetched (one query for all rows)."""
    queryset = (
        Campaign.objects.select_related("merchant")
        .prefetch_related(Prefetch("products", queryset=Product.objects.order_by("sku")))
        .order_by("-created_at", "-pk")
    )
    if merchant is not None:
        queryset = queryset.filter(merchant=merchant)
    if status:
        queryset = queryset.filter(status=status)
    if type:
        queryset = queryset.filter(type=type)
    return queryset


def campaign_get(*, merchant: Merchant, pk: int) -> Campaign | None:
    """The merchant's plan ``pk``, or ``None`` (another merchant's or tenant's plan too)."""
    return Campaign.objects.filter(merchant=merchant, pk=pk).first()


def campaign_phase_get(*, campaign: Campaign, pk: int) -> CampaignPhase | None:
    """The plan's phase ``pk``, or ``None`` (another plan's phase too)."""
    return CampaignPhase.objects.filter(campaign=campaign, pk=pk).first()


def campaign_products(*, campaign: Campaign) -> list[Product]:
    ids = CampaignProduct.objects.filter(campaign=campaign).values_list("product_id", flat=True)
    return list(Product.objects.filter(pk__in=ids).order_by("sku"))


def active_plan_count(*, merchant: Merchant) -> int:
    return Campaign.objects.filter(merchant=merchant, status=CampaignStatus.ACTIVE).count()


def campaign_status_counts(*, merchant: Merchant) -> dict[str, int]:
    row = Campaign.objects.filter(merchant=merchant).aggregate(
        **{status: Count("pk", filter=Q(status=status)) for status in CampaignStatus.values}
    )
    return {status: row[status] or 0 for status in CampaignStatus.values}
