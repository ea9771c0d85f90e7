"""Homes: BD's top and falling webmasters by earnings; finance's statements, approvals waiting
for them, holds, payouts and the last reconciliation (issue 14). Each panel runs a fixed number
of queries over ``DailyEarning`` and ``Statement`` (never raw clicks or lines)."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, Q, Sum
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from apps.affiliates.models import Affiliate
from apps.commissions.models import DailyEarning, ReconcileRun, Statement, StatementStatus
from apps.core.admin_home import Figure, Panel, register_home_panel
from apps.core.charts import share_bars
from apps.core.display import format_count, format_datetime, format_money, format_period
from apps.tenants.clock import next_period, period_bounds, period_of, tenant_today

ZERO = Decimal("0.00")
WINDOW_DAYS = 30
ROWS = 5


def _statements_url(**query: str) -> str:
    url = reverse("admin:commissions_statement_changelist")
    return url + ("?" + urlencode(query) if query else "")


def _webmaster_url(affiliate_id: int) -> str:
    return reverse("admin:desk-webmaster", args=[affiliate_id])


# --- BD ------------------------------------------------------------------------------------


def earnings_movers(tenant: Any, today: datetime.date) -> tuple[list[dict], list[dict]]:
    """Top webmasters by earnings over the last 30 days, and those that fell most against the
    30 days before (two grouped queries over the daily earnings)."""
    recent_from = today - datetime.timedelta(days=WINDOW_DAYS - 1)
    before_from = recent_from - datetime.timedelta(days=WINDOW_DAYS)
    grouped = (
        DailyEarning.objects.filter(tenant=tenant, day__gte=before_from, day__lte=today)
        .values("affiliate_id", "affiliate__name")
        .annotate(
            recent=Coalesce(Sum("total", filter=Q(day__gte=recent_from)), ZERO),
            before=Coalesce(Sum("total", filter=Q(day__lt=recent_from)), ZERO),
        )
        .annotate(change=F("recent") - F("before"))
    )
    top = list(grouped.filter(recent__gt=0).order_by("-recent", "affiliate_id")[:ROWS])
    falling = list(grouped.filter(change__lt=0).order_by("change", "affiliate_id")[:ROWS])
    return top, falling


def earnings_panel(request: HttpRequest) -> Panel:
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    top, falling = earnings_movers(request.tenant, today)  # type: ignore[attr-defined]
    bars = share_bars([(row["affiliate__name"], row["recent"], "") for row in top])
    rows = [
        {
            "cells": [row["affiliate__name"], format_money(row["recent"]), "top"],
            "url": _webmaster_url(row["affiliate_id"]),
            "bar": bar["percent"],
        }
        for row, bar in zip(top, bars, strict=True)
    ]
    rows += [
        {
            "cells": [
                row["affiliate__name"],
                format_money(row["recent"]),
                f"{format_money(row['change'])}",
            ],
            "url": _webmaster_url(row["affiliate_id"]),
            "bar": None,
        }
        for row in falling
    ]
    return Panel(
        id="earnings",
        title=f"Top and falling webmasters (earnings, last {WINDOW_DAYS} days)",
        columns=["Webmaster", f"Last {WINDOW_DAYS} days", "Change"],
        rows=rows,
        empty="No earnings in the last 60 days.",
        note=f"Change: against the {WINDOW_DAYS} days before. From the nightly daily earnings.",
    )


# --- finance -------------------------------------------------------------------------------


def statements_panel(request: HttpRequest) -> Panel:
    base = Statement.objects.filter(tenant=request.tenant)  # type: ignore[attr-defined]
    by_status = {
        row["status"]: row
        for row in base.order_by()
        .values("status")
        .annotate(count=Count("id"), amount=Coalesce(Sum("total"), ZERO))
    }
    mine = (
        base.filter(status=StatementStatus.SUBMITTED)
        .exclude(submitted_by_id=request.user.pk)
        .exclude(last_adjusted_by_id=request.user.pk)
        .aggregate(count=Count("id"), amount=Coalesce(Sum("total"), ZERO))
    )
    figures = [
        Figure(
            "Waiting for your approval",
            f"{format_count(mine['count'])} · {format_money(mine['amount'])}",
            _statements_url(approval="mine"),
            hint="Submitted by someone else and not adjusted by you (four eyes)",
            tone="warn" if mine["count"] else "",
        )
    ]
    for value, label in StatementStatus.choices:
        row = by_status.get(value, {"count": 0, "amount": ZERO})
        figures.append(
            Figure(
                str(label),
                f"{format_count(row['count'])} · {format_money(row['amount'])}",
                _statements_url(status__exact=value),
            )
        )
    return Panel(id="statements", title="Statements", url=_statements_url(), figures=figures)


def payouts_panel(request: HttpRequest) -> Panel:
    tenant = request.tenant  # type: ignore[attr-defined]
    held = Affiliate.objects.filter(tenant=tenant, payment_hold=True).count()
    today = tenant_today(tenant)
    this_period = period_of(today)
    run_on = period_bounds(next_period(this_period))[0]
    return Panel(
        id="payouts",
        title="Holds and the next payout run",
        figures=[
            Figure(
                "Webmasters on hold",
                format_count(held),
                reverse("admin:commissions_webmasterpaymenthold_changelist"),
                tone="warn" if held else "",
            ),
            Figure(
                "Next statement run",
                run_on.isoformat(),
                _statements_url(period__exact=this_period),
                hint=f"Statements of {format_period(this_period)} are generated then; "
                "approved ones are paid after.",
            ),
        ],
    )


def reconcile_panel(request: HttpRequest) -> Panel:
    """The last stored reconciliation (``manage.py reconcile``, ``ReconcileRun``): its period,
    how many differences it found, when it ran."""
    run = ReconcileRun.objects.filter(tenant=request.tenant).order_by("-ran_at").first()  # type: ignore[attr-defined]
    url = reverse("admin:commissions_reconcilerun_changelist")
    if run is None:
        return Panel(
            id="reconcile",
            title="Last reconciliation",
            url=url,
            note="Not run yet: manage.py reconcile --tenant SLUG --period YYYY-MM.",
        )
    return Panel(
        id="reconcile",
        title="Last reconciliation",
        url=url,
        figures=[
            Figure("Period", format_period(run.period), url),
            Figure(
                "Differences",
                format_count(run.differences),
                reverse("admin:commissions_reconcilerun_change", args=[run.pk]),
                tone="bad" if run.differences else "ok",
            ),
        ],
        note=f"Ran {format_datetime(run.ran_at)}.",
    )


register_home_panel("bd", 30, "commissions.earnings", "apps.commissions.admin_home.earnings_panel")
register_home_panel(
    "finance", 10, "commissions.statements", "apps.commissions.admin_home.statements_panel"
)
register_home_panel(
    "finance", 20, "commissions.payouts", "apps.commissions.admin_home.payouts_panel"
)
register_home_panel(
    "finance", 30, "commissions.reconcile", "apps.commissions.admin_home.reconcile_panel"
)
