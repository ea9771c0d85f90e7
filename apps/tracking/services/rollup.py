"""The nightly step ``tracking.rollup``: classify a day's clicks, roll up the funnel, charge spend.

Registered from ``TrackingConfig.ready()`` as daily step 10, so ``run_daily`` runs it before
earnings and weights. Set-based SQL only (a handful of statements, no rows fetched into
Python), so memory stays flat at millions of clicks a day; the raw tables are read through
their ``(tenant, <time>)`` indexes. Every run recomputes the day from scratch: verdicts,
summary rows and spend are the same on a rerun, rows of the day that no longer have data are
deleted, and later changes (a refund, a late landing) show up when the day is run again.

The day is the tenant-local day: ``[00:00, 24:00)`` in ``tenant.zone``.

Click verdicts (API.md "Tracking", DESIGN.md rule 2), first match wins:

1. ``bot``: empty user agent, or one matching ``BOT_PATTERNS``;
2. ``blocked``: the IP is in a range of the tenant's block list, or the user agent contains one
   of its user-agent entries (``BlockRule``, active ones; issue 14);
3. ``self``: the click's IP is one of the placement's webmaster's known addresses
   (``AffiliateIp``);
4. ``duplicate``: an earlier click by the same visitor (IP + user agent) on the same placement
   less than ``tenant.dedupe_window_hours`` before it, the previous day's clicks included;
5. ``ip_cap``: the click is beyond the first ``tenant.ip_daily_cap`` clicks of its IP on that
   placement that day, counting every click of the IP in time order (whatever its verdict);
6. otherwise ``valid``.

Funnel (``PlacementDayStats``, ``PlacementSubDayStats``, ``CampaignDayStats``): impressions are
the ads ad.js reported rendered (served that day); clicks and landings by the click's day;
registrations and orders by the conversion's ``day``, cancelled ones left out and refunded ones
kept; GMV = amount, minus ``refund_amount`` when refunded, 0 when cancelled.

Spend (``CampaignDayStats.spend``): a CPM winner pays its clearing ``price_cpm`` / 1000 per
rendered impression; a CPC winner (full-site plans bid CPC) pays the impression's ``cpc_price``
per valid click that came from it (one charge per impression, however many clicks it got; the
impression must be of the same campaign and placement, and served at most a day before the
click's day). CPS plans pay through commissions, not here. Each campaign-product-day line is
rounded half-up to cents once; when a campaign's lines add up to more than its daily budget
(that of the phase in force on the day, issue 18, else the plan's own), the budget is shared
over its lines in proportion to their raw spend by largest remainder, so the lines sum to the
budget exactly.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from apps.affiliates.models import AffiliateIp
from apps.campaigns.models import Campaign, CampaignPhase
from apps.sites.models import Placement, Site
from apps.tenants.clock import day_window
from apps.tenants.scope import current_tenant
from apps.tracking.models import (
    BlockRule,
    CampaignDayStats,
    Click,
    Conversion,
    Impression,
    PlacementDayStats,
    PlacementSubDayStats,
)

#: user agents of robots and scripts (matched case-insensitively anywhere in the string)
BOT_PATTERNS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "curl",
    "wget",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpclient",
    "go-http-client",
    "okhttp",
    "libwww",
    "scrapy",
    "headless",
    "phantomjs",
    "selenium",
    "facebookexternalhit",
)
BOT_REGEX = "|".join(re.escape(pattern) for pattern in BOT_PATTERNS)

#: how old an impression may be for a click on it to be charged (CPC)
CPC_IMPRESSION_MAX_AGE = datetime.timedelta(days=1)

CLICK = Click._meta.db_table
IMPRESSION = Impression._meta.db_table
CONVERSION = Conversion._meta.db_table
PLACEMENT_DAY = PlacementDayStats._meta.db_table
SUB_DAY = PlacementSubDayStats._meta.db_table
CAMPAIGN_DAY = CampaignDayStats._meta.db_table
AFFILIATE_IP = AffiliateIp._meta.db_table
BLOCK_RULE = BlockRule._meta.db_table
PLACEMENT = Placement._meta.db_table
SITE = Site._meta.db_table
CAMPAIGN = Campaign._meta.db_table
PHASE = CampaignPhase._meta.db_table

# -- 1. verdicts ----------------------------------------------------------------------------
CLASSIFY_SQL = f"""
WITH recent AS (
    SELECT id, clicked_at, placement_id, affiliate_id, ip, user_agent,
           LAG(clicked_at) OVER (
               PARTITION BY placement_id, ip, user_agent ORDER BY clicked_at, id
           ) AS previous_at
    FROM {CLICK}
    WHERE tenant_id = %(tenant)s
      AND clicked_at >= %(lookback)s AND clicked_at < %(end)s
),
today AS (
    SELECT recent.*,
           ROW_NUMBER() OVER (PARTITION BY placement_id, ip ORDER BY clicked_at, id) AS ip_rank
    FROM recent
    WHERE clicked_at >= %(start)s
),
decided AS (
    SELECT today.id,
           CASE
               WHEN btrim(today.user_agent) = '' OR today.user_agent ~* %(bots)s THEN 'bot'
               WHEN EXISTS (
                   SELECT 1 FROM {BLOCK_RULE} block
                   WHERE block.tenant_id = %(tenant)s AND block.is_active
                     AND ((block.kind = 'ip_range' AND today.ip <<= block.value::cidr)
                          OR (block.kind = 'user_agent'
                              AND strpos(lower(today.user_agent), lower(block.value)) > 0))
               ) THEN 'blocked'
               WHEN EXISTS (
                   SELECT 1 FROM {AFFILIATE_IP} known
                   WHERE known.tenant_id = %(tenant)s
                     AND known.affiliate_id = today.affiliate_id
                     AND known.ip = today.ip
               ) THEN 'self'
               WHEN today.previous_at IS NOT NULL
                    AND today.clicked_at - today.previous_at < %(window)s THEN 'duplicate'
               WHEN today.ip_rank > %(cap)s THEN 'ip_cap'
               ELSE 'valid'
           END AS verdict
    FROM today
)
UPDATE {CLICK} AS click
SET verdict = decided.verdict
FROM decided
WHERE click.id = decided.id
  AND click.tenant_id = %(tenant)s
  AND click.clicked_at >= %(start)s AND click.clicked_at < %(end)s
  AND click.verdict IS DISTINCT FROM decided.verdict
