"""Growth tools' own roll-up: the auction's clearing prices per tenant-local day.

The forecast (``apps.growth.forecast``) needs the market's current clearing prices on every
request; raw impressions are never scanned per request (DESIGN.md "Architecture"), so the
nightly step ``growth.clearing_prices`` keeps a small histogram per day: at most
``BUCKETS`` rows a day however many impressions were served.
"""

from django.db import models

from apps.core.models import TenantScopedModel


class ClearingPriceDayStats(TenantScopedModel):
    """How many impressions cleared in one price bucket on one tenant-local day, and the sum of
    their clearing prices (per mille). Bucket ``k`` holds prices in
    ``[BASE x RATIO^k, BASE x RATIO^(k+1))`` (``apps.growth.clearing``); rebuilt by
    ``run_daily`` (upsert on ``tenant, day, bucket``; buckets emptied by a rerun are deleted)."""

    day = models.DateField()
    bucket = models.PositiveSmallIntegerField()
    impressions = models.PositiveIntegerField(default=0)
    price_sum = models.DecimalField(max_digits=20, decimal_places=4, default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "bucket"], name="clearing_price_day_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.day} #{self.bucket}: {self.impressions}"
