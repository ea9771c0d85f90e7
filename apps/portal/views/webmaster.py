"""The webmaster portal: dashboard, sites, placements and ad code, contracts, API keys.

Every view goes through :func:`webmaster_required`, which finds the signed-in user's webmaster
profile in the request's tenant (another network's profile does not count) and looks objects up
only among that profile's own rows, so another webmaster's or tenant's id is a 404.
"""

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.affiliates.errors import AffiliateError
from apps.affiliates.forms import AffiliateProfileForm
from apps.affiliates.models import Affiliate
from apps.affiliates.selectors import affiliate_for_user
from apps.affiliates.services import (
    affiliate_ip_record,
    affiliate_profile_update,
    affiliate_signup,
)
from apps.api.models import AFFILIATE_SCOPES, ApiKey
from apps.api.services import api_key_create, api_key_revoke
from apps.commissions.selectors_reports import daily_report, funnel_by_placement
from apps.commissions.selectors_statements import statement_list_for_affiliate
from apps.core.clientip import client_ip
from apps.core.display import format_money, format_period
from apps.core.errors import DomainError
from apps.core.money import ZERO
from apps.disputes.selectors import dispute_list
from apps.portal.figures import chart_data, day_series, funnel_total, today_status
from apps.sites import verification
from apps.sites.models import PlacementPosition
from apps.sites.selectors import (
    ad_code_for,
    click_url_template_for,
    contract_list_for_affiliate,
    placement_is_live,
    placement_list_for_affiliate,
    placement_list_for_site,
    site_list_for_affiliate,
)
from apps.sites.services import placement_create, site_register, site_verification_request
from apps.tenants.clock import tenant_now, tenant_today

View = Callable[..., HttpResponse]


def base_url_of(request: HttpRequest) -> str:
    """Scheme and host the webmaster reached us on: the ad code points at the same host."""
    return f"{request.scheme}://{request.get_host()}"


def webmaster_required(view: View) -> View:
    """Sign-in required, and a webmaster profile in the request's tenant; sets
    ``request.affiliate`` and ``request.portal_role`` and records the address used."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "tenant", None) is None:
            raise Http404("The webmaster portal lives on a network's host.")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        affiliate = affiliate_for_user(user=request.user)
        if affiliate is None:
            return redirect("portal:home")
        request.affiliate = affiliate  # type: ignore[attr-defined]
        request.portal_role = "webmaster"  # type: ignore[attr-defined]
        affiliate_ip_record(affiliate=affiliate, ip=client_ip(request))
        return view(request, *args, **kwargs)

    return wrapper


def _affiliate(request: HttpRequest) -> Affiliate:
    return request.affiliate


def _error(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- forms (input parsing only; the rules are in the services) ----------------------------


class SiteForm(forms.Form):
    url = forms.URLField(label="Site address", max_length=500, assume_scheme="https")
    name = forms.CharField(max_length=150)
    category = forms.CharField(max_length=60, required=False)


class PlacementForm(forms.Form):
    position = forms.ChoiceField(choices=PlacementPosition.choices)
    name = forms.CharField(max_length=150, required=False, label="Label (optional)")


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, label="Label (optional)")
    scopes = forms.MultipleChoiceField(
        choices=[(s, s) for s in AFFILIATE_SCOPES],
        initial=AFFILIATE_SCOPES,
        widget=forms.CheckboxSelectMultiple,
    )


# --- pages ---------------------------------------------------------------------------------


@webmaster_required
def dashboard(request: HttpRequest) -> HttpResponse:
    """Today's and this month's earnings, today's funnel so far (provisional, issue 15), the
    30-day chart, the top placements and what needs the webmaster's action."""
    affiliate = _affiliate(request)
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    month_start = today.replace(day=1)
    chart_from = today - datetime.timedelta(days=CHART_DAYS - 1)
    sites = list(site_list_for_affiliate(affiliate=affiliate))
    placements = list(placement_list_for_affiliate(affiliate=affiliate))
    rows = daily_report(affiliate=affiliate, date_from=min(month_start, chart_from), date_to=today)
    series = day_series(
        [r for r in rows if r["date"] >= chart_from],
        date_from=chart_from,
        date_to=today,
        today=today,
    )
    today_rows = [r for r in rows if r["date"] == today]
    month_rows = [r for r in rows if r["date"] >= month_start]
    top = sorted(
        funnel_by_placement([r for r in rows if r["date"] >= chart_from]),
        key=lambda r: (-r["earnings"]["total"], -r["valid_clicks"], r["placement"]),
    )[:TOP_PLACEMENTS]
    context = {
        "affiliate": affiliate,
        "sites": sites,
        "site_count": len(sites),
        "verified_count": sum(1 for s in sites if s.is_verified),
        "approved_site_count": sum(1 for s in sites if s.status == "approved"),
        "placement_count": len(placements),
        "live_count": sum(1 for p in placements if placement_is_live(placement=p)),
        "today": today,
        "today_funnel": funnel_total(funnel_by_placement(today_rows)),
        "today_status": today_status(today=today),
        "month_earnings": sum((r["earnings"]["total"] for r in month_rows), start=ZERO),
        "month_start": month_start,
        "chart": chart_data(series),
        "chart_from": chart_from,
        "top_placements": top,
        "actions": _actions(affiliate=affiliate, sites=sites),
        # Other areas (earnings, reports) add their cards here.
        "extra_cards": [],
    }
    return render(request, "portal/webmaster/dashboard.html", context)


