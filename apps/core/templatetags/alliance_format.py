"""Template filters for figures people read (``apps.core.display``): ``{% load alliance_format %}``

- ``{{ amount|money }}`` -> ``14,000.00 CNY`` (the tenant's currency; ``|money:"EUR"`` to name one)
- ``{{ amount|amount }}`` -> ``14,000.00`` (in a column whose header names the currency)
- ``{{ clicks|count }}`` -> ``1,234,567``
- ``{{ ratio|percent }}`` -> ``12.3%`` (a fraction; ``|percent:2`` for two places)
- ``{{ part|share_of:whole }}`` -> ``12.3%``
- ``{{ roi|roi }}`` and ``{{ gmv|roi_of:spend }}`` -> ``3.25`` (``apps.core.money.roi``)
- ``{{ moment|when }}`` -> ``2026-11-03 14:05 UTC+8`` (the tenant's zone, named)
- ``{{ moment|day }}`` -> ``2026-11-03`` (the tenant-local day)
- ``{{ "2026-11"|period }}`` -> ``November 2026``
"""

from typing import Any

from django import template

from apps.core import display

register = template.Library()


@register.filter
def money(value: Any, currency: str | None = None) -> str:
    return display.format_money(value, currency)


@register.filter
def amount(value: Any, places: int = 2) -> str:
    return display.format_amount(value, int(places))


@register.filter
def count(value: Any) -> str:
    return display.format_count(value)


@register.filter
def percent(value: Any, places: int = 1) -> str:
    return display.format_percent(value, int(places))


@register.filter
def share_of(part: Any, whole: Any) -> str:
    return display.format_share(part, whole)


@register.filter
def roi(value: Any) -> str:
    return display.format_roi(value)


@register.filter
def roi_of(gmv: Any, spend: Any) -> str:
    return display.format_roi_of(gmv, spend)


@register.filter
def when(value: Any) -> str:
    return display.format_datetime(value)


@register.filter
def day(value: Any) -> str:
    return display.format_day(value)


@register.filter
def period(value: Any) -> str:
    return display.format_period(value)
