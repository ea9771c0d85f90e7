"""The merchant portal: dashboard, products, campaigns (with the three-step full-site setup),
performance with a chart, and the merchant's deep-link domains.

Every view goes through :func:`merchant_portal_required`, which finds the signed-in user's active
merchant user in the request's tenant and looks objects up only among that merchant's rows, so
another merchant's or tenant's id is a 404. Views parse input and call one service; the rules
(quota, exclusivity, target ROI, tiers) live in ``apps.campaigns.services``.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from decimal import Decimal, InvalidOperation
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from apps.campaigns.lifecycle import ADVICE
from apps.campaigns.models import (
    Campaign,
    CampaignStatus,
    CampaignType,
    LifecycleStage,
    Merchant,
    MerchantDomain,
    MerchantUser,
    PhaseKind,
    Product,
)
from apps.campaigns.selectors.campaigns import (
    active_plan_count,
    campaign_list,
    campaign_products,
)
from apps.campaigns.selectors.eligibility import full_site_candidates, plan_quota_refusal
from apps.campaigns.selectors.products import product_list
from apps.campaigns.services.campaigns import campaign_create, campaign_transition
from apps.campaigns.services.merchants import (
    merchant_domain_verification_request,
    merchant_domains_set,
)
from apps.campaigns.services.phases import MAX_PHASES, PHASED_TYPES, campaign_phases_set
from apps.campaigns.services.products import roi_tiers
from apps.core import display
from apps.core.errors import DomainError
from apps.core.money import roi
from apps.growth.forecast import Forecast, ForecastInputs, forecast_inputs, product_forecast
from apps.growth.phases import campaign_phase_performance
from apps.portal.figures import today_status
from apps.tenants.clock import tenant_today
from apps.tracking.performance import (
    campaign_daily_series,
    campaign_performance,
    merchant_campaign_performance,
    merchant_daily_series,
    merchant_today_provisional,
)

View = Callable[..., HttpResponse]
WIZARD_KEY = "merchant_full_site_wizard"
DEFAULT_DAYS = 30


def merchant_portal_required(view: View) -> View:
    """Sign-in required, and an active merchant user (of an active merchant) in the request's
    tenant; sets ``request.merchant`` and ``request.portal_role = "merchant"``, and runs the
    view in the tenant's time zone."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if getattr(request, "tenant", None) is None:
            raise Http404("The merchant portal lives on a network's host.")
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        link = (
            MerchantUser.objects.select_related("merchant")
            .filter(user=request.user, is_active=True, merchant__is_active=True)
            .first()
        )
        if link is None:
            return redirect("portal:home")
        request.merchant = link.merchant  # type: ignore[attr-defined]
        request.portal_role = "merchant"  # type: ignore[attr-defined]
        # Times typed into forms and shown on pages are the network's local time.
        with timezone.override(request.tenant.zone):  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

    return wrapper


def _merchant(request: HttpRequest) -> Merchant:
    return request.merchant


def _today(request: HttpRequest) -> datetime.date:
    return tenant_today(request.tenant)  # type: ignore[attr-defined]


def _window(request: HttpRequest) -> tuple[datetime.date, datetime.date]:
    """``?from&to`` (tenant-local days, inclusive); default the last 30 days."""
    today = _today(request)
    try:
        date_to = (
            datetime.date.fromisoformat(request.GET.get("to", ""))
            if request.GET.get("to")
            else today
        )
        date_from = (
            datetime.date.fromisoformat(request.GET["from"])
            if request.GET.get("from")
            else date_to - datetime.timedelta(days=DEFAULT_DAYS - 1)
        )
    except ValueError:
        messages.error(request, "Dates are YYYY-MM-DD; showing the last 30 days.")
        date_to, date_from = today, today - datetime.timedelta(days=DEFAULT_DAYS - 1)
    if date_from > date_to or (date_to - date_from).days > 366:
        messages.error(request, "Choose a window of at most 366 days, 'from' before 'to'.")
        date_to, date_from = today, today - datetime.timedelta(days=DEFAULT_DAYS - 1)
    return date_from, date_to