"""  # noqa: S608 - table names come from model metadata, values are parameters

VERDICT_COUNTS_SQL = f"""
SELECT verdict, COUNT(*) FROM {CLICK}
WHERE tenant_id = %(tenant)s AND clicked_at >= %(start)s AND clicked_at < %(end)s
GROUP BY verdict
"""  # noqa: S608

# -- 2. the conversion aggregates every roll-up shares ---------------------------------------
_CONVERSION_COLUMNS = """
    COUNT(*) FILTER (WHERE conv.type = 'registration' AND conv.status <> 'cancelled')
        AS registrations,
    COUNT(*) FILTER (WHERE conv.type = 'order' AND conv.status <> 'cancelled') AS orders,
    COALESCE(SUM(CASE
        WHEN conv.type <> 'order' OR conv.status = 'cancelled' THEN 0
        WHEN conv.status = 'refunded' THEN COALESCE(conv.amount, 0) - conv.refund_amount
        ELSE COALESCE(conv.amount, 0)
    END), 0) AS gmv
"""


def placement_day_sql(table: str) -> str:
    """The roll-up into ``table`` (the nightly one or its provisional twin, issue 15)."""
    return f"""
WITH clicks AS MATERIALIZED (
    SELECT placement_id,
           COUNT(*) AS clicks,
           COUNT(*) FILTER (WHERE verdict = 'valid') AS valid_clicks,
           COUNT(*) FILTER (WHERE verdict = 'bot') AS bot_clicks,
           COUNT(*) FILTER (WHERE verdict = 'duplicate') AS duplicate_clicks,
           COUNT(*) FILTER (WHERE verdict = 'ip_cap') AS ip_cap_clicks,
           COUNT(*) FILTER (WHERE verdict = 'self') AS self_clicks,
           COUNT(*) FILTER (WHERE verdict = 'blocked') AS blocked_clicks,
           COUNT(*) FILTER (WHERE verdict = 'valid' AND landed_at IS NOT NULL) AS landings
    FROM {CLICK}
    WHERE tenant_id = %(tenant)s AND clicked_at >= %(start)s AND clicked_at < %(end)s
    GROUP BY placement_id
),
shown AS MATERIALIZED (
    SELECT placement_id, COUNT(*) AS impressions
    FROM {IMPRESSION}
    WHERE tenant_id = %(tenant)s AND served_at >= %(start)s AND served_at < %(end)s
      AND rendered_at IS NOT NULL
    GROUP BY placement_id
),
conversions AS MATERIALIZED (
    SELECT conv.placement_id, {_CONVERSION_COLUMNS}
    FROM {CONVERSION} conv
    WHERE conv.tenant_id = %(tenant)s AND conv.day = %(day)s
    GROUP BY conv.placement_id
),
keys AS MATERIALIZED (
    SELECT placement_id FROM clicks
    UNION SELECT placement_id FROM shown
    UNION SELECT placement_id FROM conversions
),
upserted AS (
    INSERT INTO {table} AS stats (
        tenant_id, day, placement_id, site_id, affiliate_id, impressions, clicks, valid_clicks,
        bot_clicks, duplicate_clicks, ip_cap_clicks, self_clicks, landings, registrations,
        orders, gmv, blocked_clicks
    )
    SELECT %(tenant)s, %(day)s, keys.placement_id, placement.site_id, site.affiliate_id,
           COALESCE(shown.impressions, 0), COALESCE(clicks.clicks, 0),
           COALESCE(clicks.valid_clicks, 0), COALESCE(clicks.bot_clicks, 0),
           COALESCE(clicks.duplicate_clicks, 0), COALESCE(clicks.ip_cap_clicks, 0),
           COALESCE(clicks.self_clicks, 0), COALESCE(clicks.landings, 0),
           COALESCE(conversions.registrations, 0), COALESCE(conversions.orders, 0),
           COALESCE(conversions.gmv, 0), COALESCE(clicks.blocked_clicks, 0)
    FROM keys
    JOIN {PLACEMENT} placement ON placement.id = keys.placement_id
    JOIN {SITE} site ON site.id = placement.site_id
    LEFT JOIN clicks ON clicks.placement_id = keys.placement_id
    LEFT JOIN shown ON shown.placement_id = keys.placement_id
    LEFT JOIN conversions ON conversions.placement_id = keys.placement_id
    ON CONFLICT (tenant_id, placement_id, day) DO UPDATE SET
        site_id = EXCLUDED.site_id, affiliate_id = EXCLUDED.affiliate_id,
        impressions = EXCLUDED.impressions, clicks = EXCLUDED.clicks,
        valid_clicks = EXCLUDED.valid_clicks, bot_clicks = EXCLUDED.bot_clicks,
        duplicate_clicks = EXCLUDED.duplicate_clicks, ip_cap_clicks = EXCLUDED.ip_cap_clicks,
        self_clicks = EXCLUDED.self_clicks, landings = EXCLUDED.landings,
        registrations = EXCLUDED.registrations, orders = EXCLUDED.orders, gmv = EXCLUDED.gmv,
        blocked_clicks = EXCLUDED.blocked_clicks
    RETURNING stats.placement_id
),
stale AS (
    DELETE FROM {table} old
    WHERE old.tenant_id = %(tenant)s AND old.day = %(day)s
      AND old.placement_id NOT IN (SELECT placement_id FROM upserted)
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM upserted), (SELECT COUNT(*) FROM stale)
"""  # noqa: S608


PLACEMENT_DAY_SQL = placement_day_sql(PLACEMENT_DAY)


def sub_day_sql(table: str) -> str:
    """The roll-up into ``table`` (the nightly one or its provisional twin, issue 15)."""
    return f"""
