"""One live snapshot per tenant and process for ``/c/``, ``/serve/`` and ``/px/*``.

A snapshot holds everything the hot paths read, loaded in one query each: placements (with
their site's weight and status and their webmaster's status), active products of active
merchants by sku and id, the verified domains of active merchants, the eligible campaigns
with their products, bid history and phases, and every campaign's merchant (for ``cid`` on
``/c/``). A warm ``/c/`` reads nothing from the database; ``/serve/`` neither.

Freshness is not a guess: every write that changes served state calls
``apps.tenants.live.live_state_changed()``; after its commit the tenant's version is bumped
and announced (``apps.tracking.propagation``), and every process reloads that tenant, only
that one, within a second. ``registry`` is this process's holder of the snapshots and of the
day's provisional spend (``apps.tracking.budget``).
"""

from __future__ import annotations

import datetime
import logging
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.contrib.postgres.expressions import ArraySubquery
from django.db import transaction
from django.db.models import OuterRef
from django.utils import timezone

from apps.affiliates.models import PipelineStatus
from apps.campaigns.auction import BidInputs
from apps.campaigns.domains import host_within, url_host
from apps.campaigns.models import (
    Campaign,
    CampaignPhase,
    CampaignProduct,
    CampaignStatus,
    Merchant,
    MerchantDomain,
    Product,
)
from apps.campaigns.phases import PhaseTerms, Terms, terms_on
from apps.sites.models import Placement, SiteStatus
from apps.tenants.clock import local_day
from apps.tenants.models import LiveVersion
from apps.tenants.scope import tenant_scope

if TYPE_CHECKING:
    from apps.tenants.models import Tenant

log = logging.getLogger("alliance.tracking.live")

#: Merchants whose prepaid balance ran out serve no campaigns (billing, issue 21). The money
#: engineer adds ``Merchant.prepaid_exhausted``; until it exists the filter is a no-op.
PREPAID_FILTER = (
    {"merchant__prepaid_exhausted": False}
    if any(f.name == "prepaid_exhausted" for f in Merchant._meta.get_fields())
    else {}
)


@dataclass(frozen=True, slots=True)
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


@dataclass(frozen=True, slots=True)
class ProductRef:
    id: int
    merchant_id: int
    merchant_name: str
    sku: str
    title: str
    url: str
    price: Decimal
    image_url: str
    #: the URL is on a verified domain of its merchant: only then may ``/c/`` redirect there
    redirects: bool


@dataclass(frozen=True, slots=True)
class CampaignRef:
    """Any campaign of the tenant, for ``cid`` on ``/c/`` (a paused plan's ad still counts)."""

    merchant_id: int
    type: str


@dataclass(frozen=True, slots=True)
class CampaignCandidate:
    """An active campaign of an active merchant, with its active products' ids, the
    roll-up history its bid needs (``spend_today`` there is unused: see ``budget``) and all
    its phases: ``terms(day)`` is what it runs at on a tenant-local day, so a phase starting
    at midnight takes effect with no write or reload then."""

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
    product_ids: tuple[int, ...]
    inputs: BidInputs
    phases: tuple[PhaseTerms, ...] = ()

    def terms(self, day: datetime.date) -> Terms:
        """The daily budget and target ROI of the phase in force on ``day`` (tenant-local),
        else the plan's own (``apps.campaigns.phases.terms_on``, the one rule)."""
        return terms_on(
            daily_budget=self.daily_budget, target_roi=self.target_roi, phases=self.phases,
            day=day,
        )  # fmt: skip


@dataclass(frozen=True)
class TenantSnapshot:
    tenant: Tenant
    tenant_id: int
    slug: str
    zone: ZoneInfo
    version: int
    loaded_at: float
    placements: dict[str, PlacementRef]
    products_by_sku: dict[str, tuple[ProductRef, ...]]
    products: dict[int, ProductRef]
    #: verified domain -> merchant id (active merchants only)
    domains: dict[str, int]
    campaigns: tuple[CampaignCandidate, ...]
    campaign_refs: dict[int, CampaignRef]
    #: tenant settings the hot paths use
    settings: dict[str, Any] = field(default_factory=dict)

    def merchant_for_host(self, host: str) -> int | None:
        """The merchant whose verified domain is ``host`` or a parent domain of it."""
        labels = host.lower().rstrip(".").split(".")
        for start in range(len(labels) - 1):
            merchant_id = self.domains.get(".".join(labels[start:]))
            if merchant_id is not None:
                return merchant_id
        return None

    def local_today(self, now: datetime.datetime | None = None) -> datetime.date:
        return local_day(now or timezone.now(), self.tenant)


