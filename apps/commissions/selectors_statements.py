"""Reads of settlement statements (portal, API, exports)."""

from typing import Any

from django.db.models import Prefetch, QuerySet

from apps.commissions.models import Statement, StatementLine


def statement_list_for_affiliate(*, affiliate: Any) -> QuerySet[Statement]:
    """A webmaster's statements, newest period first, with their lines (two queries)."""
    lines = StatementLine.objects.order_by("kind", "day", "pk")
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
