"""The webmaster portal's money pages: funnel and earnings, site weights, statements.

Access through onboarding's :func:`webmaster_required` (the signed-in user's webmaster profile in
the request's tenant); every object is looked up among that webmaster's own rows, so another
webmaster's or tenant's id is a 404. Aggregates only (DESIGN.md rule 3): the pages read the
daily report selector and the statements, never a merchant's order records.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from apps.commissions.selectors_reports import (
    INVALID_REASONS,
    commission_status_split,
    daily_report,
    funnel_by_placement,
)
from apps.commissions.selectors_statements import (
    commissions_not_on_statement,
    statement_line_totals,
    statement_list_for_affiliate,
    statement_subtotals,
)
from apps.core.money import ZERO
from apps.core.params import ParameterError, param_int, param_text
from apps.portal.figures import (
    chart_data,
    day_series,
    funnel_total,
    report_csv,
    report_range,
    today_status,
)
from apps.portal.views.webmaster import webmaster_required
from apps.sites.models import Placement, Site
from apps.sites.selectors import site_list_for_affiliate
from apps.tenants.clock import tenant_today


def _filters(request: HttpRequest, affiliate: Any, sites: list[Site]) -> tuple[Any, Any]:
    """``?site`` (an id of one of the webmaster's sites) and ``?placement`` (a code of one of
    theirs); anything else is a 404, like another webmaster's object."""
    site = placement = None
    try:
        site_id = param_int(request.GET, "site", minimum=1)
        code = param_text(request.GET, "placement", max_length=40)
    except ParameterError as exc:
        raise Http404(exc.message) from None
    if site_id is not None:
        site = next((s for s in sites if s.pk == site_id), None)
        if site is None:
            raise Http404
    if code is not None:
        placement = Placement.objects.filter(site__affiliate=affiliate, code=code).first()
        if placement is None:
            raise Http404
    return site, placement


def _report(request: HttpRequest) -> tuple[dict[str, Any], int]:
    """The earnings page's and its CSV's rows for the query, and the status to answer: 400
    with the message when ``from``/``to`` are bad (the default range is shown instead)."""
    affiliate = request.affiliate  # type: ignore[attr-defined]
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    status, error = 200, ""
    try:
        date_from, date_to = report_range(request.GET, today=today)
    except ParameterError as exc:
        status, error = 400, exc.message
        date_from, date_to = report_range({}, today=today)
    sites = list(site_list_for_affiliate(affiliate=affiliate))
    site, placement = _filters(request, affiliate, sites)
    rows = daily_report(
        affiliate=affiliate, date_from=date_from, date_to=date_to, site=site, placement=placement
    )
    return {
        "affiliate": affiliate,
        "today": today,
        "date_from": date_from,
        "date_to": date_to,
        "sites": sites,
        "site": site,
        "placement": placement,
        "rows": rows,
        "error": error,
    }, status


@webmaster_required
def earnings(request: HttpRequest) -> HttpResponse:
    """The funnel per site and placement and the earnings by day for a date range; today's
    figures are provisional (issue 15), the CSV link downloads the same rows."""
    context, status = _report(request)
    rows = context.pop("rows")
    series = day_series(
        rows, date_from=context["date_from"], date_to=context["date_to"], today=context["today"]
    )
    funnel = funnel_by_placement(rows)
    context.update(
        funnel=funnel,
        funnel_totals=funnel_total(funnel),
        days=[day for day in series if day["earnings"]["total"] or day["clicks"]],
        chart=chart_data(series),
        invalid_reasons=INVALID_REASONS,
        total=sum((day["earnings"]["total"] for day in series), start=ZERO),
        has_partial=any(day["partial"] for day in series),
        today_status=today_status(today=context["today"]),
        csv_query=urlencode(
            {key: value for key, value in request.GET.items() if key in CSV_KEYS and value}
        ),
        commission_split=commission_status_split(
            affiliate=context["affiliate"],
            date_from=context["date_from"],
            date_to=context["date_to"],
        ),
    )
    if context["error"]:
        messages.error(request, f"{context['error']} Showing the last 30 days.")
    return render(request, "portal/money/earnings.html", context, status=status)


CSV_KEYS = ("from", "to", "site", "placement")


@webmaster_required
def earnings_csv(request: HttpRequest) -> HttpResponse:
    """The funnel and earnings per day and placement for any range (the page's query), as
    CSV: the rows ``/reports/daily`` answers, today's marked provisional."""
    context, status = _report(request)
    if status != 200:
        return HttpResponse(context["error"], status=status, content_type="text/plain")
    name = f"earnings-{context['date_from']:%Y%m%d}-{context['date_to']:%Y%m%d}.csv"
    return report_csv(
        context["rows"],
        currency=request.tenant.currency,  # type: ignore[attr-defined]
        filename=name,
    )


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