def _placements() -> dict[str, PlacementRef]:
    rows = Placement.objects.values_list(
        "id",
        "code",
        "site_id",
        "site__affiliate_id",
        "position",
        "site__weight",
        "floor_cpm",
        "is_active",
        "site__status",
        "site__affiliate__status",
    )
    return {
        code: PlacementRef(
            id=pk,
            code=code,
            site_id=site_id,
            affiliate_id=affiliate_id,
            position=position,
            site_weight=weight,
            floor_cpm=floor_cpm,
            is_live=bool(
                active
                and site_status == SiteStatus.APPROVED
                and affiliate_status == PipelineStatus.ACTIVE
            ),
        )
        for (
            pk,
            code,
            site_id,
            affiliate_id,
            position,
            weight,
            floor_cpm,
            active,
            site_status,
            affiliate_status,
        ) in rows
    }


def _domains() -> dict[str, int]:
    return dict(
        MerchantDomain.objects.filter(
            merchant__is_active=True, verified_at__isnull=False
        ).values_list("domain", "merchant_id")
    )


def _on_domains(url: str, domains: Iterable[str]) -> bool:
    host = url_host(url)
    return host is not None and any(host_within(host, domain) for domain in domains)


def _products(domains: dict[str, int]) -> tuple[dict[str, tuple[ProductRef, ...]], dict]:
    by_merchant: dict[int, list[str]] = {}
    for domain, merchant_id in domains.items():
        by_merchant.setdefault(merchant_id, []).append(domain)
    rows = (
        Product.objects.filter(is_active=True, merchant__is_active=True)
        .order_by("id")
        .values_list(
            "id", "merchant_id", "merchant__name", "sku", "title", "url", "price", "image_url"
        )
    )
    by_sku: dict[str, list[ProductRef]] = {}
    by_id: dict[int, ProductRef] = {}
    for pk, merchant_id, merchant_name, sku, title, url, price, image_url in rows:
        product = ProductRef(
            id=pk,
            merchant_id=merchant_id,
            merchant_name=merchant_name,
            sku=sku,
            title=title,
            url=url,
            price=price,
            image_url=image_url,
            redirects=_on_domains(url, by_merchant.get(merchant_id, ())),
        )
        by_sku.setdefault(sku, []).append(product)
        by_id[pk] = product
    return {sku: tuple(items) for sku, items in by_sku.items()}, by_id


def _campaigns(now: datetime.datetime) -> tuple[CampaignCandidate, ...]:
    from apps.tracking.performance import campaign_bid_inputs

    product_ids = ArraySubquery(
        CampaignProduct.objects.filter(campaign_id=OuterRef("pk"), product__is_active=True)
        .order_by("product_id")
        .values("product_id")
    )
    rows = list(
        Campaign.objects.filter(
            status=CampaignStatus.ACTIVE, merchant__is_active=True, **PREPAID_FILTER
        )
        .annotate(product_ids=product_ids)
        .order_by("id")
        .values(
            "id", "merchant_id", "created_at", "type", "bid", "target_roi", "daily_budget",
            "starts_at", "ends_at", "min_site_weight", "product_ids",
        )
    )  # fmt: skip
    rows = [row for row in rows if row["product_ids"]]
    ids = [row["id"] for row in rows]
    inputs = campaign_bid_inputs(campaign_ids=ids, now=now)
    phases = _phases(ids)
    return tuple(
        CampaignCandidate(
            **{**row, "product_ids": tuple(row["product_ids"])},
            inputs=inputs.get(row["id"], BidInputs()),
            phases=phases.get(row["id"], ()),
        )
        for row in rows
    )


def _phases(campaign_ids: list[int]) -> dict[int, tuple[PhaseTerms, ...]]:
    """Every phase of these campaigns, past and future, in day order (one query; at most 20
    a plan: ``campaign_phases_set``). All of them, so the day boundary needs no reload."""
    by_campaign: dict[int, list[PhaseTerms]] = {}
    if not campaign_ids:
        return {}
    rows = (
        CampaignPhase.objects.filter(campaign_id__in=campaign_ids)
        .order_by("campaign_id", "first_day")
        .values_list("campaign_id", "kind", "first_day", "last_day", "daily_budget", "target_roi")
    )
    for campaign_id, *terms in rows:
        by_campaign.setdefault(campaign_id, []).append(PhaseTerms(*terms))
    return {pk: tuple(items) for pk, items in by_campaign.items()}