WITH clicks AS MATERIALIZED (
    SELECT placement_id, sub,
           COUNT(*) AS clicks,
           COUNT(*) FILTER (WHERE verdict = 'valid') AS valid_clicks,
           COUNT(*) FILTER (WHERE verdict = 'valid' AND landed_at IS NOT NULL) AS landings
    FROM {CLICK}
    WHERE tenant_id = %(tenant)s AND clicked_at >= %(start)s AND clicked_at < %(end)s
    GROUP BY placement_id, sub
),
conversions AS MATERIALIZED (
    SELECT conv.placement_id, COALESCE(click.sub, '') AS sub, {_CONVERSION_COLUMNS}
    FROM {CONVERSION} conv
    -- a coupon conversion has no click: it counts under the empty sub (issue 16)
    LEFT JOIN {CLICK} click ON click.id = conv.click_id
    WHERE conv.tenant_id = %(tenant)s AND conv.day = %(day)s AND conv.placement_id IS NOT NULL
    GROUP BY conv.placement_id, COALESCE(click.sub, '')
),
keys AS MATERIALIZED (
    SELECT placement_id, sub FROM clicks UNION SELECT placement_id, sub FROM conversions
),
upserted AS (
    INSERT INTO {table} AS stats (
        tenant_id, day, placement_id, affiliate_id, sub, clicks, valid_clicks, landings,
        registrations, orders
    )
    SELECT %(tenant)s, %(day)s, keys.placement_id, site.affiliate_id, keys.sub,
           COALESCE(clicks.clicks, 0), COALESCE(clicks.valid_clicks, 0),
           COALESCE(clicks.landings, 0), COALESCE(conversions.registrations, 0),
           COALESCE(conversions.orders, 0)
    FROM keys
    JOIN {PLACEMENT} placement ON placement.id = keys.placement_id
    JOIN {SITE} site ON site.id = placement.site_id
    LEFT JOIN clicks ON clicks.placement_id = keys.placement_id AND clicks.sub = keys.sub
    LEFT JOIN conversions
           ON conversions.placement_id = keys.placement_id AND conversions.sub = keys.sub
    ON CONFLICT (tenant_id, placement_id, day, sub) DO UPDATE SET
        affiliate_id = EXCLUDED.affiliate_id, clicks = EXCLUDED.clicks,
        valid_clicks = EXCLUDED.valid_clicks, landings = EXCLUDED.landings,
        registrations = EXCLUDED.registrations, orders = EXCLUDED.orders
    RETURNING stats.id
),
stale AS (
    DELETE FROM {table} old
    WHERE old.tenant_id = %(tenant)s AND old.day = %(day)s
      AND old.id NOT IN (SELECT id FROM upserted)
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM upserted), (SELECT COUNT(*) FROM stale)
"""  # noqa: S608


SUB_DAY_SQL = sub_day_sql(SUB_DAY)


def campaign_day_sql(table: str) -> str:
    """The roll-up into ``table`` (the nightly one or its provisional twin, issue 15)."""
    return f"""
