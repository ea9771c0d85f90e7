"""Risk's home: invalid clicks today and over 30 days by reason, with a trend, and the
webmasters and sites with the highest invalid rates (issue 14). Three grouped queries over
``PlacementDayStats``."""

from __future__ import annotations

import datetime

from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import urlencode

from apps.core.admin_home import Figure, Panel, register_home_panel
from apps.core.charts import columns
from apps.core.display import format_count, format_share
from apps.tenants.clock import tenant_today
from apps.tracking.selectors_risk import REASONS, invalid_by_day, invalid_ranked

DAYS = 30


def _clicks_url(**query: str) -> str:
    url = reverse("admin:tracking_click_changelist")
    return url + ("?" + urlencode(query) if query else "")


def desk_url(**query: str) -> str:
    url = reverse("admin:desk-risk")
    return url + ("?" + urlencode(query) if query else "")


def invalid_panel(request: HttpRequest) -> Panel:
    tenant = request.tenant  # type: ignore[attr-defined]
    today = tenant_today(tenant)
    first = today - datetime.timedelta(days=DAYS - 1)
    days = invalid_by_day(tenant=tenant, first=first, last=today)
    today_row = days[-1]
    clicks = sum(row["clicks"] for row in days)
    invalid = sum(row["invalid"] for row in days)
    figures = [
        Figure(
            "Invalid today",
            format_share(today_row["invalid"], today_row["clicks"]),
            _clicks_url(day=today.isoformat()),
            hint=f"{format_count(today_row['invalid'])} of {format_count(today_row['clicks'])} "
            "clicks (rolled up so far today)",
        ),
        Figure(
            f"Invalid, {DAYS} days",
            format_share(invalid, clicks),
            desk_url(),
            hint=f"{format_count(invalid)} of {format_count(clicks)} clicks",
            tone="warn" if clicks and invalid * 5 > clicks else "",
        ),
    ]
    for key, label, column in REASONS:
        total = sum(row[column] for row in days)
        figures.append(
            Figure(
                label,
                f"{format_share(total, clicks)} · {format_count(total)}",
                _clicks_url(verdict__exact=key),
                hint=f"share of all clicks over {DAYS} days",
            )
        )
    chart = columns(
        [(row["day"].strftime("%m-%d"), [row["valid"], row["invalid"]]) for row in days],
        ["valid", "invalid"],
    )
    return Panel(
        id="invalid",
        title=f"Invalid clicks (last {DAYS} days)",
        url=desk_url(),
        figures=figures,
        chart=chart,
        note="From the nightly roll-ups; today's figures fill in as run_daily closes the day.",
    )


def ranked_panel(request: HttpRequest) -> Panel:
    tenant = request.tenant  # type: ignore[attr-defined]
    today = tenant_today(tenant)
    first = today - datetime.timedelta(days=DAYS - 1)
    rows = []
    for by, label, param in (("affiliate", "Webmaster", "webmaster"), ("site", "Site", "site")):
        for row in invalid_ranked(tenant=tenant, first=first, last=today, by=by):
            rows.append(
                {
                    "cells": [
                        f"{label}: {row['name']}",
                        format_share(row["invalid"], row["clicks"]),
                        format_count(row["clicks"]),
                    ],
                    "url": desk_url(**{param: str(row["id"])}),
                    "bar": None,
                }
            )
    return Panel(
        id="ranked",
        title=f"Highest invalid rates ({DAYS} days)",
        url=desk_url(),
        columns=["", "Invalid", "Clicks"],
        rows=rows,
        empty="No webmaster or site had 100 clicks in the window.",
    )


register_home_panel("risk", 10, "tracking.invalid", "apps.tracking.admin_home.invalid_panel")
register_home_panel("risk", 20, "tracking.ranked", "apps.tracking.admin_home.ranked_panel")
