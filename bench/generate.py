"""Build one tenant at scale directly in PostgreSQL (COPY), seeded and reproducible.

    python -m bench.generate --scale 1.0 --seed 42            # the "bench" tenant
    python -m bench.generate --scale 0.01 --slug bench-dev    # while developing
    python -m bench.generate --rows 10 --slug bench-10        # every table about 10 rows

At ``--scale 1.0``: 2,000 webmasters, 2,500 sites, 5,000 placements (the first webmaster has
50 of them), 200 merchants, 20,000 products, 400 campaigns; on ``--day`` 1,000,000 clicks
(about 85% valid, 5% bots, 5% duplicates, 4% over the per-IP cap, 0.5% self-clicks), 500,000
impressions, 20,000 conversions with their order lines; the 90 days before it as roll-ups
(placement, sub and campaign day stats; a campaign product's days follow a lifecycle shape:
flat, growing, declining or with a burst); 20,000 conversions in the settlement period (the
month before ``--day``'s). ``--scale`` multiplies every count.

Money is derived, not generated (issue 13): from the settlement period's first day to the day
before ``--day``, the product's own daily steps (``DERIVED_STEPS``: accrual, earnings, spend,
approval) write commissions, daily earnings, ledger postings and spend charges from the loaded
roll-ups and conversions, so ``manage.py reconcile`` finds both months consistent; the click
day's commissions are accrued too. Earlier roll-up days get daily earnings by COPY with the
product's ``contract_part`` (no conversions, no ledger). The click mix uses the tenant's own
dedupe window and per-IP cap (issue 20).

Everything is written inside the tenant's scope and RLS setting (``bench.loader``). An existing
tenant of the same slug is refused unless ``--reset`` (delete its data first).
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import time
import uuid
import zoneinfo
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

DEFAULT_DAY = datetime.date(2026, 11, 30)
ROLLUP_DAYS = 90
TIMEZONE = "Asia/Shanghai"
STAFF_EMAIL = "staff@{slug}.localhost"
STAFF_PASSWORD = "bench-pass-w0rd"  # a throwaway tenant on a throwaway database
ROLE_STAFF = ("bd", "finance", "risk")  # staff holding only that role
ROLE_STAFF_EMAIL = "{role}@{slug}.localhost"

BASE = {
    "webmasters": 2_000,
    "sites": 2_500,
    "placements": 5_000,
    "merchants": 200,
    "products": 20_000,
    "campaigns": 400,
    "clicks": 1_000_000,
    "impressions": 500_000,
    "conversions": 20_000,
    # conversions in the settlement period (the month before --day's month), for commissions
    "period_conversions": 20_000,
}
BIG_WEBMASTER_PLACEMENTS = 50
PRODUCTS_PER_CAMPAIGN = 5

MIX = {"bot": 0.05, "duplicate": 0.05, "ip_cap": 0.04, "self": 0.005}  # the rest is valid
IP_CAP_BURST = 4  # clicks per offending (ip, placement), in caps: one cap paid, three over it

BROWSERS = [
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.{v} Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_{v} like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.{v}",
    "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/{v}.0.0.0 Mobile Safari/537.36",
    "Mozilla/5.0 (X11; Linux x86_64; rv:{v}.0) Gecko/20100101 Firefox/{v}.0",
]
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
    "Sogou web spider/4.0(+http://www.sogou.com/docs/help/webmasters.htm#07)",
    "python-requests/2.31.0",
    "curl/8.5.0",
    "Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)",
    "HeadlessChrome/120.0.0.0 crawler",
]
PRODUCT_TYPES = ["electronics", "fashion", "beauty", "home", "books", "toys", "food", "sports"]
SUBS = ["newsletter", "home", "sidebar-a", "blog", "wechat"]
CAMPAIGN_TYPES = ["cps", "cpc", "cpm", "full_site"]


def counts_for(scale: float, rows: int | None) -> dict[str, int]:
    if rows is not None:
        return dict.fromkeys(BASE, rows)
    return {key: max(1, round(value * scale)) for key, value in BASE.items()}


@dataclass
class World:
    """What later steps need to know about what earlier steps wrote (ids, not rows)."""

    tenant: Any
    day: datetime.date
    zone: zoneinfo.ZoneInfo
    counts: dict[str, int]
    rollup_days: int = ROLLUP_DAYS
    affiliate_ids: list[int] = field(default_factory=list)
    affiliate_ips: list[str] = field(default_factory=list)
    site_ids: list[int] = field(default_factory=list)
    site_affiliate: list[int] = field(default_factory=list)  # site index -> affiliate index
    placement_ids: list[int] = field(default_factory=list)
    placement_codes: list[str] = field(default_factory=list)
    placement_site: list[int] = field(default_factory=list)  # placement index -> site index
    placement_weight: list[float] = field(default_factory=list)
    contract_ids: list[int] = field(default_factory=list)
    contract_terms: list[tuple[Decimal, Decimal]] = field(default_factory=list)
    merchant_ids: list[int] = field(default_factory=list)
    product_ids: list[int] = field(default_factory=list)
    product_merchant: list[int] = field(default_factory=list)  # product index -> merchant index
    product_price: list[Decimal] = field(default_factory=list)
    product_type: list[str] = field(default_factory=list)
    product_sku: list[str] = field(default_factory=list)
    campaign_ids: list[int] = field(default_factory=list)
    campaign_merchant: list[int] = field(default_factory=list)
    campaign_products: list[list[int]] = field(default_factory=list)  # product indexes
    rule_ids: dict[str, int] = field(default_factory=dict)
    valid_clicks: list[tuple[int, int, datetime.datetime, int, int | None]] = field(
        default_factory=list
    )
    timings: dict[str, float] = field(default_factory=dict)

    def day_start(self, day: datetime.date | None = None) -> datetime.datetime:
        day = day or self.day
        local = datetime.datetime(day.year, day.month, day.day, tzinfo=self.zone)
        return local.astimezone(datetime.UTC)


def _ip(n: int) -> str:
    return f"{(n >> 24) & 255}.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randint(low * 100, high * 100)) / 100


def _weighted_picker(rng: random.Random, weights: list[float]):  # type: ignore[no-untyped-def]
    """A fast sampler of indexes by weight (cumulative table + bisect)."""
    import bisect
    import itertools

    cumulative = list(itertools.accumulate(weights))
    total = cumulative[-1]

    def pick() -> int:
        return bisect.bisect_left(cumulative, rng.random() * total)

    return pick


# --------------------------------------------------------------------------- the steps


def _people(world: World, loader: Any, rng: random.Random) -> None:
    from apps.affiliates.models import Affiliate, AffiliateIp
    from apps.sites.models import Contract, Placement, Site

    c = world.counts
    n_aff, n_sites, n_pl = c["webmasters"], max(c["sites"], c["webmasters"]), c["placements"]
    slug = world.tenant.slug
    first = loader.reserve_ids(Affiliate, n_aff)
    world.affiliate_ids = list(range(first, first + n_aff))
    kinds = ["webmaster", "webmaster", "content", "cashback", "influencer"]
    loader.load(
        Affiliate,
        ["id", "email", "name", "kind", "status", "company"],
        (
            (
                world.affiliate_ids[i],
                f"wm{i:05d}@{slug}.example",
                f"Webmaster {i:05d}",
                kinds[i % len(kinds)],
                "active",
                f"Studio {i:05d}",
            )
            for i in range(n_aff)
        ),
    )
    # Each webmaster's own address (self-clicks come from it); 198.18.0.0/15 is benchmark space.
    world.affiliate_ips = [_ip((198 << 24) + (18 << 16) + i) for i in range(n_aff)]
    loader.load(
        AffiliateIp,
        ["affiliate_id", "ip", "first_seen_at", "last_seen_at"],
        (
            (world.affiliate_ids[i], world.affiliate_ips[i], loader.now, loader.now)
            for i in range(n_aff)
        ),
    )

    first = loader.reserve_ids(Site, n_sites)
    world.site_ids = list(range(first, first + n_sites))
    world.site_affiliate = [
        i if i < n_aff else rng.randrange(1, n_aff) if n_aff > 1 else 0 for i in range(n_sites)
    ]
    categories = ["deals", "tech", "fashion", "family", "travel", "food"]
    verified = world.day_start() - datetime.timedelta(days=200)
    loader.load(
        Site,
        [
            "id",
            "affiliate_id",
            "url",
            "name",
            "category",
            "status",
            "verification_token",
            "verified_at",
            "verification_method",
            "weight",
        ],
        (
            (
                world.site_ids[s],
                world.affiliate_ids[world.site_affiliate[s]],
                f"https://site{s:05d}.{slug}.example/",
                f"Site {s:05d}",
                categories[s % len(categories)],
                "approved",
                f"{rng.getrandbits(128):032x}",
                verified,
                "meta_tag",
                rng.randint(1, 10),
            )
            for s in range(n_sites)
        ),
    )

    # Placements: the first site (first webmaster) has 50, then one per site, then random.
    big = min(BIG_WEBMASTER_PLACEMENTS, n_pl // 2) if n_pl >= 4 else 1
    placement_site = [0] * big
    rest = n_pl - big
    others = list(range(1, n_sites)) or [0]
    for j in range(rest):
        placement_site.append(others[j] if j < len(others) else rng.choice(others))
    world.placement_site = placement_site
    first = loader.reserve_ids(Placement, n_pl)
    world.placement_ids = list(range(first, first + n_pl))
    world.placement_codes = [f"P{j:06d}" for j in range(n_pl)]
    positions = ["bottom_left", "bottom_right", "banner", "sidebar", "text_link"]
    loader.load(
        Placement,
        ["id", "site_id", "code", "name", "position", "floor_cpm", "is_active"],
        (
            (
                world.placement_ids[j],
                world.site_ids[placement_site[j]],
                world.placement_codes[j],
                f"Slot {j}",
                positions[j % len(positions)],
                _money(rng, 1, 20),
                True,
            )
            for j in range(n_pl)
        ),
    )
    # Traffic is skewed (a few placements carry much of it): Zipf-like weights.
    order = list(range(n_pl))
    rng.shuffle(order)
    weights = [0.0] * n_pl
    for rank, j in enumerate(order):
        weights[j] = 1.0 / (rank + 10) ** 0.8
    world.placement_weight = weights

    first = loader.reserve_ids(Contract, n_pl)
    world.contract_ids = list(range(first, first + n_pl))
    terms = []
    for j in range(n_pl):
        guarantee = _money(rng, 50, 500) if j % 3 == 0 else Decimal("0.00")
        rate = Decimal(rng.randint(500, 2000)) / 10000
        terms.append((guarantee, rate))
    world.contract_terms = terms
    starts = world.day - datetime.timedelta(days=365)
    loader.load(
        Contract,
        ["id", "placement_id", "daily_guarantee", "click_rate", "starts_on", "status"],
        (
            (world.contract_ids[j], world.placement_ids[j], *terms[j], starts, "active")
            for j in range(n_pl)
        ),
    )


def _merchants(world: World, loader: Any, rng: random.Random) -> None:
    from apps.campaigns.models import Campaign, CampaignProduct, Merchant, MerchantDomain, Product

    c = world.counts
    n_m, n_p, n_c = c["merchants"], c["products"], c["campaigns"]
    slug = world.tenant.slug
    first = loader.reserve_ids(Merchant, n_m)
    world.merchant_ids = list(range(first, first + n_m))
    tiers = ["brand", "high_potential", "smb", "smb"]
    loader.load(
        Merchant,
        ["id", "code", "name", "tier", "contact_email", "plan_quota", "is_active"],
        (
            (
                world.merchant_ids[m],
                f"M{m:04d}",
                f"Merchant {m:04d}",
                tiers[m % len(tiers)],
                f"ops@m{m:04d}.{slug}.example",
                200,
                True,
            )
            for m in range(n_m)
        ),
    )
    loader.load(
        MerchantDomain,
        ["merchant_id", "domain", "verified_at", "verification_method"],
        (  # verified, as imports create them: product URLs and deep links go there
            (world.merchant_ids[m], f"m{m:04d}.shop.{slug}.example", loader.now, "import")
            for m in range(n_m)
        ),
    )
    first = loader.reserve_ids(Product, n_p)
    world.product_ids = list(range(first, first + n_p))
    world.product_merchant = [k % n_m for k in range(n_p)]
    world.product_price = [_money(rng, 10, 1500) for _ in range(n_p)]
    world.product_type = [PRODUCT_TYPES[rng.randrange(len(PRODUCT_TYPES))] for _ in range(n_p)]
    world.product_sku = [f"SKU-{k:06d}" for k in range(n_p)]
    loader.load(
        Product,
        ["id", "merchant_id", "sku", "title", "url", "price", "product_type", "is_active"],
        (
            (
                world.product_ids[k],
                world.merchant_ids[world.product_merchant[k]],
                world.product_sku[k],
                f"Product {k:06d}",
                f"https://m{world.product_merchant[k]:04d}.shop.{slug}.example/p/{k}",
                world.product_price[k],
                world.product_type[k],
                True,
            )
            for k in range(n_p)
        ),
    )
    # Campaigns: merchant m owns campaigns m, m + n_m, ...; each has its own products (a
    # product in an active full-site plan is in no other active plan).
    by_merchant: dict[int, list[int]] = {}
    for k in range(n_p):
        by_merchant.setdefault(world.product_merchant[k], []).append(k)
    first = loader.reserve_ids(Campaign, n_c)
    world.campaign_ids = list(range(first, first + n_c))
    starts_at = world.day_start() - datetime.timedelta(days=ROLLUP_DAYS + 30)
    rows = []
    for i in range(n_c):
        m = i % n_m
        world.campaign_merchant.append(m)
        pool = by_merchant.get(m, [0])
        slot = i // n_m
        chosen = pool[slot * PRODUCTS_PER_CAMPAIGN : (slot + 1) * PRODUCTS_PER_CAMPAIGN] or pool[:1]
        world.campaign_products.append(chosen)
        kind = CAMPAIGN_TYPES[i % len(CAMPAIGN_TYPES)]
        bid = Decimal(rng.randint(20, 200)) / 100 if kind in ("cpc", "cpm") else None
        roi = Decimal("4.00") if kind == "full_site" else None
        rows.append(
            (
                world.campaign_ids[i],
                world.merchant_ids[m],
                f"Campaign {i:04d}",
                kind,
                bid,
                _money(rng, 500, 5000),
                roi,
                starts_at,
                "active",
                starts_at,
            )
        )
    loader.load(
        Campaign,
        [
            "id",
            "merchant_id",
            "name",
            "type",
            "bid",
            "daily_budget",
            "target_roi",
            "starts_at",
            "status",
            "started_at",
        ],
        rows,
    )
    loader.load(
        CampaignProduct,
        ["campaign_id", "product_id"],
        (
            (world.campaign_ids[i], world.product_ids[k])
            for i in range(n_c)
            for k in world.campaign_products[i]
        ),
    )


def _clicks(world: World, loader: Any, rng: random.Random) -> dict[str, int]:
    """One day of raw clicks with the intended mix; keeps the valid ones for conversions."""
    from apps.tracking.models import Click

    n = world.counts["clicks"]
    n_pl = len(world.placement_ids)
    n_c = len(world.campaign_ids)
    pick_placement = _weighted_picker(rng, world.placement_weight)
    start = world.day_start()
    seconds = 86_400
    rows: list[tuple[Any, ...]] = []
    intended = {"valid": 0, "bot": 0, "duplicate": 0, "ip_cap": 0, "self": 0}

    # Hot loop (a million rows): everything it picks from is precomputed, and picks use
    # random() (C) rather than randrange/choice (Python-level rejection sampling).
    rand = rng.random
    ads = [
        (world.campaign_ids[i], world.product_ids[k], world.merchant_ids[world.product_merchant[k]])
        for i in range(n_c)
        for k in world.campaign_products[i]
    ]
    n_ads = len(ads)
    browsers = [b.format(v=v) for b in BROWSERS for v in range(100, 131)]
    n_browsers = len(browsers)
    owner = [
        world.affiliate_ids[world.site_affiliate[world.placement_site[j]]] for j in range(n_pl)
    ]
    subs = [SUBS[j % len(SUBS)] if j % 4 == 0 else "" for j in range(n_pl)]
    landing_delays = [datetime.timedelta(seconds=x) for x in range(1, 21)]

    def browser() -> str:
        return browsers[int(rand() * n_browsers)]

    def row(j: int, at: datetime.datetime, ip: str, ua: str, landed: bool) -> tuple[Any, ...]:
        campaign, product, merchant = ads[int(rand() * n_ads)]
        return (
            uuid.UUID(bytes=rng.randbytes(16), version=4),
            at,
            world.placement_ids[j],
            owner[j],
            campaign,
            product,
            merchant,
            ip,
            ua,
            subs[j],
            at + landing_delays[int(rand() * 20)] if landed else None,
        )

    n_bot = int(n * MIX["bot"])
    n_dup = int(n * MIX["duplicate"])
    n_cap = int(n * MIX["ip_cap"])
    n_self = int(n * MIX["self"])
    n_valid = n - n_bot - n_dup - n_cap - n_self
    visitor_base = 100 << 24  # visitors in 100.0.0.0/8, far from the webmasters' own addresses
    fresh: list[tuple[int, str, str, datetime.datetime]] = []
    for _ in range(n_valid):
        j = pick_placement()
        at = start + datetime.timedelta(seconds=rand() * seconds)
        ip = _ip(visitor_base + rng.getrandbits(23))
        ua = browser()
        landed = rand() < 0.7
        rows.append((*row(j, at, ip, ua, landed), landed))
        fresh.append((j, ip, ua, at))
    intended["valid"] += n_valid
    for _ in range(n_bot):
        j = pick_placement()
        at = start + datetime.timedelta(seconds=rng.random() * seconds)
        bot_ip = _ip(visitor_base + rng.getrandbits(23))
        rows.append((*row(j, at, bot_ip, rng.choice(BOTS), False), False))
    intended["bot"] += n_bot
    # The product's own parameters (issue 20): a repeat within the tenant's dedupe window is a
    # duplicate, clicks of one address beyond its daily cap are over it.
    window_s = world.tenant.dedupe_window_hours * 3600
    cap = world.tenant.ip_daily_cap
    for _ in range(n_dup):  # the same visitor again on the same placement, later that day
        j, ip, ua, at = fresh[int(rand() * len(fresh))] if fresh else (0, "100.0.0.1", "x", start)
        gap = rng.randint(30, max(31, min(6 * 3600, window_s - 1)))
        later = at + datetime.timedelta(seconds=gap)
        if later >= start + datetime.timedelta(seconds=seconds):
            later = at + datetime.timedelta(seconds=1)
        rows.append((*row(j, later, ip, ua, False), False))
    intended["duplicate"] += n_dup
    # IP-cap offenders: one address, many user agents (so not duplicates), one placement.
    made = 0
    offender = 0
    while made < n_cap:
        burst = min(IP_CAP_BURST * cap, n_cap - made)
        j = pick_placement()
        ip = _ip((101 << 24) + offender)
        for b in range(burst):
            at = start + datetime.timedelta(seconds=rng.random() * seconds)
            ua = f"Mozilla/5.0 (Offender {offender}; build {b})"
            rows.append((*row(j, at, ip, ua, False), False))
        intended["ip_cap"] += max(0, burst - cap)
        intended["valid"] += min(cap, burst)
        made += burst
        offender += 1
    for _ in range(n_self):  # the webmaster clicking their own placement
        j = rng.randrange(n_pl)
        at = start + datetime.timedelta(seconds=rng.random() * seconds)
        affiliate = world.site_affiliate[world.placement_site[j]]
        rows.append((*row(j, at, world.affiliate_ips[affiliate], browser(), False), False))
    intended["self"] += n_self
    rows.sort(key=lambda r: r[1])  # arrival order, like the real table
    first = loader.reserve_ids(Click, len(rows))
    # Valid, landed clicks are what conversions attribute to: (id, placement, time, product,
    # campaign id).
    placement_index = {pid: j for j, pid in enumerate(world.placement_ids)}
    product_index = {pid: k for k, pid in enumerate(world.product_ids)}
    valid_ids = [
        (first + offset, placement_index[r[2]], r[1], product_index[r[5]], r[4])
        for offset, r in enumerate(rows)
        if r[11]
    ]
    world.valid_clicks = valid_ids
    loader.load(
        Click,
        [
            "id",
            "click_id",
            "clicked_at",
            "placement_id",
            "affiliate_id",
            "campaign_id",
            "product_id",
            "merchant_id",
            "ip",
            "user_agent",
            "sub",
            "landed_at",
            "verdict",
        ],
        ((first + offset, *r[:11], "") for offset, r in enumerate(rows)),
    )
    return intended


def _impressions(world: World, loader: Any, rng: random.Random) -> None:
    from apps.tracking.models import Impression

    n = world.counts["impressions"]
    n_c = len(world.campaign_ids)
    pick_placement = _weighted_picker(rng, world.placement_weight)
    start = world.day_start()

    rand = rng.random
    ads = [
        (world.campaign_ids[i], world.product_ids[k], world.merchant_ids[world.product_merchant[k]])
        for i in range(n_c)
        for k in world.campaign_products[i]
    ]
    n_ads = len(ads)
    prices = [Decimal(x) / 10000 for x in range(50000, 300001, 37)]
    n_prices = len(prices)
    render_delays = [datetime.timedelta(milliseconds=x) for x in range(50, 901, 10)]

    def gen():  # type: ignore[no-untyped-def]
        for _ in range(n):
            j = pick_placement()
            campaign, product, merchant = ads[int(rand() * n_ads)]
            at = start + datetime.timedelta(seconds=rand() * 86_400)
            rendered = rand() < 0.8
            yield (
                uuid.UUID(bytes=rng.randbytes(16), version=4),
                at,
                world.placement_ids[j],
                campaign,
                product,
                merchant,
                prices[int(rand() * n_prices)],
                None,
                at + render_delays[int(rand() * len(render_delays))] if rendered else None,
            )

    loader.load(
        Impression,
        [
            "impression_id",
            "served_at",
            "placement_id",
            "campaign_id",
            "product_id",
            "merchant_id",
            "price_cpm",
            "cpc_price",
            "rendered_at",
        ],
        gen(),
    )


def _conversions(
    world: World,
    loader: Any,
    rng: random.Random,
    *,
    clicks: list[tuple[int, int, datetime.datetime, int, int | None]],
    n: int,
    prefix: str,
    sequential: bool = False,
    last_day: datetime.date | None = None,
) -> list[tuple[int, int, int, str, Decimal | None, datetime.date]]:
    """``n`` conversions on ``clicks`` (registrations and orders with lines): random clicks, or
    one per click in order (``sequential``). None occurs after ``last_day``.

    Returns (conversion id, placement index, merchant index, type, amount, day) per conversion.
    """
    from apps.tracking.models import Conversion, ConversionItem

    if not clicks or n <= 0:
        return []
    first = loader.reserve_ids(Conversion, n)
    conversions = []
    items = []
    out = []
    limit = world.day_start((last_day or world.day) + datetime.timedelta(days=1))
    limit -= datetime.timedelta(seconds=1)
    for x in range(n):
        click = clicks[x % len(clicks)] if sequential else clicks[rng.randrange(len(clicks))]
        click_id, j, at, k, campaign_id = click
        m = world.product_merchant[k]
        is_order = rng.random() < 0.6
        occurred = min(at + datetime.timedelta(minutes=rng.randint(1, 120)), limit)
        day = occurred.astimezone(world.zone).date()
        amount = None
        if is_order:
            amount = Decimal("0.00")
            for _ in range(rng.randint(1, 3)):
                kk = k if rng.random() < 0.6 else rng.randrange(len(world.product_ids))
                quantity = rng.randint(1, 2)
                line = world.product_price[kk] * quantity
                amount += line
                items.append(
                    (
                        first + x,
                        world.product_sku[kk],
                        world.product_ids[kk],
                        world.product_type[kk],
                        quantity,
                        line,
                    )
                )
        kind = "order" if is_order else "registration"
        conversions.append(
            (
                first + x,
                world.merchant_ids[m],
                kind,
                f"{prefix}-{x:07d}",
                click_id,
                world.placement_ids[j],
                world.affiliate_ids[world.site_affiliate[world.placement_site[j]]],
                campaign_id,
                world.product_ids[k],
                occurred,
                day,
                amount,
                ("new" if rng.random() < 0.4 else "returning") if is_order else "",
                f"cust-{rng.randrange(n * 2)}" if is_order else "",
                "pending",
            )
        )
        out.append((first + x, j, m, kind, amount, day))
    loader.load(
        Conversion,
        [
            "id",
            "merchant_id",
            "type",
            "external_id",
            "click_id",
            "placement_id",
            "affiliate_id",
            "campaign_id",
            "product_id",
            "occurred_at",
            "day",
            "amount",
            "customer_type",
            "customer_ref",
            "status",
        ],
        conversions,
    )
    loader.load(
        ConversionItem,
        ["conversion_id", "sku", "product_id", "product_type", "quantity", "amount"],
        items,
    )
    return out


#: products' lifecycle shapes in the campaign roll-ups (issue 18): share of products
LIFECYCLE_SHAPES = (("steady", 0.4), ("growth", 0.2), ("decline", 0.2), ("burst", 0.2))


def _lifecycle_shape(k: int, n_days: int) -> list[float]:
    """Product ``k``'s demand multiplier per roll-up day, so the forecast's back-test and the
    lifecycle stages meet products that grow (+1% a day), decline (-1% a day) or burst (five
    days at 3x at some point), not only flat ones. Its own generator seeded by ``k``, so the
    rest of the data is drawn exactly as before."""
    own = random.Random(1_000_003 * (k + 1))
    pick, acc = own.random(), 0.0
    shape = LIFECYCLE_SHAPES[-1][0]
    for name, share in LIFECYCLE_SHAPES:
        acc += share
        if pick < acc:
            shape = name
            break
    if shape == "growth":
        return [0.5 * 1.01**d for d in range(n_days)]
    if shape == "decline":
        return [1.5 * 0.99**d for d in range(n_days)]
    if shape == "burst":
        start = own.randrange(max(1, n_days - 5))
        return [3.0 if start <= d < start + 5 else 1.0 for d in range(n_days)]
    return [1.0] * n_days


def _rollups(world: World, loader: Any, rng: random.Random) -> list[tuple[Any, ...]]:
    """90 days of roll-ups before ``day``: placement, sub and campaign day stats.

    Returns the placement-day funnel rows (for earnings)."""
    from apps.tracking.models import CampaignDayStats, PlacementDayStats, PlacementSubDayStats

    n_clicks = world.counts["clicks"]
    total_w = sum(world.placement_weight)
    days = [world.day - datetime.timedelta(days=d) for d in range(world.rollup_days, 0, -1)]
    funnel: list[tuple[Any, ...]] = []
    subs: list[tuple[Any, ...]] = []
    conv_ratio = world.counts["conversions"] / max(1, n_clicks)
    for day in days:
        for j, pid in enumerate(world.placement_ids):
            s = world.placement_site[j]
            expected = n_clicks * world.placement_weight[j] / total_w
            clicks = int(expected * rng.uniform(0.7, 1.3))
            bots = int(clicks * 0.05)
            dups = int(clicks * 0.05)
            caps = int(clicks * 0.04)
            selfs = int(clicks * 0.005)
            valid = clicks - bots - dups - caps - selfs
            landings = int(valid * 0.7)
            conversions = round(clicks * conv_ratio * rng.uniform(0.5, 1.5))
            orders = int(conversions * 0.6)
            registrations = conversions - orders
            gmv = Decimal(orders * rng.randint(5000, 60000)) / 100
            impressions = int(clicks * rng.uniform(0.8, 1.2))
            funnel.append(
                (
                    day,
                    pid,
                    world.site_ids[s],
                    world.affiliate_ids[world.site_affiliate[s]],
                    impressions,
                    clicks,
                    valid,
                    bots,
                    dups,
                    caps,
                    selfs,
                    landings,
                    registrations,
                    orders,
                    gmv,
                )
            )
            if j % 4 == 0 and clicks:
                share = clicks // 3
                subs.append(
                    (
                        day,
                        pid,
                        world.affiliate_ids[world.site_affiliate[s]],
                        SUBS[j % len(SUBS)],
                        share,
                        int(share * 0.85),
                        int(share * 0.6),
                        registrations // 3,
                        orders // 3,
                    )
                )
    loader.load(
        PlacementDayStats,
        [
            "day",
            "placement_id",
            "site_id",
            "affiliate_id",
            "impressions",
            "clicks",
            "valid_clicks",
            "bot_clicks",
            "duplicate_clicks",
            "ip_cap_clicks",
            "self_clicks",
            "landings",
            "registrations",
            "orders",
            "gmv",
        ],
        funnel,
    )
    loader.load(
        PlacementSubDayStats,
        [
            "day",
            "placement_id",
            "affiliate_id",
            "sub",
            "clicks",
            "valid_clicks",
            "landings",
            "registrations",
            "orders",
        ],
        subs,
    )
    per_product_clicks = n_clicks / max(1, sum(len(p) for p in world.campaign_products))
    shapes = {k: _lifecycle_shape(k, len(days)) for p in world.campaign_products for k in p}

    def campaign_rows():  # type: ignore[no-untyped-def]
        for d, day in enumerate(days):
            for i, cid in enumerate(world.campaign_ids):
                m = world.campaign_merchant[i]
                for k in world.campaign_products[i]:
                    draw = rng.uniform(0.5, 1.5)
                    clicks = int(per_product_clicks * shapes[k][d] * draw)
                    valid = int(clicks * 0.85)
                    orders = int(clicks * conv_ratio * 0.6)
                    gmv = world.product_price[k] * orders
                    spend = (gmv / 5).quantize(Decimal("0.01"))
                    yield (
                        day,
                        cid,
                        world.merchant_ids[m],
                        world.product_ids[k],
                        int(clicks * 1.1),
                        clicks,
                        valid,
                        int(clicks * conv_ratio * 0.4),
                        orders,
                        gmv,
                        spend,
                    )

    loader.load(
        CampaignDayStats,
        [
            "day",
            "campaign_id",
            "merchant_id",
            "product_id",
            "impressions",
            "clicks",
            "valid_clicks",
            "registrations",
            "orders",
            "gmv",
            "spend",
        ],
        campaign_rows(),
    )
    return funnel


def _period(day: datetime.date) -> tuple[datetime.date, datetime.date]:
    """The settlement period: the calendar month before ``day``'s month."""
    end = day.replace(day=1) - datetime.timedelta(days=1)
    return end.replace(day=1), end


