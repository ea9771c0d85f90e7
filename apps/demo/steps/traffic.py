"""Demo data: traffic. Idempotent; runs inside the demo tenant's scope.

For the tenant's live placements and active plans (made by the onboarding and campaigns
steps; with none, it logs and does nothing), generates ``days`` tenant-local days of
impressions, clicks (mostly valid, some bots and repeats), landings, registrations and orders
(a few refunded or cancelled) with bulk inserts, not the HTTP path, then runs the day's
pipeline (``daily_run_execute``: roll-ups, spend, earnings, weights) for each day in order.
A day whose run is already done is skipped; a day with traffic but no finished run is only
run again. Random but reproducible: each placement-day has its own seeded generator.
"""

from __future__ import annotations

import datetime
import random
import uuid
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction

from apps.affiliates.models import PipelineStatus
from apps.campaigns.models import Campaign, CampaignProduct, CampaignStatus, CampaignType
from apps.sites.models import Placement, SiteStatus
from apps.tenants.clock import day_window, tenant_today
from apps.tracking.models import (
    Click,
    Conversion,
    ConversionItem,
    ConversionStatus,
    DailyRun,
    DailyRunStatus,
    Impression,
)
from apps.tracking.services import conversion_status_set, daily_run_execute

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_3 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_3) AppleWebKit/605.1.15 Version/17.3 Safari",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/121.0 Mobile Safari",
    "Mozilla/5.0 (X11; Linux x86_64; rv:123.0) Gecko/20100101 Firefox/123.0",
]
BOTS = ["Googlebot/2.1 (+http://www.google.com/bot.html)", "curl/8.5.0", "python-requests/2.31"]
SUBS = ["", "", "", "newsletter", "sidebar-top", "wechat"]
PRICE = Decimal("0.0001")


def _price(value: Decimal) -> Decimal:
    return value.quantize(PRICE, rounding=ROUND_HALF_UP)


def _live_placements() -> list[Placement]:
    return list(
        Placement.objects.select_related("site")
        .filter(
            is_active=True,
            site__status=SiteStatus.APPROVED,
            site__affiliate__status=PipelineStatus.ACTIVE,
        )
        .order_by("id")
    )


def _plans() -> list[tuple[Campaign, list[Any]]]:
    plans = []
    campaigns = Campaign.objects.filter(status=CampaignStatus.ACTIVE).order_by("id")
    for campaign in campaigns:
        products = [
            cp.product
            for cp in CampaignProduct.objects.select_related("product").filter(campaign=campaign)
            if cp.product.is_active
        ]
        if products:
            plans.append((campaign, products))
    return plans


def _bid_prices(campaign: Campaign, product: Any) -> tuple[Decimal, Decimal | None]:
    """A plausible clearing price: CPM plans pay 80% of their bid per mille; CPC plans pay 90%
    of their bid per click at a 1% CTR. Full-site plans bid price x 20% / target ROI, more than
    the demo's clicks return (about 10% of the price a click), so they miss their target ROI
    and their merchants have a claim to file (issue 13)."""
    if campaign.type == CampaignType.CPM:
        return _price((campaign.bid or Decimal("10")) * Decimal("0.8")), None
    if campaign.type == CampaignType.FULL_SITE:
        cpc = product.price * Decimal("0.20") / (campaign.target_roi or Decimal("3"))
    else:
        cpc = campaign.bid or Decimal("0.50")
    cpc = _price(cpc * Decimal("0.9"))
    return _price(cpc * Decimal("10")), cpc


