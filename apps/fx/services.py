"""Writing exchange rates and converting money with them (issue 17, docs/currency.md).

- ``fx_rate_set``: the one write of a rate (import rows and the scheduled fetch call it):
  creates or corrects the rate of a day; a correction is kept in history and changes no past
  money (each converted row keeps the rate it used).
- ``fx_convert``: money in another currency to ``to`` at the rate of ``day``; without a rate a
  ``FxRateMissingError`` naming ``currency``, never 1.0.
- ``fx_rates_fetch``: the optional scheduled fetch behind ``settings.FX_RATES_PROVIDER``
  (empty: off, the default; ``"ecb"``: the European Central Bank's daily reference rates,
  crossed through EUR). It stores today's rate (tenant-local) of every currency a merchant
  or webmaster of the tenant uses, to the tenant's. ``fetch`` is injectable: tests never touch
  the network.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any
from xml.etree import ElementTree

from django.conf import settings
from django.db import transaction

from apps.core.history import history_note
from apps.core.money import FX_RATE_PLACES, Money
from apps.fx.errors import FxError, FxRateMissingError
from apps.fx.models import FxRate, FxRateSource
from apps.fx.selectors import fx_rate_on
from apps.tenants.scope import current_tenant

MAX_RATE = Decimal("999999999999.99999999")


def fx_rate_set(
    *,
    day: datetime.date,
    base: str,
    quote: str,
    rate: Decimal,
    source: str = FxRateSource.IMPORT,
    actor: Any = None,
) -> tuple[FxRate, str]:
    """Store the rate of ``day`` (1 ``base`` = ``rate`` ``quote``). Returns the row and what
    happened: ``"created"``, ``"updated"`` or ``"unchanged"``."""
    base, quote = base.upper(), quote.upper()
    if base == quote:
        raise FxError(f"A rate converts two currencies; both are {base}.", field="quote")
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0 or rate > MAX_RATE:
        raise FxError(f"A rate is a number above 0, not {rate}.", field="rate")
    if rate != rate.quantize(FX_RATE_PLACES):
        raise FxError(f"A rate has at most 8 decimals ({rate}).", field="rate")
    with transaction.atomic():
        row = FxRate.objects.select_for_update().filter(day=day, base=base, quote=quote).first()
        if row is None:
            row = FxRate(tenant=current_tenant(), day=day, base=base, quote=quote)
            history_note(row, actor, f"rate {rate} ({source})")
            row.rate, row.source = rate, source
            row.save()
            return row, "created"
        if row.rate == rate:
            return row, "unchanged"
        history_note(row, actor, f"rate {row.rate} -> {rate} ({source})")
        row.rate, row.source = rate, source
        row.save(update_fields=["rate", "source", "updated_at"])
        return row, "updated"


def fx_convert(money: Money, *, day: datetime.date, to: str) -> tuple[Money, Decimal]:
    """``money`` in ``to`` at the rate of ``day`` (half-up to cents) and the rate used."""
    if money.currency == to.upper():
        return money.quantized(), Decimal(1)
    rate = fx_rate_on(day=day, base=money.currency, quote=to)
    if rate is None:
        raise FxRateMissingError(
            f"No exchange rate from {money.currency} to {to.upper()} for {day.isoformat()}: "
            f"import it (fx_rates) or send amounts in {to.upper()}.",
            field="currency",
        )
    return money.converted(rate=rate, to=to), rate


# --- the scheduled fetch ----------------------------------------------------------------------

ECB_URL = "https://www.ecb.europa.eu/stats/eurofxref/eurofxref-daily.xml"
_ECB_NS = "{http://www.ecb.int/vocabulary/2002-08-01/eurofxref}"


def _http_get(url: str) -> str:  # pragma: no cover - the network is never used in tests
    from urllib.request import urlopen

    with urlopen(url, timeout=20) as response:  # noqa: S310 - a fixed https URL from settings
        body: bytes = response.read()
        return body.decode("utf-8")


def ecb_rates(text: str) -> dict[str, Decimal]:
    """``{currency: units per EUR}`` from the ECB's daily XML (EUR itself is 1)."""
    try:
        root = ElementTree.fromstring(text)  # noqa: S314 - a fixed, trusted source
    except ElementTree.ParseError as exc:
        raise FxError(f"The ECB rates could not be read: {exc}.") from exc
    rates = {"EUR": Decimal(1)}
    for cube in root.iter(f"{_ECB_NS}Cube"):
        code, value = cube.get("currency"), cube.get("rate")
        if code and value:
            try:
                rates[code.upper()] = Decimal(value)
            except InvalidOperation:
                continue
    return rates


def _currencies_in_use(book: str) -> set[str]:
    """The currencies the tenant's merchants bill in and its webmasters are paid in (looked up
    by name: those apps sit to this one's right), besides its own."""
    from django.apps import apps

    codes: set[str] = set()
    for label, model_name, field in (
        ("campaigns", "Merchant", "currency"),
        ("affiliates", "Affiliate", "payout_currency"),
    ):
        model = apps.get_model(label, model_name)
        codes |= set(model.objects.exclude(**{field: ""}).values_list(field, flat=True))
    return {code.upper() for code in codes} - {book.upper()}


def fx_rates_fetch(
    *,
    day: datetime.date,
    provider: str | None = None,
    fetch: Callable[[str], str] | None = None,
    currencies: set[str] | None = None,
) -> dict[str, Any]:
    """Fetch and store ``day``'s rate to the tenant's currency of every currency in use (or
    ``currencies``). Off unless ``provider`` (default ``settings.FX_RATES_PROVIDER``) names
    one; a currency the provider does not quote is reported, not guessed."""
    provider = (provider if provider is not None else settings.FX_RATES_PROVIDER or "").lower()
    if not provider:
        return {"skipped": "FX_RATES_PROVIDER is off"}
    if provider != "ecb":
        raise FxError(f"Unknown FX_RATES_PROVIDER {provider!r}; use ecb or leave it empty.")
    book = current_tenant().currency
    wanted = {c.upper() for c in currencies} if currencies is not None else None
    wanted = wanted if wanted is not None else _currencies_in_use(book)
    if not wanted:
        return {"stored": 0, "missing": []}
    per_eur = ecb_rates((fetch or _http_get)(getattr(settings, "FX_RATES_URL", "") or ECB_URL))
    stored, missing = 0, []
    for code in sorted(wanted):
        if code not in per_eur or book not in per_eur:
            missing.append(code)
            continue
        rate = (per_eur[book] / per_eur[code]).quantize(FX_RATE_PLACES, rounding=ROUND_HALF_UP)
        _, what = fx_rate_set(
            day=day, base=code, quote=book, rate=rate, source=FxRateSource.PROVIDER
        )
        stored += what != "unchanged"
    return {"stored": stored, "missing": missing}