def _label_zone(request: HttpRequest, form: forms.Form) -> forms.Form:
    """Times typed in are the network's local time: say so, with the zone named."""
    tenant = request.tenant  # type: ignore[attr-defined]
    label = display.zone_label(timezone.now().astimezone(tenant.zone))
    for name in ("starts_at", "ends_at"):
        if name in form.fields:
            form.fields[name].help_text = f"Network time: {tenant.timezone} ({label})."
    return form


def _campaign_or_404(request: HttpRequest, pk: int) -> Campaign:
    return get_object_or_404(campaign_list(merchant=_merchant(request)), pk=pk)


# --- the chart (server-rendered SVG: no script, no CDN) ------------------------------------

CHART_WIDTH = 720
CHART_HEIGHT = 160
CHART_PAD = 28


def _panel(
    series: Sequence[dict[str, Any]],
    *,
    key: str,
    title: str,
    kind: str,
    unit: str,
    reference: Decimal | None = None,
) -> dict[str, Any]:
    """One chart of one series on its own scale (issue 15: spend of about 25 a day drawn beside
    GMV of about 5,000 on one axis was a flat line): bars or a line, its top value labelled
    with its unit, and an optional dashed reference line (the target ROI)."""
    values = [row[key] for row in series]
    known = [value for value in values if value is not None]
    top = max([*known, *([reference] if reference else []), Decimal(0)])
    top = top if top > 0 else Decimal(1)
    inner_w = CHART_WIDTH - 2 * CHART_PAD
    inner_h = CHART_HEIGHT - 2 * CHART_PAD
    baseline = Decimal(CHART_PAD + inner_h)
    step = Decimal(inner_w) / Decimal(max(len(series), 1))
    bars, points = [], []
    for index, (row, value) in enumerate(zip(series, values, strict=True)):
        x = Decimal(CHART_PAD) + step * index
        label = f"{row['day']:%Y-%m-%d}: {title.lower()} " + (
            "—" if value is None else (display.format_roi(value) if unit == "ROI"
                                       else display.format_money(value))
        )  # fmt: skip
        if value is None:
            continue
        height = Decimal(inner_h) * value / top
        if kind == "bars":
            bars.append({
                "x": round(x + step * Decimal("0.15"), 1),
                "y": round(baseline - height, 1),
                "w": round(step * Decimal("0.7"), 1),
                "h": round(height, 1),
                "label": label,
            })  # fmt: skip
        else:
            points.append(f"{round(x + step / 2, 1)},{round(baseline - height, 1)}")
    reference_y = round(baseline - Decimal(inner_h) * reference / top, 1) if reference else None
    return {
        "key": key,
        "title": title,
        "kind": kind,
        "top_label": display.format_roi(top) if unit == "ROI" else display.format_money(top),
        "bars": bars,
        "points": " ".join(points),
        "reference": reference,
        "reference_y": reference_y,
    }


def spend_gmv_chart(
    series: Sequence[dict[str, Any]], *, target_roi: Decimal | None = None
) -> dict[str, Any]:
    """Three charts of the same days, each series on its own scale: daily spend (bars), daily
    GMV (a line), and ROI per day (``apps.core.money.roi``, a line; days without spend have
    none) against the target ROI (a dashed line) when the plan has one."""
    return {
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "pad": CHART_PAD,
        "baseline": CHART_HEIGHT - CHART_PAD,
        "right": CHART_WIDTH - CHART_PAD,
        "panels": [
            _panel(series, key="spend", title="Spend", kind="bars", unit="money"),
            _panel(series, key="gmv", title="GMV", kind="line", unit="money"),
            _panel(series, key="roi", title="ROI", kind="line", unit="ROI", reference=target_roi),
        ],
        "target_roi": target_roi,
        "first_day": series[0]["day"] if series else None,
        "last_day": series[-1]["day"] if series else None,
    }


# --- dashboard, products ---------------------------------------------------------------------


