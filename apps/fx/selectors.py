"""Reading exchange rates: the rate of a day, for one pair or many (one query).

``fx_rate_on(day, base, quote)`` is the rate stored for exactly that tenant-local day: a rate
``base -> quote``, else the inverse of a stored ``quote -> base`` (``1 / rate`` to 8 places).
There is no "latest rate before": a day without a rate has none, and whoever needed it says
so naming ``currency`` (``apps.fx.services.fx_convert``), never converts at 1.0. The same
currency needs no rate (1).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from apps.core.money import FX_RATE_PLACES
from apps.fx.models import FxRate

ONE = Decimal(1)


def inverse_rate(rate: Decimal) -> Decimal:
    return (ONE / rate).quantize(FX_RATE_PLACES, rounding=ROUND_HALF_UP)


def fx_rates_on(
    *, pairs: Iterable[tuple[datetime.date, str]], quote: str
) -> dict[tuple[datetime.date, str], Decimal]:
    """``{(day, currency): rate}`` to ``quote`` for each wanted (day, currency), in one
    query; pairs without a rate that day are absent (the same currency is 1)."""
    quote = quote.upper()
    wanted = {(day, code.upper()) for day, code in pairs}
    found: dict[tuple[datetime.date, str], Decimal] = {
        key: ONE for key in wanted if key[1] == quote
    }
    todo = {key for key in wanted if key[1] != quote}
    if not todo:
        return found
    days = {day for day, _ in todo}
    codes = {code for _, code in todo}
    inverse: dict[tuple[datetime.date, str], Decimal] = {}
    for day, base, row_quote, rate in FxRate.objects.filter(
        Q(base__in=codes, quote=quote) | Q(base=quote, quote__in=codes), day__in=days
    ).values_list("day", "base", "quote", "rate"):
        if row_quote == quote:
            found[(day, base)] = rate
        else:
            inverse[(day, row_quote)] = inverse_rate(rate)
    for key in todo:
        if key not in found and key in inverse:
            found[key] = inverse[key]
    return {key: rate for key, rate in found.items() if key in wanted}


def fx_rate_on(*, day: datetime.date, base: str, quote: str) -> Decimal | None:
    """The rate ``base -> quote`` of ``day``, or None when there is none."""
    return fx_rates_on(pairs=[(day, base)], quote=quote).get((day, base.upper()))
