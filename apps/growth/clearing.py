"""The auction's clearing prices, rolled up nightly into a small histogram, and read back as a
price landscape for the forecast.

Nightly (``run_daily`` step ``growth.clearing_prices``, after the roll-up): every impression
served on the tenant-local day is put in a price bucket by its clearing price per mille
(``Impression.price_cpm``: what the auction cleared at, for CPM and CPC winners alike) and each
bucket's count and price sum are upserted into ``ClearingPriceDayStats``. Bucket ``k`` holds
prices in ``[EDGES[k], EDGES[k + 1])`` with ``EDGES[k] = BASE x RATIO^k`` kept to 4 places
like prices; prices under ``BASE`` go to bucket 0, prices past the last edge to ``MAX_BUCKET``
(PostgreSQL's ``width_bucket`` over the same edges, so SQL and Python agree on every edge).
One set-based statement over the day's impressions (through their ``(tenant, served_at)``
index); a rerun gives the same rows.

Per request (``clearing_landscape``): one grouped read of at most ``MAX_BUCKET + 1`` rows per
window gives a ``Landscape``: the share of impressions that cleared below a price, and their
mean price, with prices spread evenly inside a bucket.
"""

from __future__ import annotations

import bisect
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import DecimalField, IntegerField, Q, Sum
from django.db.models.functions import Coalesce

from apps.growth.models import ClearingPriceDayStats
from apps.tenants.clock import day_window
from apps.tenants.scope import current_tenant
from apps.tracking.models import Impression

BASE = Decimal("0.01")
RATIO = Decimal("1.15")
MAX_BUCKET = 120
#: the lower edge of every bucket, and the upper edge of the last one
EDGES: tuple[Decimal, ...] = tuple(
    (BASE * RATIO**k).quantize(Decimal("0.0001")) for k in range(MAX_BUCKET + 2)
)

IMPRESSION = Impression._meta.db_table
CLEARING_DAY = ClearingPriceDayStats._meta.db_table

CLEARING_DAY_SQL = f"""
WITH grouped AS MATERIALIZED (
    SELECT width_bucket(price_cpm, %(thresholds)s::numeric[]) AS bucket,
           COUNT(*) AS impressions,
           SUM(price_cpm) AS price_sum
    FROM {IMPRESSION}
    WHERE tenant_id = %(tenant)s AND served_at >= %(start)s AND served_at < %(end)s
    GROUP BY 1
),
upserted AS (
    INSERT INTO {CLEARING_DAY} AS stats (tenant_id, day, bucket, impressions, price_sum)
    SELECT %(tenant)s, %(day)s, bucket, impressions, price_sum FROM grouped
    ON CONFLICT (tenant_id, day, bucket) DO UPDATE SET
        impressions = EXCLUDED.impressions, price_sum = EXCLUDED.price_sum
    RETURNING stats.bucket, stats.impressions
),
stale AS (
    DELETE FROM {CLEARING_DAY} old
    WHERE old.tenant_id = %(tenant)s AND old.day = %(day)s
      AND old.bucket NOT IN (SELECT bucket FROM upserted)
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM upserted), (SELECT COALESCE(SUM(impressions), 0) FROM upserted),
       (SELECT COUNT(*) FROM stale)
"""  # noqa: S608 - table names come from model metadata, values are parameters


def clearing_rollup_day(*, day: datetime.date) -> dict[str, int]:
    """The nightly step: rebuild the tenant-local ``day``'s clearing-price histogram from its
    served impressions. Idempotent (a rerun rewrites the same rows, drops emptied buckets)."""
    tenant = current_tenant()
    start, end = day_window(day, tenant)
    params = {
        "tenant": tenant.pk,
        "day": day,
        "start": start,
        "end": end,
        # bucket k starts at EDGES[k]: width_bucket counts the upper edges at or below a price
        "thresholds": list(EDGES[1 : MAX_BUCKET + 1]),
    }
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(CLEARING_DAY_SQL, params)
        buckets, impressions, deleted = cursor.fetchone()
    return {"buckets": buckets, "impressions": int(impressions), "buckets_deleted": deleted}


def bucket_of(price_cpm: Decimal) -> int:
    """The bucket a clearing price falls in (the SQL's rule, for tests and tools)."""
    return bisect.bisect_right(EDGES, price_cpm, lo=1, hi=MAX_BUCKET + 1) - 1


