"""Tracking's reconciliation checks (``manage.py reconcile``; ``apps.core.reconcile``)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal

from django.db.models import Count, F, Sum

from apps.core.reconcile import Difference
from apps.tenants.clock import period_bounds
from apps.tracking.models import Conversion, ConversionStatus, ConversionType
from apps.tracking.services.conversions import LINE_ROUNDING


def order_lines(*, period: str) -> Iterator[Difference]:
    """Orders of the period whose lines, net of their refunded share, add up to more than the
    order's GMV (amount less refunds; 0 once cancelled), beyond a cent per line (issue 22).
    New orders are refused so (``conversions_record``) and refunds shrink lines with the
    order, so this reports orders accepted before the rule, or lines written behind the
    services' back."""
    first, last = period_bounds(period)
    rows = (
        Conversion.objects.filter(type=ConversionType.ORDER, day__range=(first, last))
        .annotate(
            lines=Count("items"),
            lines_net=Sum(F("items__amount") - F("items__refunded_amount")),
        )
        .filter(lines__gt=0)
        .values_list("pk", "external_id", "day", "status", "amount", "refund_amount", "lines",
                     "lines_net")
        .order_by("day", "pk")
    )  # fmt: skip
    for pk, external_id, day, status, amount, refund, lines, lines_net in rows.iterator():
        if status == ConversionStatus.CANCELLED:
            allowed = Decimal("0.00")
        else:
            allowed = (amount or Decimal("0.00")) - refund + LINE_ROUNDING * lines
        if lines_net > allowed:
            yield Difference(
                check="tracking.order_lines",
                where=f"order {external_id} (#{pk}), {day}",
                figure="order lines net of refunds",
                expected=f"at most {allowed}",
                found=lines_net,
                detail="the lines add up to more than the order's GMV",
            )