@merchant_portal_required
def dashboard(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    date_from, date_to = (
        _today(request) - datetime.timedelta(days=DEFAULT_DAYS - 1),
        _today(request),
    )
    performance = merchant_campaign_performance(
        merchant=merchant, date_from=date_from, date_to=date_to
    )
    spend = sum((row["spend"] for row in performance.values()), Decimal("0.00"))
    gmv = sum((row["gmv"] for row in performance.values()), Decimal("0.00"))
    series = merchant_daily_series(merchant=merchant, date_from=date_from, date_to=date_to)
    context = {
        "merchant": merchant,
        "product_count": product_list(merchant=merchant).count(),
        "tagged_count": product_list(merchant=merchant, is_tagged=True).count(),
        "active_count": active_plan_count(merchant=merchant),
        "active_plans": list(campaign_list(merchant=merchant, status=CampaignStatus.ACTIVE)[:10]),
        "spend": spend,
        "gmv": gmv,
        "roi": roi(gmv=gmv, spend=spend),
        "chart": spend_gmv_chart(series),
        "date_from": date_from,
        "date_to": date_to,
        # today so far, from the intraday count (issue 15); the nightly run replaces it
        "today_so_far": merchant_today_provisional(merchant=merchant, day=date_to),
        "today_status": today_status(today=date_to),
    }
    return render(request, "portal/merchant/dashboard.html", context)


@merchant_portal_required
def products(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    search = request.GET.get("q", "").strip()
    rows = list(product_list(merchant=merchant, search=search)[:200])
    for product in rows:
        product.tiers = roi_tiers(product)  # type: ignore[attr-defined]
        product.stage_advice = ADVICE[product.lifecycle_stage]  # type: ignore[attr-defined]
    stages = [(stage.value, stage.label, ADVICE[stage]) for stage in LifecycleStage]
    return render(
        request,
        "portal/merchant/products.html",
        {"products": rows, "search": search, "stages": stages},
    )


# --- campaigns -------------------------------------------------------------------------------


@merchant_portal_required
def campaigns(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    status = request.GET.get("status", "")
    rows = list(campaign_list(merchant=merchant, status=status or None))
    return render(
        request,
        "portal/merchant/campaigns.html",
        {
            "campaigns": rows,
            "status": status,
            "statuses": CampaignStatus.choices,
            "active_count": active_plan_count(merchant=merchant),
            "quota": merchant.plan_quota,
        },
    )


class CampaignForm(forms.Form):
    """CPC, CPM and CPS plans (full-site plans have their own three-step setup)."""

    name = forms.CharField(max_length=150)
    type = forms.ChoiceField(
        choices=[(t.value, t.label) for t in CampaignType if t != CampaignType.FULL_SITE]
    )
    products = forms.ModelMultipleChoiceField(
        queryset=Product.objects.none(), widget=forms.CheckboxSelectMultiple
    )
    bid = forms.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal("0"),
        required=False,
        help_text="CPC: per click. CPM: per thousand impressions. Not used by CPS.",
    )
    daily_budget = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0"))
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    min_site_weight = forms.IntegerField(min_value=1, max_value=10, initial=1)
    activate = forms.BooleanField(required=False, initial=True, label="Start it now")

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["products"].queryset = product_list(merchant=merchant).filter(  # type: ignore[attr-defined]
            is_active=True
        )


@merchant_portal_required
def campaign_new(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    form = CampaignForm(request.POST or None, merchant=merchant, initial={
        "starts_at": timezone.localtime(timezone.now(), request.tenant.zone).strftime(  # type: ignore[attr-defined]
            "%Y-%m-%dT%H:%M"
        )
    })  # fmt: skip
    _label_zone(request, form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            campaign = campaign_create(
                merchant=merchant,
                name=data["name"],
                type=data["type"],
                products=list(data["products"]),
                bid=data["bid"],
                daily_budget=data["daily_budget"],
                starts_at=data["starts_at"],
                ends_at=data["ends_at"],
                min_site_weight=data["min_site_weight"],
                status=CampaignStatus.ACTIVE if data["activate"] else CampaignStatus.DRAFT,
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        except ValidationError as exc:
            for message in exc.messages:
                messages.error(request, message)
        else:
            messages.success(request, f"Plan “{campaign.name}” saved ({campaign.status}).")
            return redirect("portal:merchant-campaign", pk=campaign.pk)
    return render(request, "portal/merchant/campaign_new.html", {"form": form})


@merchant_portal_required
def campaign_detail(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    date_from, date_to = _window(request)
    series = campaign_daily_series(campaign=campaign, date_from=date_from, date_to=date_to)
    products = campaign_products(campaign=campaign)
    for product in products:
        product.stage_advice = ADVICE[product.lifecycle_stage]  # type: ignore[attr-defined]
    context = {
        "campaign": campaign,
        "products": products,
        "performance": campaign_performance(
            campaign=campaign, date_from=date_from, date_to=date_to
        ),
        "series": series,
        "chart": spend_gmv_chart(series, target_roi=campaign.target_roi),
        "date_from": date_from,
        "date_to": date_to,
        "phases": campaign_phase_performance(campaign=campaign),
        "can_phase": campaign.type in PHASED_TYPES and campaign.status != CampaignStatus.ENDED,
        "phase_kinds": PhaseKind.choices,
        "can_activate": campaign.status in {CampaignStatus.DRAFT, CampaignStatus.PAUSED},
        "can_pause": campaign.status == CampaignStatus.ACTIVE,
        "can_end": campaign.status in {CampaignStatus.ACTIVE, CampaignStatus.PAUSED},
    }
    return render(request, "portal/merchant/campaign_detail.html", context)


@require_POST
@merchant_portal_required
def campaign_status(request: HttpRequest, pk: int) -> HttpResponse:
    campaign = _campaign_or_404(request, pk)
    to = request.POST.get("to", "")
    if to not in {CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.ENDED}:
        raise Http404
    try:
        campaign = campaign_transition(campaign=campaign, to=to, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Plan “{campaign.name}” is now {campaign.status}.")
    return redirect("portal:merchant-campaign", pk=campaign.pk)


PHASE_FIELDS = ("kind", "first_day", "last_day", "daily_budget", "target_roi")


@require_POST
@merchant_portal_required
def campaign_phases(request: HttpRequest, pk: int) -> HttpResponse:
    """Set a plan's phases: the rows of the plan page's phase form (``kind_N``, ``first_day_N``,
    ... ; a row with ``remove_N`` or no kind is left out), all at once."""
    campaign = _campaign_or_404(request, pk)
    rows = []
    for index in range(MAX_PHASES + 1):
        row = {name: request.POST.get(f"{name}_{index}", "").strip() for name in PHASE_FIELDS}
        if row["kind"] and not request.POST.get(f"remove_{index}"):
            rows.append(row)
    try:
        campaign_phases_set(campaign=campaign, phases=rows)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Phases of “{campaign.name}” saved.")
    return redirect(f"{reverse('portal:merchant-campaign', args=[campaign.pk])}#phases")


@merchant_portal_required
def performance(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    date_from, date_to = _window(request)
    by_campaign = merchant_campaign_performance(
        merchant=merchant, date_from=date_from, date_to=date_to
    )
    rows = []
    for campaign in campaign_list(merchant=merchant):
        numbers = by_campaign.get(campaign.pk)
        if numbers is None and campaign.status == CampaignStatus.DRAFT:
            continue
        rows.append({"campaign": campaign, **(numbers or {"spend": Decimal("0.00"),
                     "gmv": Decimal("0.00"), "roi": None, "attainment": None})})  # fmt: skip
    spend = sum((row["spend"] for row in rows), Decimal("0.00"))
    gmv = sum((row["gmv"] for row in rows), Decimal("0.00"))
    series = merchant_daily_series(merchant=merchant, date_from=date_from, date_to=date_to)
    return render(
        request,
        "portal/merchant/performance.html",
        {
            "rows": rows,
            "spend": spend,
            "gmv": gmv,
            "roi": roi(gmv=gmv, spend=spend),
            "chart": spend_gmv_chart(series),
            "date_from": date_from,
            "date_to": date_to,
        },
    )


# --- the full-site setup: product -> budget and dates -> target ROI ---------------------------


def _wizard(request: HttpRequest) -> dict[str, Any]:
    return dict(request.session.get(WIZARD_KEY) or {})


def _wizard_save(request: HttpRequest, data: dict[str, Any]) -> None:
    request.session[WIZARD_KEY] = data


def _wizard_product(request: HttpRequest, data: dict[str, Any]) -> Product | None:
    if not data.get("product"):
        return None
    return product_list(merchant=_merchant(request)).filter(pk=data["product"]).first()


@merchant_portal_required
def full_site_product(request: HttpRequest) -> HttpResponse:
    """Step 1: the product to promote. Every product is listed; those that can join a full-site
    plan are offered (tagged ones first: only they get tiers), the others say why not, from the
    same reads the last step's activation refuses with (``full_site_candidates``)."""
    merchant = _merchant(request)
    candidates = full_site_candidates(merchant=merchant)
    quota = plan_quota_refusal(merchant=merchant)
    data = _wizard(request)
    if request.method == "POST":
        chosen = next(
            (c for c in candidates if str(c.product.pk) == request.POST.get("product")), None
        )
        if chosen is None:
            messages.error(request, "Choose one of your products.")
        elif quota is not None:
            messages.error(request, quota.message)
        elif not chosen.can_join:
            for refusal in chosen.refusals:
                messages.error(request, refusal.message)
        else:
            _wizard_save(request, {**data, "product": chosen.product.pk})
            return redirect("portal:merchant-full-site-budget")
    for candidate in candidates:
        candidate.product.tiers = roi_tiers(candidate.product)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/merchant/full_site_product.html",
        {
            "free": [c for c in candidates if c.can_join],
            "held": [c for c in candidates if not c.can_join],
            "quota": quota,
            "selected": data.get("product"),
            "step": 1,
        },
    )


class FullSiteBudgetForm(forms.Form):
    name = forms.CharField(max_length=150)
    daily_budget = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    starts_at = forms.DateTimeField(widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(
        required=False, widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    min_site_weight = forms.IntegerField(min_value=1, max_value=10, initial=1)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("ends_at") and data.get("starts_at") and data["ends_at"] <= data["starts_at"]:
            self.add_error("ends_at", "The end must be after the start.")
        return data


@merchant_portal_required
def full_site_budget(request: HttpRequest) -> HttpResponse:
    """Step 2: name, daily budget and the time window."""
    data = _wizard(request)
    product = _wizard_product(request, data)
    if product is None:
        return redirect("portal:merchant-full-site")
    zone = request.tenant.zone  # type: ignore[attr-defined]
    initial = {
        "name": data.get("name") or f"Full-site: {product.title}"[:150],
        "daily_budget": data.get("daily_budget"),
        "starts_at": data.get("starts_at")
        or timezone.localtime(timezone.now(), zone).strftime("%Y-%m-%dT%H:%M"),
        "ends_at": data.get("ends_at"),
        "min_site_weight": data.get("min_site_weight") or 1,
    }
    form = _label_zone(request, FullSiteBudgetForm(request.POST or None, initial=initial))
    if request.method == "POST" and form.is_valid():
        cleaned = form.cleaned_data
        _wizard_save(
            request,
            {
                **data,
                "name": cleaned["name"],
                "daily_budget": str(cleaned["daily_budget"]),
                "starts_at": cleaned["starts_at"].isoformat(),
                "ends_at": cleaned["ends_at"].isoformat() if cleaned["ends_at"] else "",
                "min_site_weight": cleaned["min_site_weight"],
            },
        )
        return redirect("portal:merchant-full-site-roi")
    return render(
        request,
        "portal/merchant/full_site_budget.html",
        {"form": form, "product": product, "step": 2},
    )


@merchant_portal_required
def full_site_roi(request: HttpRequest) -> HttpResponse:
    """Step 3: the target ROI, the product's three tiers offered when it is tagged; any other
    value is allowed but marked as not eligible for compensation."""
    data = _wizard(request)
    product = _wizard_product(request, data)
    if product is None:
        return redirect("portal:merchant-full-site")
    if not data.get("daily_budget"):
        return redirect("portal:merchant-full-site-budget")
    tiers = roi_tiers(product)
    budget = Decimal(data["daily_budget"])
    inputs = forecast_inputs(product=product)
    forecasts = [
        product_forecast(product=product, daily_budget=budget, target_roi=tier, inputs=inputs)
        for tier in tiers
    ]
    estimate = _custom_estimate(request, product=product, daily_budget=budget, inputs=inputs)
    choice = request.POST.get("tier", "") if request.method == "POST" else ""
    custom = request.POST.get("custom_roi", "").strip() if request.method == "POST" else ""
    if request.method == "POST":
        raw = custom if choice == "custom" or not tiers else choice
        try:
            target = Decimal(raw).quantize(Decimal("0.01"))
            if not target.is_finite() or target <= 0:
                raise InvalidOperation
        except (InvalidOperation, ValueError):
            messages.error(request, "Enter a target ROI above 0, such as 3.5.")
        else:
            try:
                campaign = campaign_create(
                    merchant=_merchant(request),
                    name=data["name"],
                    type=CampaignType.FULL_SITE,
                    products=[product],
                    daily_budget=Decimal(data["daily_budget"]),
                    target_roi=target,
                    starts_at=datetime.datetime.fromisoformat(data["starts_at"]),
                    ends_at=datetime.datetime.fromisoformat(data["ends_at"])
                    if data.get("ends_at")
                    else None,
                    min_site_weight=int(data.get("min_site_weight") or 1),
                    status=CampaignStatus.ACTIVE,
                    actor=request.user,
                )
            except DomainError as exc:
                messages.error(request, exc.message)
            except ValidationError as exc:
                for message in exc.messages:
                    messages.error(request, message)
            else:
                request.session.pop(WIZARD_KEY, None)
                note = (
                    "at a recommended tier: eligible for cost compensation"
                    if campaign.target_roi_was_tier
                    else "not at a recommended tier: not eligible for compensation"
                )
                messages.success(request, f"Full-site plan “{campaign.name}” started ({note}).")
                return redirect("portal:merchant-campaign", pk=campaign.pk)
    return render(
        request,
        "portal/merchant/full_site_roi.html",
        {
            "product": product,
            "tiers": tiers,
            "tier_labels": list(zip(["Low", "Recommended", "High"], tiers, strict=False)),
            "forecasts": list(zip(["Low", "Recommended", "High"], forecasts, strict=False)),
            "estimate": estimate,
            "basis": inputs.basis,
            "basis_days": inputs.history.product_days,
            "wizard": data,
            "choice": choice or (str(tiers[1]) if tiers else "custom"),
            "custom": custom,
            "step": 3,
        },
    )


def _custom_estimate(
    request: HttpRequest, *, product: Product, daily_budget: Decimal, inputs: ForecastInputs
) -> Forecast | None:
    """The forecast at a target ROI the merchant typed (``?estimate=3.5``), if any."""
    raw = request.GET.get("estimate", "").strip()
    if not raw:
        return None
    try:
        target = Decimal(raw).quantize(Decimal("0.01"))
        if not target.is_finite() or target <= 0 or target > 999_999:
            raise InvalidOperation
    except (InvalidOperation, ValueError):
        messages.error(request, "Enter a target ROI above 0, such as 3.5, to estimate it.")
        return None
    return product_forecast(
        product=product, daily_budget=daily_budget, target_roi=target, inputs=inputs
    )


# --- domains ---------------------------------------------------------------------------------


@merchant_portal_required
def domains(request: HttpRequest) -> HttpResponse:
    merchant = _merchant(request)
    current = list(MerchantDomain.objects.filter(merchant=merchant).order_by("domain"))
    if request.method == "POST" and request.POST.get("check"):
        for row in current:
            if row.domain == request.POST["check"] and not row.is_verified:
                merchant_domain_verification_request(domain=row)
                messages.success(request, f"Checking {row.domain}; reload in a moment.")
        return redirect("portal:merchant-domains")
    if request.method == "POST":
        names = [d.domain for d in current]
        if request.POST.get("remove"):
            names = [name for name in names if name != request.POST["remove"]]
        elif request.POST.get("domain", "").strip():
            names.append(request.POST["domain"].strip())
        try:
            merchant_domains_set(merchant=merchant, domains=names)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Domains saved.")
            return redirect("portal:merchant-domains")
    return render(request, "portal/merchant/domains.html", {"domains": current})