def _money_models() -> dict[str, Any]:
    from django.apps import apps

    names = ["CommissionRule", "Commission", "DailyEarning"]
    try:
        return {name: apps.get_model("commissions", name) for name in names}
    except LookupError:
        return {}


def _commission_rules(world: World, loader: Any) -> None:
    """The tenant's commission rules: 1.00 per registration, 2.00 per order."""
    money = _money_models()
    if not money:
        return
    rule_model = money["CommissionRule"]
    valid_from = world.day - datetime.timedelta(days=365)
    first = loader.reserve_ids(rule_model, 2)
    world.rule_ids = {"registration": first, "order": first + 1}
    loader.load(
        rule_model,
        ["id", "event", "customer_type", "rate_type", "value", "priority", "valid_from"],
        [
            (first, "registration", "any", "fixed", Decimal("1.0000"), 0, valid_from),
            (first + 1, "order", "any", "fixed", Decimal("2.0000"), 0, valid_from),
        ],
    )


def _earnings_before(
    world: World, loader: Any, funnel: list[tuple[Any, ...]], first: datetime.date
) -> None:
    """Daily earnings of the roll-up days before ``first`` (the days no reconciled period
    covers), by COPY but with the product's own rule 1 (``contract_part``, issue 20): they keep
    the table at its size for the reads without the time of the product's daily steps. Those
    days have no conversions, hence no commissions, and no ledger postings."""
    money = _money_models()
    if not money:
        return
    from apps.commissions.services.earnings import contract_part

    placement_index = {pid: j for j, pid in enumerate(world.placement_ids)}

    def earnings():  # type: ignore[no-untyped-def]
        zero = Decimal("0.00")
        for r in funnel:
            day, pid, site_id, affiliate_id, valid = r[0], r[1], r[2], r[3], r[6]
            if day >= first:
                continue
            j = placement_index[pid]
            guarantee, rate = world.contract_terms[j]
            income, topup = contract_part(
                valid_clicks=valid, click_rate=rate, daily_guarantee=guarantee
            )
            yield (
                day,
                pid,
                site_id,
                affiliate_id,
                world.contract_ids[j],
                valid,
                rate,
                guarantee,
                income,
                topup,
                0,
                zero,
                0,
                zero,
                income + topup,
            )

    loader.load(
        money["DailyEarning"],
        [
            "day",
            "placement_id",
            "site_id",
            "affiliate_id",
            "contract_id",
            "valid_clicks",
            "click_rate",
            "daily_guarantee",
            "click_income",
            "guarantee_topup",
            "registrations",
            "registration_commission",
            "orders",
            "order_commission",
            "total",
        ],
        earnings(),
    )


