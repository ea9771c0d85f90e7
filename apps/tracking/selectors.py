"""Reads for the tracking paths. The click and serve paths read through the in-process TTL
cache (``apps.tracking.cache``) so that, once warm, ``/c/`` costs exactly one INSERT."""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal

from django.db import models
from django.db.models import QuerySet

from apps.affiliates.models import PipelineStatus
from apps.campaigns.models import Campaign, Merchant, MerchantDomain, Product
from apps.sites.models import Placement, SiteStatus
from apps.tracking import cache
from apps.tracking.models import Click, Conversion, Coupon, DailyRun, MerchantTrackingKey


@dataclass(frozen=True)
class PlacementRef:
    id: int
    code: str
    site_id: int
    affiliate_id: int
    position: str
    site_weight: int
    floor_cpm: Decimal
    #: webmaster active, site approved, placement active: only live placements record clicks
    is_live: bool


@dataclass(frozen=True)
class ProductRef:
    id: int
    merchant_id: int
    merchant_name: str
    sku: str
    title: str
    url: str
    price: Decimal
    image_url: str


def _load_placement(code: str) -> PlacementRef | None:
    placement = (
        Placement.objects.select_related("site__affiliate")
        .filter(code=code)
        .only(
            "id",
            "code",
            "position",
            "floor_cpm",
            "is_active",
            "site__id",
            "site__status",
            "site__weight",
            "site__affiliate__id",
            "site__affiliate__status",
        )
        .first()
    )
    if placement is None:
        return None
    site = placement.site
    return PlacementRef(
        id=placement.pk,
        code=placement.code,
        site_id=site.pk,
        affiliate_id=site.affiliate_id,
        position=placement.position,
        site_weight=site.weight,
        floor_cpm=placement.floor_cpm,
        is_live=(
            placement.is_active
            and site.status == SiteStatus.APPROVED
            and site.affiliate.status == PipelineStatus.ACTIVE
        ),
    )


def placement_for_code(*, tenant_id: int, code: str) -> PlacementRef | None:
    """The placement with public ``code`` in the active tenant (cached), or None."""
    return cache.cached(("placement", tenant_id, code), lambda: _load_placement(code))


def _product_ref(product: Product) -> ProductRef:
    return ProductRef(
        id=product.pk,
        merchant_id=product.merchant_id,
        merchant_name=product.merchant.name,
        sku=product.sku,
        title=product.title,
        url=product.url,
        price=product.price,
        image_url=product.image_url,
    )


def _live_products() -> QuerySet[Product]:
    return Product.objects.select_related("merchant").filter(
        is_active=True, merchant__is_active=True
    )


def products_for_sku(*, tenant_id: int, sku: str) -> tuple[ProductRef, ...]:
    """Active products of active merchants with ``sku`` (one per merchant; cached)."""
    return cache.cached(
        ("sku", tenant_id, sku),
        lambda: tuple(_product_ref(p) for p in _live_products().filter(sku=sku).order_by("id")),
    )


def product_by_id(*, tenant_id: int, product_id: int) -> ProductRef | None:
    def load() -> ProductRef | None:
        product = _live_products().filter(pk=product_id).first()
        return _product_ref(product) if product is not None else None

    return cache.cached(("product", tenant_id, product_id), load)


def merchant_domains(*, tenant_id: int) -> dict[str, int]:
    """Deep-link domains of the tenant's active merchants: ``{domain: merchant_id}`` (cached)."""
    return cache.cached(
        ("domains", tenant_id),
        lambda: dict(
            MerchantDomain.objects.filter(merchant__is_active=True).values_list(
                "domain", "merchant_id"
            )
        ),
    )


def merchant_for_host(*, tenant_id: int, host: str) -> int | None:
    """The active merchant whose domain is ``host`` or a parent domain of it, or None."""
    domains = merchant_domains(tenant_id=tenant_id)
    labels = host.lower().rstrip(".").split(".")
    for start in range(len(labels) - 1):
        merchant_id = domains.get(".".join(labels[start:]))
        if merchant_id is not None:
            return merchant_id
    return None


def campaign_merchant(*, tenant_id: int, campaign_id: int) -> int | None:
    """The merchant of campaign ``campaign_id`` in the active tenant (cached), or None."""
    return cache.cached(
        ("campaign", tenant_id, campaign_id),
        lambda: (
            Campaign.objects.filter(pk=campaign_id).values_list("merchant_id", flat=True).first()
        ),
    )


def click_by_click_id(*, click_id: uuid.UUID) -> Click | None:
    return Click.objects.filter(click_id=click_id).first()


def conversion_list() -> QuerySet[Conversion]:
    return Conversion.objects.select_related("merchant", "placement", "affiliate").order_by(
        "-occurred_at", "-id"
    )


def daily_run_for_day(*, day: datetime.date) -> DailyRun | None:
    return DailyRun.objects.filter(day=day).first()


def days_to_rerun(*, yesterday: datetime.date, lookback_days: int = 90) -> list[datetime.date]:
    """The days the nightly beat should run: ``yesterday`` unless its run is done, and any day
    of the last ``lookback_days`` whose conversions changed status after that day's run."""
    from django.db.models import OuterRef, Subquery

    from apps.tracking.models import DailyRunStatus

    days: set[datetime.date] = set()
    if not DailyRun.objects.filter(day=yesterday, status=DailyRunStatus.DONE).exists():
        days.add(yesterday)
    finished = DailyRun.objects.filter(day=OuterRef("day"), status=DailyRunStatus.DONE).values(
        "finished_at"
    )[:1]
    changed = (
        Conversion.objects.filter(
            day__gte=yesterday - datetime.timedelta(days=lookback_days),
            day__lt=yesterday,
            status_changed_at__isnull=False,
        )
        .annotate(run_finished=Subquery(finished))
        .filter(run_finished__isnull=False, status_changed_at__gt=models.F("run_finished"))
        .values_list("day", flat=True)
        .distinct()
    )
    days.update(changed)
    return sorted(days)


def coupon_list(*, merchant: Merchant) -> QuerySet[Coupon]:
    """A merchant's live coupons (issue 16), with their webmaster and placement."""
    return (
        Coupon.objects.filter(merchant=merchant, deleted_at__isnull=True)
        .select_related("affiliate", "placement")
        .order_by("code", "id")
    )


def tracking_key_list(*, merchant: Merchant) -> QuerySet[MerchantTrackingKey]:
    """A merchant's postback keys and pixel tokens, live ones first."""
    return MerchantTrackingKey.objects.filter(merchant=merchant).order_by(
        "kind", "revoked_at", "-created_at"
    )