@dataclass(frozen=True)
class Landscape:
    """Clearing prices over some days: ``counts[k]`` impressions with ``sums[k]`` total price
    in bucket ``k``. Pure: the forecast's arithmetic is tested on hand-made landscapes."""

    counts: tuple[int, ...] = ()
    sums: tuple[Decimal, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def is_empty(self) -> bool:
        return self.total == 0

    def _below(self, price: Decimal) -> tuple[Decimal, Decimal]:
        """(impressions, price sum) that cleared below ``price``: whole buckets under it, and
        the part of its own bucket under it (prices spread evenly inside a bucket)."""
        count = Decimal(0)
        amount = Decimal(0)
        for index, n in enumerate(self.counts):
            if n == 0:
                continue
            low, high = EDGES[index], EDGES[index + 1]
            if index == 0:
                low = Decimal(0)
            if price >= high:
                count += n
                amount += self.sums[index]
            elif price > low:
                part = (price - low) / (high - low)
                count += n * part
                amount += self.sums[index] * part
        return count, amount

    def share_below(self, price: Decimal) -> Decimal:
        """The share of impressions (0..1) a bid of ``price`` per mille would have outbid."""
        if self.is_empty:
            return Decimal(0)
        count, _ = self._below(price)
        return count / Decimal(self.total)

    def mean_below(self, price: Decimal) -> Decimal | None:
        """The mean clearing price of the impressions under ``price`` (None if there are none):
        roughly what winning them costs per mille, the auction being second-price."""
        count, amount = self._below(price)
        if count <= 0:
            return None
        return amount / count

    def median(self) -> Decimal | None:
        """The price half of the impressions cleared below (None when empty)."""
        if self.is_empty:
            return None
        half = Decimal(self.total) / 2
        seen = Decimal(0)
        for index, n in enumerate(self.counts):
            if n and seen + n >= half:
                low = Decimal(0) if index == 0 else EDGES[index]
                return low + (EDGES[index + 1] - low) * (half - seen) / n
            seen += n
        return EDGES[-1]


def _landscape(rows: dict[int, tuple[int, Decimal]]) -> Landscape:
    if not rows:
        return Landscape()
    size = max(rows) + 1
    counts = [0] * size
    sums = [Decimal(0)] * size
    for bucket, (n, amount) in rows.items():
        counts[bucket] = n
        sums[bucket] = amount
    return Landscape(counts=tuple(counts), sums=tuple(sums))


_INT = IntegerField()
_PRICE = DecimalField(max_digits=24, decimal_places=4)


def clearing_landscapes(
    *, last: datetime.date, recent_days: int = 7, history_days: int = 30
) -> tuple[Landscape, Landscape]:
    """The clearing prices of the ``recent_days`` and the ``history_days`` ending ``last``
    (tenant-local days), as two landscapes, from one grouped read of the histogram table."""
    first_recent = last - datetime.timedelta(days=recent_days - 1)
    first_history = last - datetime.timedelta(days=history_days - 1)
    recent = Q(day__gte=first_recent)
    rows = (
        ClearingPriceDayStats.objects.filter(
            day__gte=min(first_recent, first_history), day__lte=last
        )
        .values("bucket")
        .annotate(
            n_recent=Coalesce(Sum("impressions", filter=recent), 0, output_field=_INT),
            s_recent=Coalesce(Sum("price_sum", filter=recent), Decimal(0), output_field=_PRICE),
            n_history=Coalesce(
                Sum("impressions", filter=Q(day__gte=first_history)), 0, output_field=_INT
            ),
            s_history=Coalesce(
                Sum("price_sum", filter=Q(day__gte=first_history)),
                Decimal(0),
                output_field=_PRICE,
            ),
        )
        .order_by("bucket")
    )
    recent_rows: dict[int, tuple[int, Decimal]] = {}
    history_rows: dict[int, tuple[int, Decimal]] = {}
    for row in rows:
        if row["n_recent"]:
            recent_rows[row["bucket"]] = (row["n_recent"], row["s_recent"])
        if row["n_history"]:
            history_rows[row["bucket"]] = (row["n_history"], row["s_history"])
    return _landscape(recent_rows), _landscape(history_rows)
