"""The webmaster's bonus tiers during the month (issue 17): the GMV so far, the tier reached
and what it pays on the commissions so far, and how far the next tier is. The same rule as the
month's statement (``apps.commissions.services.bonus``); aggregates only."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from apps.commissions.services.bonus import bonus_progress
from apps.portal.views.webmaster import webmaster_required
from apps.tenants.clock import period_bounds, period_of, tenant_today


@webmaster_required
def bonus_progress_page(request: HttpRequest) -> HttpResponse:
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    period = period_of(today)
    start, end = period_bounds(period)
    schemes = bonus_progress(
        affiliate_id=request.affiliate.pk,  # type: ignore[attr-defined]
        start=start,
        end=today,
    )
    context = {"period": period, "today": today, "end": end, "schemes": schemes}
    return render(request, "portal/money/bonus.html", context)
