"""The 360 pages' traffic (issue 14): a webmaster's last 30 days' funnel, a merchant's spend
and ROI, by day, from the roll-ups. One grouped query each."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest

from apps.core.admin_home import Figure, Panel, register_profile_section
from apps.core.charts import columns
from apps.core.display import format_count, format_money, format_roi_of, format_share
from apps.tenants.clock import tenant_today
from apps.tracking.models import CampaignDayStats, PlacementDayStats

DAYS = 30
ZERO = Decimal("0.00")


def _window(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    return today - datetime.timedelta(days=DAYS - 1), today


def funnel_section(request: HttpRequest, affiliate) -> Panel:
    first, last = _window(request)
    rows = {
        row["day"]: row
        for row in PlacementDayStats.objects.filter(
            affiliate_id=affiliate.pk, day__gte=first, day__lte=last
        )
        .order_by()
        .values("day")
        .annotate(
            impressions=Coalesce(Sum("impressions"), 0),
            clicks=Coalesce(Sum("clicks"), 0),
            valid=Coalesce(Sum("valid_clicks"), 0),
            landings=Coalesce(Sum("landings"), 0),
            registrations=Coalesce(Sum("registrations"), 0),
            orders=Coalesce(Sum("orders"), 0),
            gmv=Coalesce(Sum("gmv"), ZERO),
        )
    }
    keys = ("impressions", "clicks", "valid", "landings", "registrations", "orders")
    totals = {key: sum(row[key] for row in rows.values()) for key in keys}
    days = [first + datetime.timedelta(days=n) for n in range(DAYS)]
    chart = columns(
        [
            (
                day.strftime("%m-%d"),
                [
                    rows.get(day, {}).get("valid", 0),
                    rows.get(day, {}).get("clicks", 0) - rows.get(day, {}).get("valid", 0),
                ],
            )
            for day in days
        ],
        ["valid clicks", "invalid clicks"],
    )
    return Panel(
        id="funnel",
        title=f"Funnel, last {DAYS} days",
        figures=[
            Figure("Impressions", format_count(totals["impressions"])),
            Figure("Clicks", format_count(totals["clicks"])),
            Figure("Valid", format_share(totals["valid"], totals["clicks"])),
            Figure("Landed", format_share(totals["landings"], totals["clicks"])),
            Figure("Registrations", format_count(totals["registrations"])),
            Figure("Orders", format_count(totals["orders"])),
            Figure("GMV", format_money(sum((r["gmv"] for r in rows.values()), ZERO))),
        ],
        chart=chart,
    )


def spend_section(request: HttpRequest, merchant) -> Panel:
    first, last = _window(request)
    rows = {
        row["day"]: row
        for row in CampaignDayStats.objects.filter(
            merchant_id=merchant.pk, day__gte=first, day__lte=last
        )
        .order_by()
        .values("day")
        .annotate(
            spend=Coalesce(Sum("spend"), ZERO),
            gmv=Coalesce(Sum("gmv"), ZERO),
            clicks=Coalesce(Sum("valid_clicks"), 0),
            orders=Coalesce(Sum("orders"), 0),
        )
    }
    spend = sum((r["spend"] for r in rows.values()), ZERO)
    gmv = sum((r["gmv"] for r in rows.values()), ZERO)
    days = [first + datetime.timedelta(days=n) for n in range(DAYS)]
    return Panel(
        id="spend",
        title=f"Spend and ROI, last {DAYS} days",
        figures=[
            Figure("Spend", format_money(spend)),
            Figure("GMV", format_money(gmv)),
            Figure("ROI", format_roi_of(gmv, spend)),
            Figure("Valid clicks", format_count(sum(r["clicks"] for r in rows.values()))),
            Figure("Orders", format_count(sum(r["orders"] for r in rows.values()))),
        ],
        chart=columns(
            [(day.strftime("%m-%d"), [rows.get(day, {}).get("spend", ZERO)]) for day in days],
            ["spend"],
        ),
    )


register_profile_section(
    "webmaster", 30, "tracking.funnel", "apps.tracking.admin_360.funnel_section"
)
register_profile_section("merchant", 30, "tracking.spend", "apps.tracking.admin_360.spend_section")
