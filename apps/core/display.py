"""How money, counts, ratios and times are shown to people, in the back office and the portals.

One home for the look of a figure (issue 14): every amount carries its tenant's currency and
thousands separators (``14,000.00 CNY``), counts are grouped (``1,234,567``), shares are
percentages to one place (``12.3%``), ROI is ``apps.core.money.roi``'s two places, and a
timestamp is shown in the tenant's zone with the zone named (``2026-11-03 14:05 UTC+8``).

``apps.core`` cannot import the tenants app, so the tenant comes from a lookup the tenants app
registers at start-up (``set_tenant_lookup``: the active tenant scope, as ``apps.tenants.clock``
uses); every function also takes the currency or zone explicitly.
"""

from __future__ import annotations

import datetime
import zoneinfo
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from apps.core.money import roi as roi_rule

EMPTY = "—"

_tenant_lookup: Callable[[], Any] | None = None


def set_tenant_lookup(lookup: Callable[[], Any]) -> None:
    """Called once by the tenants app: ``lookup()`` answers the active tenant or None."""
    global _tenant_lookup
    _tenant_lookup = lookup


def display_tenant() -> Any:
    return _tenant_lookup() if _tenant_lookup is not None else None


def _decimal(value: Any) -> Decimal | None:
    if value is None or value == "":
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return None


def tenant_currency(tenant: Any = None) -> str:
    tenant = tenant if tenant is not None else display_tenant()
    return getattr(tenant, "currency", "") or ""


def tenant_zone(tenant: Any = None) -> datetime.tzinfo:
    tenant = tenant if tenant is not None else display_tenant()
    if tenant is None:
        return datetime.UTC
    return zoneinfo.ZoneInfo(tenant.timezone)


def format_amount(value: Any, places: int = 2) -> str:
    """``14000`` -> ``14,000.00`` (half-up to ``places``); None -> an em dash."""
    amount = _decimal(value)
    if amount is None:
        return EMPTY
    step = Decimal(1).scaleb(-places)
    return f"{amount.quantize(step, rounding=ROUND_HALF_UP):,.{places}f}"


def format_money(value: Any, currency: str | None = None, *, places: int = 2) -> str:
    """``14,000.00 CNY``: the amount with separators and the (tenant's) currency code."""
    text = format_amount(value, places)
    if text == EMPTY:
        return text
    code = currency if currency is not None else tenant_currency()
    return f"{text} {code}" if code else text


def format_count(value: Any) -> str:
    """``1234567`` -> ``1,234,567``."""
    if value is None or value == "":
        return EMPTY
    return f"{int(value):,}"


def format_percent(ratio: Any, places: int = 1) -> str:
    """A share given as a fraction: ``0.1234`` -> ``12.3%``."""
    share = _decimal(ratio)
    if share is None:
        return EMPTY
    return f"{format_amount(share * 100, places)}%"


def share(part: Any, whole: Any) -> Decimal | None:
    """``part / whole`` as a Decimal fraction; None when ``whole`` is zero."""
    top, bottom = _decimal(part), _decimal(whole)
    if top is None or not bottom:
        return None
    return top / bottom


def format_share(part: Any, whole: Any, places: int = 1) -> str:
    return format_percent(share(part, whole), places)


def format_roi(value: Any) -> str:
    """An ROI already computed by ``apps.core.money.roi`` (two places); None -> em dash."""
    amount = _decimal(value)
    return EMPTY if amount is None else format_amount(amount, 2)


def format_roi_of(gmv: Any, spend: Any) -> str:
    """The one ROI rule (``apps.core.money.roi``), shown."""
    gmv_value, spend_value = _decimal(gmv), _decimal(spend)
    if gmv_value is None:
        return EMPTY
    return format_roi(roi_rule(gmv=gmv_value, spend=spend_value))


def zone_label(moment: datetime.datetime) -> str:
    """``UTC+8``, ``UTC+5:30``, ``UTC-3`` or ``UTC`` for an aware datetime."""
    offset = moment.utcoffset() or datetime.timedelta(0)
    minutes = int(offset.total_seconds() // 60)
    if minutes == 0:
        return "UTC"
    sign = "+" if minutes > 0 else "-"
    hours, rest = divmod(abs(minutes), 60)
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


def local_moment(
    value: datetime.datetime, zone: datetime.tzinfo | None = None
) -> datetime.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.UTC)
    return value.astimezone(zone if zone is not None else tenant_zone())


def format_datetime(value: Any, zone: datetime.tzinfo | None = None) -> str:
    """``2026-11-03 14:05 UTC+8``: the moment in the tenant's zone, with the zone named."""
    if not isinstance(value, datetime.datetime):
        return format_day(value)
    moment = local_moment(value, zone)
    return f"{moment:%Y-%m-%d %H:%M} {zone_label(moment)}"


def format_day(value: Any) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, datetime.datetime):
        value = local_moment(value).date()
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value)


MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)  # fmt: skip


def format_period(period: str) -> str:
    """``2026-11`` -> ``November 2026`` (anything else unchanged)."""
    try:
        year, month = period.split("-")
        return f"{MONTHS[int(month) - 1]} {int(year)}"
    except (ValueError, IndexError, AttributeError):
        return str(period)
