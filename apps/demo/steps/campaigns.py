"""Demo data: products and campaigns. Idempotent; runs inside the demo tenant's scope.

Uses the merchants the onboarding step created; if there are none (the onboarding step not in
place), it creates two demo merchants of its own. Each merchant gets a catalogue of products
(upserted by sku) and one active plan of each kind: CPC, CPM, CPS and full-site (the full-site
plan on a product of its own, so exclusivity holds). Plans are found again by name, so a rerun
creates nothing twice.
"""

from __future__ import annotations

import contextlib
import datetime
from decimal import Decimal
from typing import Any

from apps.campaigns.errors import CampaignError
from apps.campaigns.models import Campaign, CampaignStatus, Merchant, Product
from apps.campaigns.services.campaigns import campaign_create, campaign_transition
from apps.campaigns.services.merchants import merchant_create, merchant_domains_set
from apps.campaigns.services.products import (
    ProductTaggingStats,
    product_tagging_apply,
    product_upsert,
)
from apps.tenants.clock import tenant_today

FALLBACK_MERCHANTS = [
    ("demo-shop", "Demo Shop", "brand", "shop.demo-shop.example"),
    ("demo-gadgets", "Demo Gadgets", "smb", "demo-gadgets.example"),
]
#: The full-site plans aim at their product's middle tier, ROI 3 (the demo's full-site clicks
#: are priced above what they return, see the traffic step, so the plans miss it).
FULL_SITE_TARGET_ROI = Decimal("3.00")
COFFEE_HISTORY = ProductTaggingStats(
    orders=40, valid_clicks=400, gmv=Decimal("600.00"), spend=Decimal("200.00")
)
CATALOGUE = [
    ("Wireless earbuds", "electronics", Decimal("199.00")),
    ("Smart watch", "electronics", Decimal("899.00")),
    ("Electric kettle", "home", Decimal("129.00")),
    ("Running shoes", "apparel", Decimal("459.00")),
    ("Face serum", "beauty", Decimal("239.00")),
    ("Coffee beans 1 kg", "grocery", Decimal("98.50")),
]


def _merchants(log: Any) -> list[Merchant]:
    merchants = list(Merchant.objects.filter(is_active=True).order_by("code"))
    if merchants:
        return merchants
    for code, name, tier, domain in FALLBACK_MERCHANTS:
        merchants.append(
            merchant_create(
                code=code,
                name=name,
                tier=tier,
                contact_email=f"ads@{domain}",
                domains=[domain],
                domains_verified=True,
            )
        )
    log(f"Created {len(merchants)} demo merchants (no onboarding merchants found)")
    return merchants


def _domain(merchant: Merchant) -> str:
    """The merchant's first domain, verified (demo data vouches for it), for its products."""
    first = merchant.domains.order_by("domain").first()
    domain = first.domain if first is not None else f"{merchant.code.lower()}-demo.example"
    if first is None or not first.is_verified:
        current = list(merchant.domains.values_list("domain", flat=True))
        merchant_domains_set(merchant=merchant, domains=current or [domain], verified=True)
    return domain


def _products(merchant: Merchant) -> list[Product]:
    domain = _domain(merchant)
    products = []
    for index, (title, product_type, price) in enumerate(CATALOGUE, start=1):
        sku = f"{merchant.code.upper()}-{index:03d}"
        product, _ = product_upsert(
            merchant=merchant,
            sku=sku,
            title=f"{title} ({merchant.name})",
            url=f"https://{domain}/p/{sku.lower()}",
            price=price,
            product_type=product_type,
        )
        products.append(product)
    return products


def _plan(merchant: Merchant, name: str, **values: Any) -> tuple[Campaign, bool]:
    existing = Campaign.objects.filter(merchant=merchant, name=name).first()
    if existing is not None:
        return existing, False
    campaign = campaign_create(merchant=merchant, name=name, status=CampaignStatus.DRAFT, **values)
    # A refusal (e.g. a quota lowered by staff) leaves the draft: the demo goes on.
    with contextlib.suppress(CampaignError):
        campaign = campaign_transition(campaign=campaign, to=CampaignStatus.ACTIVE)
    return campaign, True


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    today = tenant_today(tenant)
    starts_at = datetime.datetime.combine(
        today - datetime.timedelta(days=days), datetime.time.min, tzinfo=tenant.zone
    )
    created = 0
    history: dict[int, ProductTaggingStats] = {}
    merchants = _merchants(log)
    for merchant in merchants:
        for product in _products(merchant)[5:6]:
            if not Campaign.objects.filter(merchant=merchant, name="Full-site: coffee").exists():
                history[product.pk] = COFFEE_HISTORY
    if history:
        # The coffee beans sold well before the demo's month (40 orders, ROI 3): tagged, with
        # tiers 2.4 / 3.0 / 3.6, so the full-site plans start eligible for a claim.
        # Tonight's tagging run recomputes the product from real roll-ups; a started plan keeps
        # the facts it froze at start.
        product_tagging_apply(
            day=today - datetime.timedelta(days=days + 1),
            stats=history,
            median_conversion_rate=COFFEE_HISTORY.conversion_rate,
        )
    for merchant in merchants:
        products = _products(merchant)
        plans = [
            ("CPC: electronics", {"type": "cpc", "bid": Decimal("0.60"), "products": products[:2]}),
            ("CPM: home and style", {"type": "cpm", "bid": Decimal("18.00"),
                                     "products": products[2:4]}),
            ("CPS: everyday", {"type": "cps", "products": products[4:5]}),
            ("Full-site: coffee", {"type": "full_site", "target_roi": FULL_SITE_TARGET_ROI,
                                   "products": products[5:6]}),
        ]  # fmt: skip
        for name, values in plans:
            _, is_new = _plan(
                merchant,
                name,
                daily_budget=Decimal("500.00"),
                starts_at=starts_at,
                min_site_weight=1,
                **values,
            )
            created += is_new
    log(f"Campaigns: {created} plan(s) created")
