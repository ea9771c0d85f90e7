"""Tenant-local time: the one home of "today", day windows and month periods.

Days are tenant-local days (DESIGN.md "Architecture"): a figure "for 2026-11-03" covers
``[00:00, 24:00)`` of that date in the tenant's zone, and a period ``YYYY-MM`` covers its
first to last tenant-local day. Every screen, API view, task, statement and report asks here
instead of spelling ``timezone.localdate(...)`` itself; without an explicit ``tenant`` the
functions use the active tenant scope (and raise outside one, like every tenant read).
"""

from __future__ import annotations

import datetime
from typing import TYPE_CHECKING

from django.utils import timezone

from apps.core.errors import DomainError
from apps.tenants.scope import current_tenant

if TYPE_CHECKING:
    from apps.tenants.models import Tenant


class PeriodError(DomainError):
    """A period that is not a month written ``YYYY-MM``."""

    code = "period_invalid"


def _tenant(tenant: Tenant | None) -> Tenant:
    return tenant if tenant is not None else current_tenant()


def tenant_now(tenant: Tenant | None = None) -> datetime.datetime:
    """Now, as an aware datetime in the tenant's zone."""
    return timezone.now().astimezone(_tenant(tenant).zone)


def tenant_today(tenant: Tenant | None = None) -> datetime.date:
    """Today's date in the tenant's zone."""
    return tenant_now(tenant).date()


def local_day(moment: datetime.datetime, tenant: Tenant | None = None) -> datetime.date:
    """The tenant-local day an aware ``moment`` falls on."""
    return moment.astimezone(_tenant(tenant).zone).date()


def day_window(
    day: datetime.date, tenant: Tenant | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """``[00:00, 24:00)`` of the tenant-local ``day`` as aware datetimes (DST-safe: a day may
    last 23 or 25 hours)."""
    zone = _tenant(tenant).zone
    start = datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)
    next_day = day + datetime.timedelta(days=1)
    end = datetime.datetime.combine(next_day, datetime.time.min, tzinfo=zone)
    return start, end


def days_window(
    first: datetime.date, last: datetime.date, tenant: Tenant | None = None
) -> tuple[datetime.datetime, datetime.datetime]:
    """``[first 00:00, last + 1 00:00)``: the aware bounds of an inclusive range of days."""
    return day_window(first, tenant)[0], day_window(last, tenant)[1]


def day_elapsed_share(
    moment: datetime.datetime | None = None, tenant: Tenant | None = None
) -> float:
    """How much of its tenant-local day ``moment`` (default now) has passed, in [0, 1): for
    pacing a daily budget. A ratio of time, not money."""
    tenant = _tenant(tenant)
    moment = moment or timezone.now()
    start, end = day_window(local_day(moment, tenant), tenant)
    return (moment - start) / (end - start)


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of the month ``YYYY-MM``; anything else is a ``PeriodError``
    naming the ``period`` field."""
    try:
        year_text, month_text = period.split("-")
        if len(year_text) != 4 or len(month_text) != 2:
            raise ValueError(period)
        start = datetime.date(int(year_text), int(month_text), 1)
    except (ValueError, AttributeError) as exc:
        raise PeriodError(
            f"The period {period!r} is not a month written YYYY-MM (e.g. 2026-03).",
            field="period",
        ) from exc
    next_month = (start.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
    return start, next_month - datetime.timedelta(days=1)


def period_of(day: datetime.date) -> str:
    """The period ``YYYY-MM`` that ``day`` belongs to."""
    return f"{day:%Y-%m}"


def previous_period(day: datetime.date) -> str:
    """The month before ``day``'s month, as ``YYYY-MM``."""
    return period_of(day.replace(day=1) - datetime.timedelta(days=1))


def next_period(period: str) -> str:
    """The month after ``period``."""
    _, end = period_bounds(period)
    return period_of(end + datetime.timedelta(days=1))
