-- The daily pipeline's lower bound: ONE statement that classifies a tenant-day's clicks with
-- the product's rules (apps/tracking/services/rollup.py: bot, blocked by the tenant's block
-- list, self, duplicate within the dedupe window incl. the previous day's clicks, over the
-- per-IP daily cap, else valid),
-- writes every verdict, and rebuilds the day's placement funnel (PlacementDayStats: clicks by
-- verdict, landings, rendered impressions, registrations, orders, GMV) from the same rows.
--
-- It is what run_daily's core would cost with nothing else: no sub-tag or campaign roll-ups,
-- no spend, no earnings, no site weights, one pass over the day's clicks. bench.run resets the
-- day's verdicts before each run of either, so both classify every click from scratch.
-- Parameters (psycopg, named): the product's own ``rollup_params(day)`` (tenant, day, start,
-- end, lookback, window, cap, bots), so both apply the same dedupe window, cap and patterns;
-- tests/bench/test_lower_bound.py checks that both give the same verdict counts.
WITH recent AS (
    SELECT id, clicked_at, placement_id, affiliate_id, ip, user_agent, landed_at,
           LAG(clicked_at) OVER (
               PARTITION BY placement_id, ip, user_agent ORDER BY clicked_at, id
           ) AS previous_at
    FROM tracking_click
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
    SELECT today.id, today.placement_id, today.landed_at,
           CASE
               WHEN btrim(today.user_agent) = '' OR today.user_agent ~* %(bots)s THEN 'bot'
               WHEN EXISTS (
                   SELECT 1 FROM tracking_blockrule block
                   WHERE block.tenant_id = %(tenant)s AND block.is_active
                     AND ((block.kind = 'ip_range' AND today.ip <<= block.value::cidr)
                          OR (block.kind = 'user_agent'
                              AND strpos(lower(today.user_agent), lower(block.value)) > 0))
               ) THEN 'blocked'
               WHEN known.ip IS NOT NULL THEN 'self'
               WHEN today.previous_at IS NOT NULL
                    AND today.clicked_at - today.previous_at < %(window)s THEN 'duplicate'
               WHEN today.ip_rank > %(cap)s THEN 'ip_cap'
               ELSE 'valid'
           END AS verdict
    FROM today
    LEFT JOIN affiliates_affiliateip known
           ON known.tenant_id = %(tenant)s
          AND known.affiliate_id = today.affiliate_id
          AND known.ip = today.ip
),
written AS (
    UPDATE tracking_click AS click
    SET verdict = decided.verdict
    FROM decided
    WHERE click.id = decided.id AND click.tenant_id = %(tenant)s
    RETURNING 1
),
clicks AS (
    SELECT placement_id,
           COUNT(*) AS clicks,
           COUNT(*) FILTER (WHERE verdict = 'valid') AS valid_clicks,
           COUNT(*) FILTER (WHERE verdict = 'bot') AS bot_clicks,
           COUNT(*) FILTER (WHERE verdict = 'duplicate') AS duplicate_clicks,
           COUNT(*) FILTER (WHERE verdict = 'ip_cap') AS ip_cap_clicks,
           COUNT(*) FILTER (WHERE verdict = 'self') AS self_clicks,
           COUNT(*) FILTER (WHERE verdict = 'blocked') AS blocked_clicks,
           COUNT(*) FILTER (WHERE verdict = 'valid' AND landed_at IS NOT NULL) AS landings
    FROM decided
    GROUP BY placement_id
),
shown AS (
    SELECT placement_id, COUNT(*) AS impressions
    FROM tracking_impression
    WHERE tenant_id = %(tenant)s AND served_at >= %(start)s AND served_at < %(end)s
      AND rendered_at IS NOT NULL
    GROUP BY placement_id
),
conversions AS (
    SELECT placement_id,
           COUNT(*) FILTER (WHERE type = 'registration' AND status <> 'cancelled')
               AS registrations,
           COUNT(*) FILTER (WHERE type = 'order' AND status <> 'cancelled') AS orders,
           COALESCE(SUM(CASE
               WHEN type <> 'order' OR status = 'cancelled' THEN 0
               WHEN status = 'refunded' THEN COALESCE(amount, 0) - refund_amount
               ELSE COALESCE(amount, 0)
           END), 0) AS gmv
    FROM tracking_conversion
    WHERE tenant_id = %(tenant)s AND day = %(day)s
    GROUP BY placement_id
),
keys AS (
    SELECT placement_id FROM clicks
    UNION SELECT placement_id FROM shown
    UNION SELECT placement_id FROM conversions
),
upserted AS (
    INSERT INTO tracking_placementdaystats AS stats (
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
    JOIN websites_placement placement ON placement.id = keys.placement_id
    JOIN websites_site site ON site.id = placement.site_id
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
    RETURNING stats.valid_clicks, stats.clicks
)
SELECT (SELECT COUNT(*) FROM written) AS verdicts_written,
       (SELECT COUNT(*) FROM upserted) AS placement_rows,
       (SELECT COALESCE(SUM(clicks), 0) FROM upserted) AS clicks,
       (SELECT COALESCE(SUM(valid_clicks), 0) FROM upserted) AS valid_clicks