#: the daily steps that derive money from the generated roll-ups and conversions (issue 13):
#: commissions (with their ledger postings), daily earnings and their contract-part postings,
#: the merchants' spend charges, the approvals once the lock period has passed. The steps that
#: rebuild roll-ups from raw events (``tracking.rollup``, clearing prices) would replace the
#: generated history, which has no raw events; weights, tagging and lifecycle look at the
#: click day only (run_daily does them).
DERIVED_STEPS = (
    "commissions.accrue",
    "commissions.earnings",
    "commissions.spend",
    "commissions.approve",
)


DERIVED_TABLES = (
    "commissions_commission",
    "commissions_dailyearning",
    "commissions_ledgeraccount",
    "commissions_ledgertransaction",
    "commissions_ledgerentry",
)
_ANALYZE_AFTER = {0, 1, 3, 7, 15, 31, 63}  # day indexes: as the tables double


def _analyze(tables: Any) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f'ANALYZE "{table}"')


def _money_by_the_product(
    world: World, log: Any, *, first: datetime.date, analyze: bool = True
) -> dict[str, int]:
    """Earnings, commissions, ledger and spend charges of the roll-up days from ``first`` (the
    settlement period's first day) to the day before the click day, computed by the product's
    own daily steps (``DERIVED_STEPS``, in the pipeline's order) rather than by a copy of their
    rules, so ``manage.py reconcile`` finds both months consistent (issue 13); and the
    commissions of the click day's conversions (``commissions.accrue``), as run_daily's first
    run would make them, so every timed run of run_daily starts from the same state."""
    from apps.core.pipeline import daily_steps

    steps = [step for step in daily_steps() if step.name in DERIVED_STEPS]
    days = [world.day - datetime.timedelta(days=d) for d in range(world.rollup_days, 0, -1)]
    days = [d for d in days if d >= first]
    totals: dict[str, int] = {}
    seconds: dict[str, float] = {}
    for n, day in enumerate(days):
        for step in steps:
            started = time.perf_counter()
            for key, value in (step.load()(day=day) or {}).items():
                totals[key] = totals.get(key, 0) + int(value)
            seconds[step.name] = seconds.get(step.name, 0.0) + time.perf_counter() - started
        if analyze and n in _ANALYZE_AFTER:
            # the tables start empty inside the load's transaction (autovacuum cannot see
            # them): fresh statistics as they grow, or the steps' reads get plans for 0 rows
            _analyze(DERIVED_TABLES)
    accrue = next((step for step in steps if step.name == "commissions.accrue"), None)
    if accrue is not None:
        started = time.perf_counter()
        for key, value in (accrue.load()(day=world.day) or {}).items():
            totals[f"click_day_{key}"] = int(value)
        seconds[accrue.name] += time.perf_counter() - started
    for name, spent in seconds.items():
        world.timings[f"  {name}"] = round(spent, 2)
        log(f"    {name}: {spent:.1f}s over {len(days)} days")
    return totals


