"""Reads on merchants (current tenant's scope)."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from apps.campaigns.domains import url_within
from apps.campaigns.models import Merchant, MerchantDomain, MerchantUser, Product
from apps.tenants.models import User


def merchant_list(*, tier: str | None = None, is_active: bool | None = None) -> QuerySet[Merchant]:
    """Merchants with their domain count, filtered by tier and activity."""
    queryset = Merchant.objects.annotate(domain_count=Count("domains"))
    if tier:
        queryset = queryset.filter(tier=tier)
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    return queryset.order_by("name")


def merchant_get_by_code(*, code: str, is_active: bool | None = None) -> Merchant | None:
    """The merchant with ``code`` (case-insensitive, as codes are unique), or ``None``;
    with ``is_active``, only a merchant in that state."""
    queryset = Merchant.objects.filter(code__iexact=(code or "").strip())
    if is_active is not None:
        queryset = queryset.filter(is_active=is_active)
    return queryset.first()


def merchant_for_user(*, user: User) -> Merchant | None:
    """The merchant ``user`` acts for in the current tenant (at most one), or ``None``."""
    link = (
        MerchantUser.objects.filter(user=user, is_active=True, merchant__is_active=True)
        .select_related("merchant")
        .first()
    )
    return link.merchant if link is not None else None


def account_tie(*, user: User) -> bool:
    """Whether ``user`` acts for a merchant of the scoped tenant (``apps.tenants.accounts``:
    where reset and invitation links go)."""
    return MerchantUser.objects.filter(user=user, is_active=True).exists()


def merchant_domain_owner(*, domain: str) -> Merchant | None:
    """The active merchant whose deep-link domains include ``domain``, or ``None``."""
    row = (
        MerchantDomain.objects.filter(domain=domain.lower(), merchant__is_active=True)
        .select_related("merchant")
        .first()
    )
    return row.merchant if row is not None else None


def products_off_verified_domains() -> list[tuple[Product, str]]:
    """Active products whose URL is not on a verified domain of their merchant, with why:
    ``/c/?sku=`` refuses them (never an open redirect) until the merchant verifies the domain
    or fixes the URL. For the ``products_off_domain`` report."""
    verified: dict[int, list[str]] = {}
    for merchant_id, domain in MerchantDomain.objects.filter(verified_at__isnull=False).values_list(
        "merchant_id", "domain"
    ):
        verified.setdefault(merchant_id, []).append(domain)
    off = []
    products = (
        Product.objects.filter(is_active=True)
        .select_related("merchant")
        .order_by("merchant__code", "sku")
    )
    for product in products.iterator(chunk_size=2000):
        domains = verified.get(product.merchant_id, [])
        if not url_within(product.url, domains):
            why = f"not on {', '.join(sorted(domains))}" if domains else "no verified domain yet"
            off.append((product, why))
    return off
