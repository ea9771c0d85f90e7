"""The webmaster portal's money pages: funnel and earnings, site weights, statements.

Access through onboarding's :func:`webmaster_required` (the signed-in user's webmaster profile in
the request's tenant); every object is looked up among that webmaster's own rows, so another
webmaster's or tenant's id is a 404. Aggregates only (DESIGN.md rule 3): the pages read the
daily report selector and the statements, never a merchant's order records.
"""

import datetime
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from apps.commissions.selectors_reports import (
    INVALID_REASONS,
    commission_status_split,
    daily_report,
    earnings_by_day,
    funnel_by_placement,
)
from apps.commissions.selectors_statements import (
    commissions_not_on_statement,
    statement_line_totals,
    statement_list_for_affiliate,
    statement_subtotals,
)
from apps.core.money import ZERO
from apps.portal.views.webmaster import webmaster_required
from apps.sites.models import Placement, Site
from apps.sites.selectors import site_list_for_affiliate
from apps.tenants.clock import tenant_today

DEFAULT_DAYS = 30
MAX_DAYS = 366


def _date(value: str | None, default: datetime.date) -> datetime.date:
    try:
        return datetime.date.fromisoformat(value) if value else default
    except ValueError:
        return default


def _range(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    """``from``/``to`` of the query (tenant-local days), by default the last 30 days; a range
    longer than a year is cut to a year before ``to``."""
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    date_to = _date(request.GET.get("to"), today)
    date_from = _date(request.GET.get("from"), date_to - datetime.timedelta(days=DEFAULT_DAYS - 1))
    if date_from > date_to:
        date_from, date_to = date_to, date_from
    if (date_to - date_from).days >= MAX_DAYS:
        date_from = date_to - datetime.timedelta(days=MAX_DAYS - 1)
    return date_from, date_to


@webmaster_required
def earnings(request: HttpRequest) -> HttpResponse:
    """The funnel per site and placement and the earnings by day for a date range."""
    affiliate = request.affiliate  # type: ignore[attr-defined]
    date_from, date_to = _range(request)
    sites = list(site_list_for_affiliate(affiliate=affiliate))
    site = placement = None
    if request.GET.get("site"):
        site = next((s for s in sites if str(s.pk) == request.GET["site"]), None)
        if site is None:
            raise Http404
    if request.GET.get("placement"):
        placement = Placement.objects.filter(
            site__affiliate=affiliate, code=request.GET["placement"]
        ).first()
        if placement is None:
            raise Http404
    rows = daily_report(
        affiliate=affiliate, date_from=date_from, date_to=date_to, site=site, placement=placement
    )
    funnel = funnel_by_placement(rows)
    days = earnings_by_day(rows)
    chart = [
        {
            "date": day["date"].isoformat(),
            "clicks": day["clicks"],
            "guarantee_topup": day["guarantee_topup"],
            "registrations": day["registrations"],
            "orders": day["orders"],
            "total": day["total"],
        }
        for day in days
    ]
    context: dict[str, Any] = {
        "date_from": date_from,
        "date_to": date_to,
        "sites": sites,
        "site": site,
        "placement": placement,
        "funnel": funnel,
        "days": days,
        "chart": chart,
        "invalid_reasons": INVALID_REASONS,
        "total": sum((day["total"] for day in days), start=ZERO),
        "commission_split": commission_status_split(
            affiliate=affiliate, date_from=date_from, date_to=date_to
        ),
    }
    return render(request, "portal/money/earnings.html", context)


@webmaster_required
def weights(request: HttpRequest) -> HttpResponse:
    """Each site's nightly weight (1-10, DESIGN.md rule 4); campaigns may ask for a minimum."""
    sites: list[Site] = list(site_list_for_affiliate(affiliate=request.affiliate))  # type: ignore[attr-defined]
    return render(request, "portal/money/weights.html", {"sites": sites})


@webmaster_required
def statements(request: HttpRequest) -> HttpResponse:
    rows = list(statement_list_for_affiliate(affiliate=request.affiliate))  # type: ignore[attr-defined]
    return render(request, "portal/money/statements.html", {"statements": rows})


def _statement(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(
        statement_list_for_affiliate(affiliate=request.affiliate),  # type: ignore[attr-defined]
        pk=pk,
    )


@webmaster_required
def statement_detail(request: HttpRequest, pk: int) -> HttpResponse:
    statement = _statement(request, pk)
    return render(request, "portal/money/statement_detail.html", _statement_context(statement))


@webmaster_required
def statement_print(request: HttpRequest, pk: int) -> HttpResponse:
    """A printable statement (print CSS; the browser's "Save as PDF" makes the PDF)."""
    statement = _statement(request, pk)
    return render(request, "portal/money/statement_print.html", _statement_context(statement))


def _statement_context(statement: Any) -> dict[str, Any]:
    """The statement, its subtotals per kind (commissions by event) and the commissions up to
    its last day that it does not pay (pending or not yet on a statement), with amounts."""
    return {
        "statement": statement,
        "kind_totals": statement_line_totals(statement),
        "subtotals": statement_subtotals(statement),
        "not_on_statement": commissions_not_on_statement(
            affiliate=statement.affiliate, until=statement.period_end
        ),
    }
