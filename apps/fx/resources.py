"""The ``fx_rates`` import (API.md v1.1): ``date, base, quote, rate``.

``date`` is ``YYYY-MM-DD`` (a tenant-local day), ``base`` and ``quote`` ISO 4217 codes (two
different ones), ``rate`` the units of ``quote`` for one ``base``: a number above 0 with at
most 8 decimals. The same (date, base, quote) twice in a file is an error on the second line;
a rate already stored is corrected (history keeps the old one), an equal one is left alone,
so importing the same file twice changes nothing. All or nothing, like every import.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from apps.core.imports import CleanRow, ImportResource, ImportRow, RowErrors
from apps.core.money import FX_RATE_PLACES
from apps.fx.services import MAX_RATE, fx_rate_set


@dataclass(frozen=True)
class RateRow:
    day: datetime.date
    base: str
    quote: str
    rate: Decimal


def _code(errors: RowErrors, row: ImportRow, column: str) -> str:
    raw = row.get(column)
    code = raw.upper()
    if not raw:
        errors.add(column, "a value is required")
    elif len(code) != 3 or not code.isascii() or not code.isalpha():
        errors.add(column, f"{raw!r} is not an ISO 4217 code such as USD or CNY")
    return code


def _clean_day(errors: RowErrors, row: ImportRow) -> datetime.date | None:
    raw_day = row.get("date")
    if not raw_day:
        errors.add("date", "a value is required")
        return None
    try:
        return datetime.date.fromisoformat(raw_day)
    except ValueError:
        errors.add("date", f"{raw_day!r} is not a date such as 2026-03-01")
        return None


def _clean_rate(errors: RowErrors, row: ImportRow) -> Decimal | None:
    """The rate: a number above 0 and below ``MAX_RATE``, at most 8 decimals; ``None`` when
    it is no number at all."""
    raw_rate = row.get("rate")
    try:
        rate = Decimal(raw_rate)
        if not rate.is_finite():
            raise InvalidOperation
    except InvalidOperation:
        errors.add("rate", f"{raw_rate!r} is not a number such as 7.2000" if raw_rate
                   else "a value is required")  # fmt: skip
        return None
    if rate <= 0 or rate > MAX_RATE:
        errors.add("rate", f"{raw_rate} is not above 0 (and below a trillion)")
    elif rate != rate.quantize(FX_RATE_PLACES):
        errors.add("rate", f"{raw_rate} has more than 8 decimals")
    return rate


class FxRateImport(ImportResource):
    name = "fx_rates"
    required_columns = ("date", "base", "quote", "rate")
    optional_columns = ()

    def prepare(self, rows: object) -> None:
        self.seen: dict[tuple[datetime.date, str, str], int] = {}

    def clean_row(self, row: ImportRow) -> RateRow:
        errors = RowErrors()
        day = _clean_day(errors, row)
        base = _code(errors, row, "base")
        quote = _code(errors, row, "quote")
        if base and base == quote and len(base) == 3:
            errors.add("quote", f"the quote must differ from the base ({base})")
        rate = _clean_rate(errors, row)
        if day is not None and base and quote:
            first = self.seen.setdefault((day, base, quote), row.line)
            if first != row.line:
                errors.add("date", f"the rate {base}/{quote} of {day} is already on line {first}")
        errors.raise_if_any()
        if day is None or rate is None:  # pragma: no cover - raise_if_any raised
            raise AssertionError(row.line)
        return RateRow(day, base, quote, rate)

    def save_row(self, row: CleanRow) -> None:
        data: RateRow = row.data
        _, what = fx_rate_set(
            day=data.day, base=data.base, quote=data.quote, rate=data.rate, actor=self.actor
        )
        self.counts[f"rates {what}"] += 1