WITH shown AS MATERIALIZED (
    SELECT campaign_id, COALESCE(product_id, 0) AS product_key,
           COUNT(*) AS impressions,
           COALESCE(SUM(price_cpm) FILTER (WHERE cpc_price IS NULL), 0) / 1000 AS cpm_spend
    FROM {IMPRESSION}
    WHERE tenant_id = %(tenant)s AND served_at >= %(start)s AND served_at < %(end)s
      AND rendered_at IS NOT NULL
    GROUP BY 1, 2
),
clicks AS MATERIALIZED (
    SELECT campaign_id, COALESCE(product_id, 0) AS product_key,
           COUNT(*) AS clicks,
           COUNT(*) FILTER (WHERE verdict = 'valid') AS valid_clicks
    FROM {CLICK}
    WHERE tenant_id = %(tenant)s AND clicked_at >= %(start)s AND clicked_at < %(end)s
      AND campaign_id IS NOT NULL
    GROUP BY 1, 2
),
charged AS MATERIALIZED (
    -- one charge per CPC impression that got at least one valid click today
    SELECT DISTINCT ON (imp.id)
           click.campaign_id, COALESCE(click.product_id, 0) AS product_key, imp.cpc_price
    FROM {CLICK} click
    JOIN {IMPRESSION} imp
      ON imp.tenant_id = click.tenant_id AND imp.impression_id = click.impression_id
     AND imp.campaign_id = click.campaign_id AND imp.placement_id = click.placement_id
     AND imp.served_at >= %(impressions_from)s AND imp.served_at < %(end)s
    WHERE click.tenant_id = %(tenant)s
      AND click.clicked_at >= %(start)s AND click.clicked_at < %(end)s
      AND click.verdict = 'valid' AND click.campaign_id IS NOT NULL
      AND click.impression_id IS NOT NULL
      AND imp.cpc_price IS NOT NULL
    ORDER BY imp.id, click.clicked_at, click.id
),
cpc AS MATERIALIZED (
    SELECT campaign_id, product_key, SUM(cpc_price) AS cpc_spend
    FROM charged GROUP BY 1, 2
),
conversions AS MATERIALIZED (
    SELECT conv.campaign_id, COALESCE(conv.product_id, 0) AS product_key, {_CONVERSION_COLUMNS}
    FROM {CONVERSION} conv
    WHERE conv.tenant_id = %(tenant)s AND conv.day = %(day)s AND conv.campaign_id IS NOT NULL
    GROUP BY 1, 2
),
keys AS MATERIALIZED (
    SELECT campaign_id, product_key FROM shown
    UNION SELECT campaign_id, product_key FROM clicks
    UNION SELECT campaign_id, product_key FROM conversions
),
lines AS (
    SELECT keys.campaign_id, NULLIF(keys.product_key, 0) AS product_id, campaign.merchant_id,
           -- the phase in force on the day caps spend instead of the plan's own budget
           COALESCE(phase.daily_budget, campaign.daily_budget) AS daily_budget,
           COALESCE(shown.impressions, 0) AS impressions,
           COALESCE(clicks.clicks, 0) AS clicks,
           COALESCE(clicks.valid_clicks, 0) AS valid_clicks,
           COALESCE(conversions.registrations, 0) AS registrations,
           COALESCE(conversions.orders, 0) AS orders,
           COALESCE(conversions.gmv, 0) AS gmv,
           COALESCE(shown.cpm_spend, 0) + COALESCE(cpc.cpc_spend, 0) AS raw_spend
    FROM keys
    JOIN {CAMPAIGN} campaign ON campaign.id = keys.campaign_id
    LEFT JOIN shown USING (campaign_id, product_key)
    LEFT JOIN clicks USING (campaign_id, product_key)
    LEFT JOIN cpc USING (campaign_id, product_key)
    LEFT JOIN conversions USING (campaign_id, product_key)
    LEFT JOIN {PHASE} phase
           ON phase.tenant_id = %(tenant)s AND phase.campaign_id = keys.campaign_id
          AND phase.first_day <= %(day)s AND phase.last_day >= %(day)s
),
totals AS (
    SELECT lines.*,
           ROUND(raw_spend, 2) AS rounded,
           SUM(ROUND(raw_spend, 2)) OVER (PARTITION BY campaign_id) AS campaign_rounded,
           SUM(raw_spend) OVER (PARTITION BY campaign_id) AS campaign_raw
    FROM lines
),
shares AS (
    -- over budget: share the budget's cents by raw spend, largest remainder first
    SELECT totals.*,
           CASE WHEN campaign_rounded > daily_budget
                THEN daily_budget * 100 * raw_spend / campaign_raw END AS share_cents
    FROM totals
),
floored AS (
    SELECT shares.*, FLOOR(share_cents) AS floor_cents,
           daily_budget * 100
             - SUM(FLOOR(share_cents)) OVER (PARTITION BY campaign_id) AS leftover_cents,
           ROW_NUMBER() OVER (
               PARTITION BY campaign_id
               ORDER BY share_cents - FLOOR(share_cents) DESC, product_id NULLS LAST
           ) AS remainder_rank
    FROM shares
),
priced AS (
    SELECT floored.*,
           CASE WHEN share_cents IS NULL THEN rounded
                ELSE (floor_cents + CASE WHEN remainder_rank <= leftover_cents THEN 1 ELSE 0 END)
                     / 100
           END AS spend
    FROM floored
),
upserted AS (
    INSERT INTO {table} AS stats (
        tenant_id, day, campaign_id, merchant_id, product_id, impressions, clicks,
        valid_clicks, registrations, orders, gmv, spend
    )
    SELECT %(tenant)s, %(day)s, campaign_id, merchant_id, product_id, impressions, clicks,
           valid_clicks, registrations, orders, gmv, spend
    FROM priced
    ON CONFLICT (tenant_id, campaign_id, product_id, day) DO UPDATE SET
        merchant_id = EXCLUDED.merchant_id, impressions = EXCLUDED.impressions,
        clicks = EXCLUDED.clicks, valid_clicks = EXCLUDED.valid_clicks,
        registrations = EXCLUDED.registrations, orders = EXCLUDED.orders,
        gmv = EXCLUDED.gmv, spend = EXCLUDED.spend
    RETURNING stats.id, stats.spend
),
stale AS (
    DELETE FROM {table} old
    WHERE old.tenant_id = %(tenant)s AND old.day = %(day)s
      AND old.id NOT IN (SELECT id FROM upserted)
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM upserted), (SELECT COUNT(*) FROM stale),
       (SELECT COALESCE(SUM(spend), 0) * 100 FROM upserted)