def _campaign_refs() -> dict[int, CampaignRef]:
    return {
        pk: CampaignRef(merchant_id=merchant_id, type=kind)
        for pk, merchant_id, kind in Campaign.objects.values_list("id", "merchant_id", "type")
    }


def snapshot_load(tenant: Tenant) -> TenantSnapshot:
    """Read one tenant's served state (the version first: a change committed while this
    runs bumps it again, so the next check reloads)."""
    started = time.perf_counter()
    with tenant_scope(tenant), transaction.atomic():
        version = (
            LiveVersion.objects.filter(tenant_id=tenant.pk)
            .values_list("version", flat=True)
            .first()
        ) or 0
        domains = _domains()
        by_sku, by_id = _products(domains)
        snapshot = TenantSnapshot(
            tenant=tenant,
            tenant_id=tenant.pk,
            slug=tenant.slug,
            zone=tenant.zone,
            version=version,
            loaded_at=time.monotonic(),
            placements=_placements(),
            products_by_sku=by_sku,
            products=by_id,
            domains=domains,
            campaigns=_campaigns(timezone.now()),
            campaign_refs=_campaign_refs(),
        )
    log.info(
        "snapshot of %s v%s: %s placements, %s products, %s campaigns in %.0f ms",
        tenant.slug,
        version,
        len(snapshot.placements),
        len(snapshot.products),
        len(snapshot.campaigns),
        (time.perf_counter() - started) * 1000,
    )
    return snapshot


class Registry:
    """This process's snapshots, by tenant id.

    ``get`` answers the current snapshot; the first use of a tenant loads it in the caller.
    A tenant marked stale (``invalidate``) is reloaded by the propagation thread while
    requests keep the previous snapshot, or, where no thread runs (tests, shells), by the next
    ``get``."""

    def __init__(self) -> None:
        self._snapshots: dict[int, TenantSnapshot] = {}
        self._tenants: dict[int, Tenant] = {}
        self._stale: set[int] = set()
        self._loading: dict[int, threading.Lock] = {}
        self._lock = threading.Lock()
        #: set by ``apps.tracking.propagation`` once its thread runs in this process
        self.background = False

    def get(self, tenant: Tenant) -> TenantSnapshot:
        snapshot = self._snapshots.get(tenant.pk)
        if snapshot is None:
            from apps.tracking import propagation

            propagation.ensure_started()
            return self.reload(tenant)
        if tenant.pk in self._stale and not self.background:
            return self.reload(tenant)
        return snapshot

    def reload(self, tenant: Tenant) -> TenantSnapshot:
        with self._lock:
            lock = self._loading.setdefault(tenant.pk, threading.Lock())
        with lock:
            current = self._snapshots.get(tenant.pk)
            if current is not None and tenant.pk not in self._stale:
                return current  # another thread loaded it meanwhile
            self._stale.discard(tenant.pk)
            try:
                snapshot = snapshot_load(tenant)
            except BaseException:
                self._stale.add(tenant.pk)
                raise
            self._snapshots[tenant.pk] = snapshot
            self._tenants[tenant.pk] = tenant
            if snapshot.campaigns:
                # a process (re)starting mid-day knows the day's spend before it serves
                from apps.tracking import budget

                budget.spend_refresh(tenant=tenant, day=snapshot.local_today())
            return snapshot

    def invalidate(self, tenant_id: int) -> None:
        self._stale.add(tenant_id)

    def stale(self) -> list[Tenant]:
        return [self._tenants[pk] for pk in list(self._stale) if pk in self._tenants]

    def loaded(self) -> dict[int, TenantSnapshot]:
        return dict(self._snapshots)

    def tenant(self, tenant_id: int) -> Tenant | None:
        return self._tenants.get(tenant_id)

    def clear(self) -> None:
        """Forget every snapshot (tests)."""
        with self._lock:
            self._snapshots.clear()
            self._tenants.clear()
            self._stale.clear()


registry = Registry()