CHART_DAYS = 30
TOP_PLACEMENTS = 5
#: how long a decided dispute or a new statement stays on the dashboard's "needs action"
RECENT_DAYS = 30


def _actions(*, affiliate: Affiliate, sites: list[Any]) -> list[dict[str, str]]:
    """What needs the webmaster: sites to verify, statements to download (approved or paid in
    the last 30 days), disputes the merchant answered in the last 30 days."""
    actions = [
        {
            "kind": "verify",
            "text": f"Verify {site.name}: prove you own it before it can be approved.",
            "url": reverse("portal:webmaster-site", args=[site.pk]),
            "link": "Verify",
        }
        for site in sites
        if not site.is_verified
    ]
    since = tenant_now() - datetime.timedelta(days=RECENT_DAYS)
    for statement in statement_list_for_affiliate(affiliate=affiliate).filter(
        status__in=["approved", "paid"], approved_at__gte=since
    )[:3]:
        actions.append(
            {
                "kind": "statement",
                "text": f"Statement for {format_period(statement.period)} is "
                f"{statement.get_status_display().lower()}: {format_money(statement.total)}.",
                "url": reverse("portal:webmaster-statement-print", args=[statement.pk]),
                "link": "Download",
            }
        )
    for dispute in dispute_list(affiliate=affiliate).filter(decided_at__gte=since)[:5]:
        actions.append(
            {
                "kind": "dispute",
                "text": f"Dispute on order {dispute.order_reference} ({dispute.merchant.name}) "
                f"was {dispute.get_status_display().lower()}"
                + (f": {dispute.decision_reason}" if dispute.decision_reason else "."),
                "url": reverse("portal:webmaster-disputes"),
                "link": "See",
            }
        )
    return actions


@webmaster_required
def sites(request: HttpRequest) -> HttpResponse:
    affiliate = _affiliate(request)
    form = SiteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            site = site_register(affiliate=affiliate, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"{site.name} is registered. Prove you own it with the steps below."
            )
            return redirect("portal:webmaster-site", pk=site.pk)
    context = {
        "affiliate": affiliate,
        "sites": site_list_for_affiliate(affiliate=affiliate),
        "form": form,
    }
    return render(request, "portal/webmaster/sites.html", context, status=_status(form))


def _status(form: forms.Form) -> int:
    return 400 if form.is_bound and form.errors else 200


