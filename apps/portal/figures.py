"""The webmaster portal's figures, shared by the dashboard and the earnings page (issue 15).

- ``report_range``: ``?from&to`` as tenant-local days (``apps.core.params``: a bad value is a
  ``ParameterError`` naming the parameter), by default the last 30 days;
- ``day_series``: the daily report's rows summed per day for the charts (funnel counts and the
  earnings parts), each day marked ``partial`` when it is still provisional or is today;
- ``today_status``: whether today is counted yet and as of when (the provisional roll-up);
- ``report_csv``: the funnel and earnings rows as CSV, formula-safe
  (``apps.commissions.exports.safe_cell``), amounts as plain decimals.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.http import HttpResponse

from apps.commissions.exports import safe_cell
from apps.core.money import ZERO
from apps.core.params import ParameterError, param_date
from apps.tracking.funnel import INVALID_REASONS
from apps.tracking.selectors import provisional_run_for
from apps.tracking.services.intraday import EVERY_MINUTES

DEFAULT_DAYS = 30
MAX_DAYS = 366
EARNING_PARTS = ("clicks", "guarantee_topup", "registrations", "orders")
COUNTS = ("clicks", "valid_clicks", "landings", "registrations", "orders")

CSV_HEADER = [
    "date",
    "provisional",
    "site_id",
    "site",
    "placement",
    "clicks",
    "valid_clicks",
    "invalid_clicks",
    *(f"invalid_{reason}" for reason in INVALID_REASONS),
    "landings",
    "lost_after_jump",
    "registrations",
    "orders",
    "earnings_clicks",
    "earnings_guarantee_topup",
    "earnings_registrations",
    "earnings_orders",
    "earnings_total",
    "currency",
]


def report_range(
    params: Mapping[str, Any], *, today: datetime.date
) -> tuple[datetime.date, datetime.date]:
    """``from``/``to`` (``YYYY-MM-DD``, inclusive), by default the 30 days ending today; ``from``
    after ``to`` or more than a year is refused naming ``from``."""
    date_to = param_date(params, "to", default=today) or today
    date_from = param_date(params, "from") or date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to:
        raise ParameterError("from", "from must be on or before to.")
    if (date_to - date_from).days >= MAX_DAYS:
        raise ParameterError("from", f"A range covers at most {MAX_DAYS} days; ask for less.")
    return date_from, date_to


def day_series(
    rows: Iterable[dict[str, Any]],
    *,
    date_from: datetime.date,
    date_to: datetime.date,
    today: datetime.date,
) -> list[dict[str, Any]]:
    """One entry per day of the range (days without rows are zeros), oldest first:
    ``{date, clicks, valid_clicks, landings, registrations, orders, earnings: {clicks,
    guarantee_topup, registrations, orders, total}, partial}``."""
    days: dict[datetime.date, dict[str, Any]] = {}
    day = date_from
    while day <= date_to:
        days[day] = {
            "date": day,
            **dict.fromkeys(COUNTS, 0),
            "earnings": {**dict.fromkeys(EARNING_PARTS, ZERO), "total": ZERO},
            "partial": day >= today,
        }
        day += datetime.timedelta(days=1)
    for row in rows:
        entry = days.get(row["date"])
        if entry is None:
            continue
        for name in COUNTS:
            entry[name] += row[name]
        for name, amount in row["earnings"].items():
            entry["earnings"][name] += amount
        if row.get("provisional"):
            entry["partial"] = True
    return list(days.values())


def chart_data(series: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``day_series`` as JSON for ``static/js/money.js`` (amounts as decimal strings)."""
    return [
        {
            "date": day["date"].isoformat(),
            "partial": day["partial"],
            **{name: day[name] for name in COUNTS},
            **{f"earn_{name}": str(amount) for name, amount in day["earnings"].items()},
        }
        for day in series
    ]


def totals(series: Iterable[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {
        **dict.fromkeys(COUNTS, 0),
        "earnings": {**dict.fromkeys(EARNING_PARTS, ZERO), "total": ZERO},
    }
    for day in series:
        for name in COUNTS:
            out[name] += day[name]
        for name, amount in day["earnings"].items():
            out["earnings"][name] += amount
    return out


def funnel_total(funnel: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The funnel table's totals row (the sum of its placement rows, column by column)."""
    out: dict[str, Any] = {
        **dict.fromkeys(
            ("clicks", "valid_clicks", "invalid_clicks", "landings", "lost_after_jump"), 0
        ),
        "registrations": 0,
        "orders": 0,
        "invalid_by_reason": dict.fromkeys(INVALID_REASONS, 0),
        "earnings": {**dict.fromkeys(EARNING_PARTS, ZERO), "total": ZERO},
    }
    for row in funnel:
        for name in out:
            if name == "invalid_by_reason":
                for reason in INVALID_REASONS:
                    out[name][reason] += (row.get(name) or {}).get(reason, 0)
            elif name == "earnings":
                for part, amount in row[name].items():
                    out[name][part] += amount
            else:
                out[name] += row[name]
    return out


def today_status(*, today: datetime.date) -> dict[str, Any]:
    """Today's provisional count: ``{day, counted_at (or None), every_minutes}``."""
    run = provisional_run_for(day=today)
    return {
        "day": today,
        "counted_at": run.counted_at if run is not None else None,
        "every_minutes": EVERY_MINUTES,
    }


def _amount(value: Decimal) -> str:
    return f"{value:.2f}"


def report_csv(rows: Iterable[dict[str, Any]], *, currency: str, filename: str) -> HttpResponse:
    """The daily report's rows (day x placement) as a CSV download."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for row in rows:
        reasons = row.get("invalid_by_reason") or {}
        earnings = row["earnings"]
        writer.writerow(
            [
                row["date"].isoformat(),
                "yes" if row.get("provisional") else "no",
                row["site"],
                safe_cell(row["site_name"]),
                safe_cell(row["placement"]),
                row["clicks"],
                row["valid_clicks"],
                row["invalid_clicks"],
                *(reasons.get(reason, 0) for reason in INVALID_REASONS),
                row["landings"],
                row["lost_after_jump"],
                row["registrations"],
                row["orders"],
                *(_amount(earnings[name]) for name in EARNING_PARTS),
                _amount(earnings["total"]),
                currency,
            ]
        )
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response