"""  # noqa: S608


CAMPAIGN_DAY_SQL = campaign_day_sql(CAMPAIGN_DAY)


@dataclass(frozen=True)
class RollupTables:
    """Where a roll-up writes: the nightly tables, or today's provisional twins (issue 15)."""

    placement_day: str
    sub_day: str
    campaign_day: str


NIGHTLY = RollupTables(placement_day=PLACEMENT_DAY, sub_day=SUB_DAY, campaign_day=CAMPAIGN_DAY)


def rollup_params(day: datetime.date) -> dict[str, Any]:
    """The SQL parameters of the active tenant's ``day`` (its local ``[00:00, 24:00)``)."""
    tenant = current_tenant()
    start, end = day_window(day, tenant)
    window = datetime.timedelta(hours=tenant.dedupe_window_hours)
    return {
        "tenant": tenant.pk,
        "day": day,
        "start": start,
        "end": end,
        "lookback": start - window,
        # a CPC click is charged on an impression served at most a day before it
        "impressions_from": start - CPC_IMPRESSION_MAX_AGE,
        "window": window,
        "cap": tenant.ip_daily_cap,
        "bots": BOT_REGEX,
    }


def classify_clicks(cursor: Any, params: dict[str, Any]) -> dict[str, int]:
    """Step 1: the verdict of every click of the day (rules in the module docstring)."""
    counts: dict[str, int] = {}
    # The window sorts of a million-click day fit in memory instead of spilling to disk.
    cursor.execute("SET LOCAL work_mem = '128MB'")
    cursor.execute(CLASSIFY_SQL, params)
    counts["reclassified"] = cursor.rowcount
    cursor.execute(VERDICT_COUNTS_SQL, params)
    by_verdict = dict(cursor.fetchall())
    counts["clicks"] = sum(by_verdict.values())
    for verdict in ("valid", "bot", "duplicate", "ip_cap", "self", "blocked"):
        counts[f"{verdict}_clicks"] = by_verdict.get(verdict, 0)
    return counts


