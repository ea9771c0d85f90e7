"""Exchange rates of one network (issue 17, docs/currency.md).

``FxRate(day, base, quote, rate)``: on the tenant-local ``day``, one unit of ``base`` is worth
``rate`` units of ``quote`` (API.md v1.1 ``fx_rates``: up to 8 decimals, above 0). Rates come
from the ``fx_rates`` import or the optional scheduled fetch (``FX_RATES_PROVIDER``). What a
rate converted is frozen on the converted row (a conversion keeps the rate it used), so a
corrected rate never changes past money; history says who changed a rate and from what.
"""

from typing import Any

from django.db import models
from django.db.models import F, Q
from simple_history.models import HistoricalRecords

from apps.core.models import TenantOwnedModel
from apps.tenants.models import currency_validator

RATE: dict[str, Any] = {"max_digits": 20, "decimal_places": 8}


class FxRateSource(models.TextChoices):
    IMPORT = "import", "Imported file"
    PROVIDER = "provider", "Scheduled fetch"


class FxRate(TenantOwnedModel):
    day = models.DateField(help_text="Tenant-local day the rate is for.")
    base = models.CharField(max_length=3, validators=[currency_validator])
    quote = models.CharField(max_length=3, validators=[currency_validator])
    rate = models.DecimalField(**RATE, help_text="Units of quote for one unit of base.")
    source = models.CharField(max_length=10, choices=FxRateSource, default=FxRateSource.IMPORT)

    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = "exchange rate"
        ordering = ["-day", "base", "quote"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "day", "base", "quote"], name="fx_rate_one_per_day"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="fx_rate_gt_0"),
            models.CheckConstraint(condition=~Q(base=F("quote")), name="fx_rate_two_currencies"),
        ]
        indexes = [models.Index(fields=["tenant", "base", "quote", "-day"], name="fx_rate_pair")]

    def __str__(self) -> str:
        return f"{self.day}: 1 {self.base} = {self.rate} {self.quote}"