@webmaster_required
def site_detail(request: HttpRequest, pk: int) -> HttpResponse:
    affiliate = _affiliate(request)
    site = get_object_or_404(site_list_for_affiliate(affiliate=affiliate), pk=pk)
    form = PlacementForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            placement = placement_create(site=site, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Placement {placement.code} created.")
            return redirect("portal:webmaster-site", pk=site.pk)
    base_url = base_url_of(request)
    rows = [
        {
            "placement": p,
            "ad_code": ad_code_for(placement=p, base_url=base_url),
            "click_url_template": click_url_template_for(placement=p, base_url=base_url),
            "contracts": p.contract_list,
        }
        for p in placement_list_for_site(site=site)
    ]
    context = {
        "affiliate": affiliate,
        "site": site,
        "meta_tag": verification.meta_tag(site.verification_token),
        "file_url": verification.file_url(site.url),
        "rows": rows,
        "form": form,
    }
    return render(request, "portal/webmaster/site_detail.html", context, status=_status(form))


@require_POST
@webmaster_required
def site_verify_now(request: HttpRequest, pk: int) -> HttpResponse:
    site = get_object_or_404(site_list_for_affiliate(affiliate=_affiliate(request)), pk=pk)
    site_verification_request(site=site)
    messages.success(
        request, "We are checking your site now; refresh this page in a moment for the result."
    )
    return redirect("portal:webmaster-site", pk=site.pk)


@webmaster_required
def placements(request: HttpRequest) -> HttpResponse:
    affiliate = _affiliate(request)
    base_url = base_url_of(request)
    rows = [
        {
            "placement": p,
            "ad_code": ad_code_for(placement=p, base_url=base_url),
            "click_url_template": click_url_template_for(placement=p, base_url=base_url),
        }
        for p in placement_list_for_affiliate(affiliate=affiliate)
    ]
    return render(
        request, "portal/webmaster/placements.html", {"affiliate": affiliate, "rows": rows}
    )


@webmaster_required
def contracts(request: HttpRequest) -> HttpResponse:
    affiliate = _affiliate(request)
    return render(
        request,
        "portal/webmaster/contracts.html",
        {"affiliate": affiliate, "contracts": contract_list_for_affiliate(affiliate=affiliate)},
    )


@webmaster_required
def api_keys(request: HttpRequest) -> HttpResponse:
    affiliate = _affiliate(request)
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = api_key_create(
                affiliate=affiliate,
                scopes=form.cleaned_data["scopes"],
                name=form.cleaned_data["name"],
                created_by=request.user,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            form = ApiKeyForm()
    keys = ApiKey.objects.filter(affiliate=affiliate).order_by("revoked_at", "-created_at")
    context = {"affiliate": affiliate, "form": form, "keys": keys, "issued": issued}
    response = render(request, "portal/webmaster/api_keys.html", context, status=_status(form))
    if issued is not None:
        response["Cache-Control"] = "no-store"  # the key is shown once; never cache it
    return response


@require_POST
@webmaster_required
def api_key_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    api_key = get_object_or_404(ApiKey.objects.filter(affiliate=_affiliate(request)), pk=pk)
    api_key_revoke(api_key=api_key)
    messages.success(request, f"Key {api_key.prefix} is revoked; it stops working at once.")
    return redirect("portal:webmaster-api-keys")


@webmaster_required
def profile(request: HttpRequest) -> HttpResponse:
    affiliate = _affiliate(request)
    # The form works on a copy: the service, not the form, writes the profile.
    draft = Affiliate.objects.get(pk=affiliate.pk)
    form = AffiliateProfileForm(request.POST or None, instance=draft)
    if request.method == "POST" and form.is_valid():
        changes = {f: form.cleaned_data[f] for f in AffiliateProfileForm.Meta.fields}
        try:
            affiliate_profile_update(affiliate=affiliate, actor=request.user, **changes)
        except AffiliateError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Your details are saved.")
            return redirect("portal:webmaster-profile")
    return render(
        request,
        "portal/webmaster/profile.html",
        {"affiliate": affiliate, "form": form},
        status=_status(form),
    )


@require_POST
def join(request: HttpRequest) -> HttpResponse:
    """A signed-in person with a verified address joins this network as a webmaster (their
    account may have been made on another network's host)."""
    if getattr(request, "tenant", None) is None:
        raise Http404
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("portal:home"))
    from allauth.account.models import EmailAddress

    if not EmailAddress.objects.filter(
        user=request.user, email__iexact=request.user.email, verified=True
    ).exists():
        messages.error(request, "Verify your email address first.")
        return redirect("portal:home")
    try:
        affiliate_signup(user=request.user, name=request.POST.get("name", "").strip())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:home")
    messages.success(request, "Welcome! Your application is waiting for review.")
    return redirect("portal:webmaster-dashboard")
