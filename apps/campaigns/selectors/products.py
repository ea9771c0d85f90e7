"""Reads on products."""

from __future__ import annotations

from django.db.models import QuerySet

from apps.campaigns.models import Merchant, Product


def product_list(
    *,
    merchant: Merchant | None = None,
    search: str = "",
    is_tagged: bool | None = None,
) -> QuerySet[Product]:
    """The scoped tenant's products (of one merchant when given), by sku."""
    queryset = Product.objects.select_related("merchant").order_by("merchant_id", "sku")
    if merchant is not None:
        queryset = queryset.filter(merchant=merchant)
    if search:
        queryset = queryset.filter(sku__icontains=search) | queryset.filter(title__icontains=search)
    if is_tagged is not None:
        queryset = queryset.filter(is_tagged=is_tagged)
    return queryset


def product_get_by_sku(*, merchant: Merchant, sku: str) -> Product | None:
    return Product.objects.filter(merchant=merchant, sku=sku).first()