def _generate_day(
    *, tenant: Any, day: datetime.date, placements: list[Placement], plans: list[Any]
) -> dict[str, int]:
    start, end = day_window(day, tenant)
    bidding = [(c, p) for c, p in plans if c.type != CampaignType.CPS]
    per_sale = [(c, p) for c, p in plans if c.type == CampaignType.CPS]
    impressions: list[Impression] = []
    clicks: list[Click] = []
    for placement in placements:
        rng = random.Random(f"{tenant.pk}:{placement.pk}:{day.isoformat()}")  # noqa: S311
        weight = placement.site.weight
        served = []
        for _ in range(rng.randint(60, 100) + 6 * weight):
            campaign, products = rng.choice(bidding) if bidding else rng.choice(per_sale)
            product = rng.choice(products)
            at = start + datetime.timedelta(seconds=rng.randint(0, 86_399))
            price_cpm, cpc_price = _bid_prices(campaign, product)
            impression = Impression(
                tenant=tenant, placement=placement, campaign=campaign, product=product,
                merchant=campaign.merchant, served_at=at, price_cpm=price_cpm,
                cpc_price=cpc_price,
                rendered_at=at + datetime.timedelta(seconds=1) if rng.random() < 0.95 else None,
            )  # fmt: skip
            served.append(impression)
        impressions.extend(served)
        visitors: list[tuple[str, str]] = []
        for _ in range(rng.randint(12, 24) + 2 * weight):
            roll = rng.random()
            if roll < 0.08:
                ip, ua = f"66.249.{rng.randint(64, 95)}.{rng.randint(1, 254)}", rng.choice(BOTS)
            elif roll < 0.18 and visitors:
                ip, ua = rng.choice(visitors)  # a repeat: duplicate within the window
            else:
                ip = f"{rng.choice([36, 58, 101, 112, 183, 220])}.{rng.randint(1, 254)}." + (
                    f"{rng.randint(1, 254)}.{rng.randint(1, 254)}"
                )
                ua = rng.choice(BROWSERS)
                visitors.append((ip, ua))
            if served and rng.random() < 0.7:
                impression = rng.choice(served)
                campaign, product = impression.campaign, impression.product
                impression_id = impression.impression_id
                # clicked within minutes, and on the same day (a day's data stays in its day)
                at = min(
                    impression.served_at + datetime.timedelta(seconds=rng.randint(2, 600)),
                    end - datetime.timedelta(seconds=1),
                )
            elif per_sale or plans:
                campaign, products = rng.choice(per_sale or plans)
                product, impression_id = rng.choice(products), None
                at = start + datetime.timedelta(seconds=rng.randint(0, 86_399))
            else:
                continue
            clicks.append(
                Click(
                    tenant=tenant, click_id=uuid.uuid4(), clicked_at=at, placement=placement,
                    affiliate_id=placement.site.affiliate_id, campaign=campaign, product=product,
                    merchant=campaign.merchant, impression_id=impression_id, ip=ip,
                    user_agent=ua, sub=rng.choice(SUBS),
                    landed_at=at + datetime.timedelta(seconds=3) if rng.random() < 0.85 else None,
                )
            )  # fmt: skip
    Impression.objects.bulk_create(impressions, batch_size=2000)
    Click.objects.bulk_create(clicks, batch_size=2000)
    return {"impressions": len(impressions), "clicks": len(clicks), **_conversions(
        tenant=tenant, day=day, clicks=clicks
    )}  # fmt: skip


def _conversions(*, tenant: Any, day: datetime.date, clicks: list[Click]) -> dict[str, int]:
    rng = random.Random(f"{tenant.pk}:conversions:{day.isoformat()}")  # noqa: S311
    conversions: list[Conversion] = []
    lines: list[tuple[int, Any, Decimal, int]] = []
    for click in clicks:
        if click.user_agent in BOTS or click.landed_at is None:
            continue
        roll = rng.random()
        if roll > 0.16:
            continue
        kind = "registration" if roll < 0.09 else "order"
        at = click.clicked_at + datetime.timedelta(minutes=rng.randint(1, 240))
        amount = None
        quantity = rng.randint(1, 2)
        if kind == "order":
            amount = (click.product.price * quantity).quantize(Decimal("0.01"))
            lines.append((len(conversions), click.product, amount, quantity))
        conversions.append(
            Conversion(
                tenant=tenant, merchant_id=click.merchant_id, type=kind,
                external_id=f"DEMO-{kind[0].upper()}-{click.click_id.hex[:12]}", click=click,
                placement_id=click.placement_id, affiliate_id=click.affiliate_id,
                campaign=click.campaign, product=click.product, occurred_at=at,
                day=at.astimezone(tenant.zone).date(), amount=amount,
                customer_type="returning" if rng.random() < 0.3 else "new",
                customer_ref=f"demo-customer-{rng.randint(1, 400)}" if kind == "order" else "",
            )
        )  # fmt: skip
    Conversion.objects.bulk_create(conversions, batch_size=2000)
    ConversionItem.objects.bulk_create(
        [
            ConversionItem(
                tenant=tenant, conversion=conversions[index], sku=product.sku, product=product,
                product_type=product.product_type, quantity=quantity, amount=amount,
            )
            for index, product, amount, quantity in lines
        ],
        batch_size=2000,
    )  # fmt: skip
    orders = [c for c in conversions if c.type == "order"]
    refunded = 0
    for order in orders:
        roll = rng.random()
        if roll < 0.03:
            conversion_status_set(
                conversion=order, status=ConversionStatus.REFUNDED, reason="returned"
            )
            refunded += 1
        elif roll < 0.05:
            conversion_status_set(
                conversion=order, status=ConversionStatus.CANCELLED, reason="cancelled"
            )
    return {
        "registrations": len(conversions) - len(orders),
        "orders": len(orders),
        "refunded": refunded,
    }


def seed(*, tenant: Any, days: int, result: Any, log: Any) -> None:
    placements = _live_placements()
    plans = _plans()
    if not placements or not plans:
        log("Traffic: no live placements or active plans yet; skipped")
        return
    today = tenant_today(tenant)
    done = set(DailyRun.objects.filter(status=DailyRunStatus.DONE).values_list("day", flat=True))
    generated = ran = 0
    for back in range(days, 0, -1):
        day = today - datetime.timedelta(days=back)
        if day in done:
            continue
        start, end = day_window(day, tenant)
        with transaction.atomic():
            if not Click.objects.filter(clicked_at__gte=start, clicked_at__lt=end).exists():
                _generate_day(tenant=tenant, day=day, placements=placements, plans=plans)
                generated += 1
        daily_run_execute(day=day)
        ran += 1
    log(f"Traffic: generated {generated} day(s), ran the pipeline for {ran} day(s)")