def _period_clicks(
    world: World, loader: Any, rng: random.Random, n: int
) -> list[tuple[int, int, datetime.datetime, int, int | None]]:
    """Valid clicks spread over the settlement period, for its conversions (every webmaster
    gets some, so every statement has commission lines)."""
    from apps.tracking.models import Click

    start, end = _period(world.day)
    span = (end - start).days + 1
    first = loader.reserve_ids(Click, n)
    rows = []
    out = []
    n_pl = len(world.placement_ids)
    for x in range(n):
        j = x % n_pl
        i = rng.randrange(len(world.campaign_ids))
        k = rng.choice(world.campaign_products[i])
        at = world.day_start(start + datetime.timedelta(days=rng.randrange(span)))
        at += datetime.timedelta(seconds=rng.randint(0, 80_000))
        rows.append(
            (
                first + x,
                _uuid(rng),
                at,
                world.placement_ids[j],
                world.affiliate_ids[world.site_affiliate[world.placement_site[j]]],
                world.campaign_ids[i],
                world.product_ids[k],
                world.merchant_ids[world.product_merchant[k]],
                _ip((102 << 24) + x),
                BROWSERS[0].format(v=120),
                "",
                at + datetime.timedelta(seconds=3),
                "valid",
            )
        )
        out.append((first + x, j, at, k, world.campaign_ids[i]))
    loader.load(
        Click,
        [
            "id",
            "click_id",
            "clicked_at",
            "placement_id",
            "affiliate_id",
            "campaign_id",
            "product_id",
            "merchant_id",
            "ip",
            "user_agent",
            "sub",
            "landed_at",
            "verdict",
        ],
        rows,
    )
    return out