def rollup_into(cursor: Any, params: dict[str, Any], tables: RollupTables) -> dict[str, int]:
    """Step 2: the funnel and spend roll-ups of the (classified) day into ``tables``."""
    counts: dict[str, int] = {}
    cursor.execute("SET LOCAL work_mem = '128MB'")
    cursor.execute(placement_day_sql(tables.placement_day), params)
    counts["placement_rows"], counts["placement_rows_deleted"] = cursor.fetchone()
    cursor.execute(sub_day_sql(tables.sub_day), params)
    counts["sub_rows"], counts["sub_rows_deleted"] = cursor.fetchone()
    # Every raw read here is a range scan of the day; hash joins keep the cost linear
    # whatever the planner believes about freshly loaded tables (stale statistics made it
    # nest loops over a whole tenant's impressions).
    cursor.execute("SET LOCAL enable_nestloop = off")
    cursor.execute(campaign_day_sql(tables.campaign_day), params)
    lines, deleted, spend_cents = cursor.fetchone()
    cursor.execute("SET LOCAL enable_nestloop = on")
    counts["campaign_rows"], counts["campaign_rows_deleted"] = lines, deleted
    counts["spend_cents"] = int(spend_cents)
    return counts


def traffic_rollup_day(*, day: datetime.date) -> dict[str, int]:
    """Classify the tenant-local ``day``'s clicks and rebuild its roll-ups and spend.

    Runs in the active tenant's scope; idempotent (a rerun recomputes everything and changes
    nothing unless the raw data changed). See the module docstring for the rules."""
    params = rollup_params(day)
    with transaction.atomic(), connection.cursor() as cursor:
        counts = classify_clicks(cursor, params)
        counts.update(rollup_into(cursor, params, NIGHTLY))
    return counts
