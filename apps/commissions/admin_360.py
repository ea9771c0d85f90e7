"""The 360 pages' money (issue 14): a webmaster's earnings of the last 30 days and statements;
a merchant's rebates. A fixed number of queries each."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.db.models import Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse

from apps.commissions.models import DailyEarning, MerchantRebate, Statement
from apps.core.admin_home import Figure, Panel, register_profile_section
from apps.core.charts import columns
from apps.core.display import format_money, format_percent, format_period
from apps.tenants.clock import tenant_today

DAYS = 30
ROWS = 6
ZERO = Decimal("0.00")


def earnings_section(request: HttpRequest, affiliate) -> Panel:
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    first = today - datetime.timedelta(days=DAYS - 1)
    parts = ("click_income", "guarantee_topup", "registration_commission", "order_commission")
    rows = {
        row["day"]: row
        for row in DailyEarning.objects.filter(affiliate=affiliate, day__gte=first, day__lte=today)
        .order_by()
        .values("day")
        .annotate(**{part: Coalesce(Sum(part), ZERO) for part in parts})
    }
    totals = {part: sum((r[part] for r in rows.values()), ZERO) for part in parts}
    days = [first + datetime.timedelta(days=n) for n in range(DAYS)]
    return Panel(
        id="earnings",
        title=f"Earnings, last {DAYS} days",
        url=reverse("admin:commissions_dailyearning_changelist") + f"?q={affiliate.email}",
        figures=[
            Figure("Total", format_money(sum(totals.values(), ZERO))),
            Figure("Clicks", format_money(totals["click_income"])),
            Figure("Guarantee top-up", format_money(totals["guarantee_topup"])),
            Figure(
                "Commissions",
                format_money(totals["registration_commission"] + totals["order_commission"]),
            ),
        ],
        chart=columns(
            [
                (
                    day.strftime("%m-%d"),
                    [rows[day][part] if day in rows else ZERO for part in parts],
                )
                for day in days
            ],
            ["clicks", "top-up", "registrations", "orders"],
        ),
    )


def statements_section(request: HttpRequest, affiliate) -> Panel:
    statements = list(
        Statement.objects.filter(affiliate=affiliate)
        .select_related("affiliate")
        .order_by("-period")[:ROWS]
    )
    return Panel(
        id="statements",
        title="Statements",
        url=reverse("admin:commissions_statement_changelist") + f"?q={affiliate.email}",
        columns=["Statement", "Status"],
        rows=[
            {
                "cells": [str(statement), statement.get_status_display()],
                "url": reverse("admin:commissions_statement_change", args=[statement.pk]),
            }
            for statement in statements
        ],
        empty="No statements yet.",
    )


def rebates_section(request: HttpRequest, merchant) -> Panel:
    rebates = list(MerchantRebate.objects.filter(merchant=merchant).order_by("-period")[:ROWS])
    return Panel(
        id="rebates",
        title="Rebates",
        columns=["Month", "Spend", "Rate", "Rebate"],
        rows=[
            {
                "cells": [
                    format_period(rebate.period),
                    format_money(rebate.spend),
                    format_percent(rebate.rate, 2),
                    format_money(rebate.amount),
                ],
                "url": "",
            }
            for rebate in rebates
        ],
        empty="No rebates credited yet.",
    )


register_profile_section(
    "webmaster", 40, "commissions.earnings", "apps.commissions.admin_360.earnings_section"
)
register_profile_section(
    "webmaster", 50, "commissions.statements", "apps.commissions.admin_360.statements_section"
)
register_profile_section(
    "merchant", 60, "commissions.rebates", "apps.commissions.admin_360.rebates_section"
)