# --------------------------------------------------------------------------- entry points


def _derived_rows(tenant: Any) -> dict[str, int]:
    """Rows of the tables the product's daily steps wrote (``_money_by_the_product``)."""
    from django.db import connection

    from apps.tenants.scope import tenant_scope

    out = {}
    with tenant_scope(tenant), connection.cursor() as cursor:
        for table in DERIVED_TABLES:
            cursor.execute(f'SELECT count(*) FROM "{table}" WHERE tenant_id = %s', [tenant.pk])
            out[table] = cursor.fetchone()[0]
    return out


def ensure_tenant(slug: str) -> Any:
    from apps.tenants.models import Tenant, User
    from apps.tenants.services import membership_grant, tenant_create

    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = tenant_create(
            slug=slug,
            name=f"Benchmark ({slug})",
            host=f"{slug}.localhost",
            currency="CNY",
            timezone=TIMEZONE,
        )
    email = STAFF_EMAIL.format(slug=slug)
    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email=email, password=STAFF_PASSWORD, name="Bench staff")
    for role in ("tenant_admin", "bd", "finance", "risk"):
        membership_grant(tenant=tenant, user=user, role=role)
    for role in ROLE_STAFF:  # one person per role: each role's own home (issue 14)
        email = ROLE_STAFF_EMAIL.format(role=role, slug=slug)
        person = User.objects.filter(email=email).first()
        if person is None:
            person = User.objects.create_user(
                email=email, password=STAFF_PASSWORD, name=f"Bench {role}"
            )
        membership_grant(tenant=tenant, user=person, role=role)
    return tenant


