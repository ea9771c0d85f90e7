"""Reads of settlement statements (portal, API, exports)."""

import datetime
from typing import Any

from django.db.models import Count, F, Min, Prefetch, QuerySet, Sum
from django.db.models.functions import Coalesce

from apps.commissions.models import (
    Commission,
    CommissionStatus,
    Statement,
    StatementLine,
    StatementLineKind,
)
from apps.core.money import ZERO


def statement_list_for_affiliate(*, affiliate: Any) -> QuerySet[Statement]:
    """A webmaster's statements, newest period first, with their lines (two queries)."""
    lines = StatementLine.objects.select_related("commission").order_by("kind", "day", "pk")
    return (
        Statement.objects.filter(affiliate=affiliate)
        .select_related("affiliate")
        .prefetch_related(Prefetch("lines", queryset=lines))
        .order_by("-period")
    )


def statement_line_totals(statement: Statement) -> dict[str, Any]:
    """Sum of the (prefetched) lines per kind, for the statement page."""
    totals: dict[str, Any] = {}
    for line in statement.lines.all():
        totals[line.kind] = totals.get(line.kind, 0) + line.amount
    return totals


def statement_subtotals(statement: Statement) -> list[dict[str, Any]]:
    """The statement's (prefetched) lines summed per kind, commissions split by event:
    clicks and guarantee, registration commissions, order commissions, clawbacks,
    adjustments (kinds without lines are left out)."""
    labels = {
        "earning": "Clicks and guarantee",
        "registration": "Registration commissions",
        "order": "Order commissions",
        "commission": "Other commissions",
        "clawback": "Clawbacks",
        "adjustment": "Adjustments",
    }
    sums: dict[str, dict[str, Any]] = {}
    for line in statement.lines.all():
        key = line.kind
        if line.kind == StatementLineKind.COMMISSION and line.commission_id:
            commission: Any = line.commission  # not None: commission_id is set
            key = commission.event if commission.event in labels else "commission"
        entry = sums.setdefault(key, {"kind": key, "label": labels[key], "lines": 0,
                                      "amount": ZERO})  # fmt: skip
        entry["lines"] += 1
        entry["amount"] += line.amount
    return [sums[key] for key in labels if key in sums]


def commissions_not_on_statement(*, affiliate: Any, until: datetime.date) -> list[dict[str, Any]]:
    """Commissions of the webmaster up to ``until`` that no statement pays yet, by status and
    event, net of reversals: *pending* ones are locked (the lock period, or until the merchant
    confirms the order) and come on a later statement once approved; *approved* ones not on
    any statement come on the next one."""
    net = F("amount") - F("reversed_amount")
    rows = (
        Commission.objects.filter(
            affiliate=affiliate,
            day__lte=until,
            status__in=[CommissionStatus.PENDING, CommissionStatus.APPROVED],
        )
        .exclude(pk__in=StatementLine.objects.filter(commission__isnull=False).values("commission"))
        .values("status", "event")
        .annotate(count=Count("pk"), amount=Coalesce(Sum(net), ZERO), first=Min("day"))
        .order_by("status", "event")
    )
    events = dict(Commission._meta.get_field("event").choices)  # type: ignore[arg-type]
    notes = []
    for row in rows:
        if not row["amount"]:
            continue
        pending = row["status"] == CommissionStatus.PENDING
        notes.append(
            {
                **row,
                "event_label": events.get(row["event"], row["event"]),
                "note": (
                    "pending: locked until approved (lock period or the merchant's "
                    "confirmation), then on a later statement"
                    if pending
                    else "approved: on the next statement"
                ),
            }
        )
    return notes
