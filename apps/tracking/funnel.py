"""The funnel's columns, defined once (issue 13; DESIGN.md rule 3; docs/funnel.md).

The webmaster portal, ``GET /api/v1/reports/daily`` and the back office all build a funnel row
with ``funnel_row`` from a day's roll-up (``PlacementDayStats`` or ``PlacementSubDayStats``),
so a column means the same everywhere:

- ``clicks``: every click recorded on the placement that day;
- ``valid_clicks``: clicks classified valid by ``run_daily`` (the ones that are paid);
- ``invalid_clicks = clicks - valid_clicks`` (bots, repeats, over the address cap, own clicks,
  on the tenant's block list); ``invalid_by_reason`` splits them by ``run_daily``'s verdict
  where the roll-up keeps reasons, one key per invalid verdict, so
  ``invalid_clicks == sum(invalid_by_reason.values())`` on a closed day;
- ``landings``: *valid* clicks whose visitor reached the merchant's page (``/px/land``); an
  invalid click's landing is not a landing of the funnel (it could never be paid);
- ``lost_after_jump = valid_clicks - landings``: valid visitors sent to the merchant whose
  landing was never seen; never negative, and it adds up over days and placements;
- ``registrations``, ``orders``: conversions attributed to the placement on that day;
- ``orders_on_invalid_clicks``: of those orders, the ones whose click ``run_daily`` found
  invalid: attributed (the merchant sees them) but earning no commission (issue 21);
  ``orders_on_invalid_clicks_by_reason`` says why (bot, duplicate, ...).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count

#: funnel count columns in display order, with what each means (the portal's header titles)
FUNNEL_COLUMNS: dict[str, str] = {
    "clicks": "Every click recorded",
    "valid_clicks": "Clicks classified valid (paid)",
    "invalid_clicks": "Clicks minus valid clicks",
    "landings": "Valid clicks whose visitor reached the merchant's page",
    "lost_after_jump": "Valid clicks minus landings",
    "registrations": "Registrations attributed that day",
    "orders": "Orders attributed that day",
    "orders_on_invalid_clicks": "Orders on clicks found invalid: attributed, not paid",
}
#: the invalid verdicts of ``ClickVerdict`` (all but valid and unclassified), in display order;
#: every list of reasons (portal, CSV, API) iterates this, so a new verdict is added here once
INVALID_REASONS = ("bot", "duplicate", "ip_cap", "self", "blocked")


def funnel_row(
    stat: Any, *, with_reasons: bool = True, invalid_orders: dict[str, int] | None = None
) -> dict[str, Any]:
    """The funnel columns of one roll-up row (``PlacementDayStats``-like); ``invalid_orders``
    are that placement-day's orders on invalid clicks by verdict
    (``orders_on_invalid_clicks``)."""
    invalid_orders = invalid_orders or {}
    valid = stat.valid_clicks
    landings = min(stat.landings, valid)  # rows rolled up before landings were valid-only
    row: dict[str, Any] = {
        "clicks": stat.clicks,
        "valid_clicks": valid,
        "invalid_clicks": max(0, stat.clicks - valid),
        "invalid_by_reason": (
            {
                "bot": stat.bot_clicks,
                "duplicate": stat.duplicate_clicks,
                "ip_cap": stat.ip_cap_clicks,
                "self": stat.self_clicks,
                "blocked": stat.blocked_clicks,  # the risk desk's block list (issue 14)
            }
            if with_reasons
            else None
        ),
        "landings": landings,
        "lost_after_jump": valid - landings,
        "registrations": stat.registrations,
        "orders": stat.orders,
        "orders_on_invalid_clicks": sum(invalid_orders.values()),
        "orders_on_invalid_clicks_by_reason": dict(invalid_orders),
    }
    return row


def orders_on_invalid_clicks(**filters: Any) -> dict[tuple[int, Any], dict[str, int]]:
    """``{(placement_id, day): {verdict: orders}}`` of the orders (``Conversion`` filters, e.g.
    ``affiliate=, day__gte=, day__lte=``) whose click was found invalid."""
    from apps.tracking.models import ClickVerdict, Conversion, ConversionType

    out: dict[tuple[int, Any], dict[str, int]] = {}
    rows = (
        Conversion.objects.filter(type=ConversionType.ORDER, **filters)
        .exclude(status="cancelled")
        .exclude(click__verdict__in=[ClickVerdict.VALID, ClickVerdict.UNCLASSIFIED])
        .filter(click__isnull=False)
        .values_list("placement_id", "day", "click__verdict")
        .annotate(n=Count("id"))
        .order_by()
    )
    for placement_id, day, verdict, n in rows:
        out.setdefault((placement_id, day), {})[verdict] = n
    return out


def funnel_zero() -> dict[str, int]:
    return dict.fromkeys(FUNNEL_COLUMNS, 0)


def funnel_adds_up(row: dict[str, Any]) -> bool:
    """The funnel's own arithmetic holds for ``row`` (a day or a sum of days): where the row
    has reasons, ``clicks == valid_clicks + sum(invalid_by_reason)``."""
    reasons = row.get("invalid_by_reason")
    return (
        row["invalid_clicks"] == row["clicks"] - row["valid_clicks"]
        and row["lost_after_jump"] == row["valid_clicks"] - row["landings"]
        and 0 <= row["landings"] <= row["valid_clicks"] <= row["clicks"]
        and (reasons is None or sum(reasons.values()) == row["invalid_clicks"])
    )