def tenant_tables() -> list[str]:
    """Every table with a ``tenant_id`` column (what a reset empties)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT table_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND column_name = 'tenant_id' "
            "AND table_name NOT LIKE 'tenants_%%' ORDER BY table_name"
        )
        return [row[0] for row in cursor.fetchall()]


#: the ledger's append-only row triggers (apps/commissions/migrations/0002_ledger_guards.py)
LEDGER_GUARDS = (
    ("commissions_ledgerentry", "ledger_entry_immutable"),
    ("commissions_ledgertransaction", "ledger_transaction_immutable"),
)


def reset_tenant(tenant: Any) -> None:
    """Delete every row the tenant owns except its staff memberships (FKs are deferred)."""
    from django.db import connection, transaction

    from apps.tenants.scope import tenant_scope

    tables = tenant_tables()
    # The ledger is append-only (row triggers refuse DELETE); a benchmark tenant is thrown
    # away whole, so the guard is lifted inside this transaction only. ALTER TABLE needs no
    # pending trigger events: deferred checks are fired first.
    guarded = [(t, g) for t, g in LEDGER_GUARDS if t in tables]
    with tenant_scope(tenant), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in guarded:
            cursor.execute(f'ALTER TABLE "{table}" DISABLE TRIGGER "{trigger}"')
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        for table in tables:
            cursor.execute(f'DELETE FROM "{table}" WHERE tenant_id = %s', [tenant.pk])
        # check now: pending checks would block the loader's ALTER TABLE in this transaction
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, trigger in guarded:
            cursor.execute(f'ALTER TABLE "{table}" ENABLE TRIGGER "{trigger}"')


def reset_database() -> None:
    """Empty every tenant's data and the tenants themselves (the bench database only).

    ``TRUNCATE`` takes seconds where deleting a million rows one foreign-key check at a time
    takes minutes; it is refused unless the database's name contains "bench".
    """
    from django.db import connection

    name = connection.settings_dict["NAME"]
    if "bench" not in name or name.startswith("test_"):
        raise SystemExit(f"Refusing to empty {name!r}: not a benchmark database.")
    tables = [*tenant_tables(), "tenants_membership", "tenants_tenantdomain", "tenants_tenant"]
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE")
    from apps.tenants.selectors import clear_host_cache

    clear_host_cache()


def has_data(tenant: Any) -> bool:
    from apps.affiliates.models import Affiliate
    from apps.tenants.scope import tenant_scope

    with tenant_scope(tenant):
        return Affiliate.objects.exists()


def generate(
    *,
    slug: str = "bench",
    scale: float = 1.0,
    seed: int = 42,
    rows: int | None = None,
    day: datetime.date = DEFAULT_DAY,
    reset: bool = False,
    analyze: bool = True,
    log: Any = None,
) -> dict[str, Any]:
    """Build the tenant ``slug``; returns what was written (rows per table, seconds per step)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from apps.tenants.scope import tenant_scope
    from bench.loader import Loader

    log = log or (lambda message: None)
    tenant = ensure_tenant(slug)
    if has_data(tenant):
        if not reset:
            raise SystemExit(f"Tenant {slug!r} already has data: pass --reset to rebuild it.")
        started = time.perf_counter()
        reset_tenant(tenant)
        log(f"reset {slug} in {time.perf_counter() - started:.1f}s")
    rng = random.Random(f"{seed}:{slug}")
    counts = counts_for(scale, rows)
    world = World(
        tenant=tenant,
        day=day,
        zone=zoneinfo.ZoneInfo(tenant.timezone),
        counts=counts,
        # --rows N: about N rows in every table, so one day of roll-ups
        rollup_days=ROLLUP_DAYS if rows is None else 1,
    )
    loader = Loader(tenant, now=timezone.now())
    intended: dict[str, int] = {}
    derived: dict[str, int] = {}
    with tenant_scope(tenant), transaction.atomic():
        loader.enter_tenant()

        def step(name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            result = fn(*args, **kwargs)
            world.timings[name] = round(time.perf_counter() - started, 2)
            log(f"  {name}: {world.timings[name]}s")
            return result

        step("webmasters, sites, placements, contracts", _people, world, loader, rng)
        step("merchants, products, campaigns", _merchants, world, loader, rng)
        intended = step("clicks", _clicks, world, loader, rng)
        step("impressions", _impressions, world, loader, rng)
        step(
            "conversions",
            _conversions,
            world,
            loader,
            rng,
            clicks=world.valid_clicks,
            n=counts["conversions"],
            prefix="CV",
        )
        funnel = step("roll-ups", _rollups, world, loader, rng)
        if _money_models():
            step("commission rules", _commission_rules, world, loader)
            period_start, period_end = _period(day)
            step(
                "daily earnings before the period",
                _earnings_before,
                world,
                loader,
                funnel,
                period_start,
            )
            n_period = counts["period_conversions"]
            period_clicks = step("period clicks", _period_clicks, world, loader, rng, n_period)
            step(
                "period conversions",
                _conversions,
                world,
                loader,
                rng,
                clicks=period_clicks,
                n=n_period,
                prefix="PV",
                sequential=True,
                last_day=period_end,
            )
            if analyze:  # the steps' queries are planned on the loaded tables' statistics
                _analyze(loader.counts)
            derived = step(
                "earnings, commissions, ledger, spend (the product's daily steps)",
                _money_by_the_product,
                world,
                log,
                first=period_start,
                analyze=analyze,
            )
        commit_started = time.perf_counter()
    world.timings["commit"] = round(time.perf_counter() - commit_started, 2)
    rows = {**loader.counts, **_derived_rows(tenant)}
    log(f"  commit: {world.timings['commit']}s")
    if analyze:
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for table in rows:
                cursor.execute(f'ANALYZE "{table}"')
        world.timings["analyze"] = round(time.perf_counter() - started, 2)
    return {
        "tenant": slug,
        "tenant_id": tenant.pk,
        "scale": scale,
        "rows_option": rows,
        "seed": seed,
        "day": day.isoformat(),
        "counts": counts,
        "rollup_days": world.rollup_days,
        "rows": rows,
        "derived": derived,
        "intended_click_mix": intended,
        "seconds": world.timings,
        "insert_seconds": {table: round(v, 2) for table, v in loader.seconds.items()},
        "copy_seconds": {table: round(v, 2) for table, v in loader.copy_seconds.items()},
        "big_webmaster": f"wm00000@{slug}.example",
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--slug", default="bench")
    parser.add_argument("--rows", type=int, default=None, help="every count = ROWS (ignores scale)")
    parser.add_argument("--day", type=datetime.date.fromisoformat, default=DEFAULT_DAY)
    parser.add_argument("--reset", action="store_true", help="delete the tenant's data first")
    args = parser.parse_args(argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    started = time.perf_counter()
    result = generate(
        slug=args.slug,
        scale=args.scale,
        seed=args.seed,
        rows=args.rows,
        day=args.day,
        reset=args.reset,
        log=print,
    )
    print(f"generated {args.slug} in {time.perf_counter() - started:.1f}s")
    for table, n in sorted(result["rows"].items()):
        insert = result["insert_seconds"].get(table, 0)
        copy = result["copy_seconds"].get(table, 0)
        print(f"  {table}: {n:,} ({copy}s generate+COPY, {insert}s INSERT)")


if __name__ == "__main__":
    main()
