"""Portal pages of integrations (issue 16), for webmasters and merchants alike.

- Webhooks (both): endpoints with the events they hear, a secret shown once on creation and
  on rotation, each endpoint's delivery log with response codes, replay, enable, delete.
- Postbacks (webmasters): the URL template for the account and per placement, with macros.
- Conversion tracking (merchants): postback keys (secret, shown once) and pixel tokens
  (public), with the snippets; coupon codes assigned to webmasters.

Every object is looked up among the signed-in merchant's or webmaster's own rows, so another
owner's or tenant's id is a 404. Pages that show a secret are ``Cache-Control: no-store``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.affiliates.models import Affiliate
from apps.core.errors import DomainError
from apps.integrations.models import POSTBACK_EVENTS
from apps.integrations.selectors import (
    delivery_list,
    postback_template_list,
    webhook_endpoint_list,
)
from apps.integrations.services.deliveries import delivery_replay
from apps.integrations.services.postbacks import MACROS, postback_template_set
from apps.integrations.services.webhooks import (
    AUDIENCE_EVENTS,
    target_delete,
    target_enable,
    webhook_endpoint_create,
    webhook_endpoint_rotate,
)
from apps.portal.views.merchant import merchant_portal_required
from apps.portal.views.webmaster import webmaster_required
from apps.sites.selectors import placement_list_for_affiliate
from apps.tracking.selectors import coupon_list, tracking_key_list
from apps.tracking.services.coupons import coupon_delete, coupon_register
from apps.tracking.services.keys import tracking_key_issue, tracking_key_revoke

DELIVERIES_SHOWN = 50


def _owner(request: HttpRequest) -> dict[str, Any]:
    """The signed-in owner as service keywords: {"merchant": m} or {"affiliate": a}."""
    if getattr(request, "portal_role", None) == "merchant":
        return {"merchant": request.merchant}  # type: ignore[attr-defined]
    return {"affiliate": request.affiliate}  # type: ignore[attr-defined]


def _role(request: HttpRequest) -> str:
    return "merchant" if request.portal_role == "merchant" else "webmaster"  # type: ignore[attr-defined]


def _field_errors(form: forms.Form, exc: DomainError) -> None:
    named = {name: msgs for name, msgs in exc.fields.items() if name in form.fields}
    for name, msgs in named.items():
        for message in msgs:
            form.add_error(name, message)
    if not named:
        form.add_error(None, exc.message)


def _no_store(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"  # a secret is on this page: never cache it
    return response


class WebhookForm(forms.Form):
    url = forms.CharField(max_length=2000, label="Endpoint URL (https)")
    events = forms.MultipleChoiceField(widget=forms.CheckboxSelectMultiple)
    description = forms.CharField(max_length=200, required=False, label="Label (optional)")

    def __init__(self, *args: Any, audience: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["events"].choices = [(t, t) for t in AUDIENCE_EVENTS[audience]]  # type: ignore[attr-defined]


class PostbackForm(forms.Form):
    placement = forms.ChoiceField(required=False, label="For")
    url_template = forms.CharField(max_length=2000, label="Postback URL")
    events = forms.MultipleChoiceField(
        choices=[(t, t) for t in POSTBACK_EVENTS],
        initial=list(POSTBACK_EVENTS),
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, affiliate: Affiliate, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.placements = {p.code: p for p in placement_list_for_affiliate(affiliate=affiliate)}
        self.fields["placement"].choices = [("", "All my placements (account)")] + [  # type: ignore[attr-defined]
            (code, f"Placement {code}") for code in self.placements
        ]


class CouponForm(forms.Form):
    code = forms.CharField(max_length=64)
    webmaster = forms.EmailField(label="Webmaster's email")
    placement = forms.CharField(max_length=32, required=False, label="Placement code (optional)")
    valid_from = forms.DateField(required=False, help_text="YYYY-MM-DD; default today")
    valid_to = forms.DateField(required=False, help_text="YYYY-MM-DD; open-ended if empty")


# --- webhooks (both roles) ----------------------------------------------------------------


def _webhooks(request: HttpRequest, extra: dict[str, Any], template: str) -> HttpResponse:
    owner = _owner(request)
    audience = "merchant" if "merchant" in owner else "affiliate"
    form = WebhookForm(
        request.POST if request.POST.get("form") == "webhook" else None, audience=audience
    )
    issued = None
    if form.is_bound and form.is_valid():
        try:
            issued = webhook_endpoint_create(**owner, **form.cleaned_data, actor=request.user)
        except DomainError as exc:
            _field_errors(form, exc)
        else:
            form = WebhookForm(audience=audience)
    context = {
        "role": _role(request),
        "endpoints": webhook_endpoint_list(**owner),
        "webhook_form": form,
        "issued": issued,
        **extra,
    }
    status = 400 if form.is_bound and form.errors else 200
    response = render(request, template, context, status=status)
    return _no_store(response) if issued else response


def _webhook_detail(request: HttpRequest, pk: int) -> HttpResponse:
    endpoint = get_object_or_404(webhook_endpoint_list(**_owner(request)), pk=pk)
    context = {
        "role": _role(request),
        "endpoint": endpoint,
        "deliveries": delivery_list(endpoint=endpoint)[:DELIVERIES_SHOWN],
    }
    return render(request, "portal/integrations/webhook_detail.html", context)


WEBHOOK_ACTIONS = {"rotate", "enable", "delete", "replay"}


def _webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in WEBHOOK_ACTIONS:
        raise Http404
    endpoint = get_object_or_404(webhook_endpoint_list(**_owner(request)), pk=pk)
    back = redirect(f"portal:{_role(request)}-webhook", pk=endpoint.pk)
    try:
        if action == "rotate":
            issued = webhook_endpoint_rotate(endpoint=endpoint)
            context = {
                "role": _role(request),
                "endpoint": endpoint,
                "issued": issued,
                "deliveries": delivery_list(endpoint=endpoint)[:DELIVERIES_SHOWN],
            }
            return _no_store(render(request, "portal/integrations/webhook_detail.html", context))
        if action == "enable":
            target_enable(target=endpoint)
            messages.success(request, "Enabled: new events are delivered again.")
        elif action == "delete":
            target_delete(target=endpoint)
            messages.success(request, "Deleted: nothing more is sent to it.")
            return redirect(f"portal:{_role(request)}-integrations")
        elif action == "replay":
            delivery = get_object_or_404(
                delivery_list(endpoint=endpoint), pk=request.POST.get("delivery")
            )
            delivery_replay(delivery=delivery)
            messages.success(request, f"Delivery {delivery.pk} is being sent again.")
    except (DomainError, ValueError) as exc:
        messages.error(request, str(exc))
    return back


# --- webmaster ----------------------------------------------------------------------------


@webmaster_required
def webmaster_integrations(request: HttpRequest) -> HttpResponse:
    affiliate = request.affiliate  # type: ignore[attr-defined]
    form = PostbackForm(
        request.POST if request.POST.get("form") == "postback" else None, affiliate=affiliate
    )
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            postback_template_set(
                affiliate=affiliate,
                placement=form.placements.get(data["placement"]),
                url_template=data["url_template"],
                events=data["events"],
                actor=request.user,
            )
        except DomainError as exc:
            _field_errors(form, exc)
        else:
            messages.success(request, "Postback saved.")
            return redirect("portal:webmaster-integrations")
    extra = {
        "postbacks": postback_template_list(affiliate=affiliate),
        "postback_form": form,
        "macros": ["{" + m + "}" for m in MACROS],
    }
    response = _webhooks(request, extra, "portal/integrations/webmaster.html")
    if form.is_bound and form.errors:
        response.status_code = 400
    return response


@require_POST
@webmaster_required
def webmaster_postback_delete(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(
        postback_template_list(affiliate=request.affiliate),  # type: ignore[attr-defined]
        pk=pk,
    )
    target_delete(target=template)
    messages.success(request, "Postback removed.")
    return redirect("portal:webmaster-integrations")


@webmaster_required
def webmaster_webhook(request: HttpRequest, pk: int) -> HttpResponse:
    return _webhook_detail(request, pk)


@require_POST
@webmaster_required
def webmaster_webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _webhook_action(request, pk, action)


# --- merchant -----------------------------------------------------------------------------


@merchant_portal_required
def merchant_integrations(request: HttpRequest) -> HttpResponse:
    merchant = request.merchant  # type: ignore[attr-defined]
    issued_key = None
    if request.method == "POST" and request.POST.get("form") == "tracking-key":
        try:
            issued_key = tracking_key_issue(
                merchant=merchant, kind=request.POST.get("kind", ""), actor=request.user
            )
        except DomainError as exc:
            messages.error(request, exc.message)
    coupon_form = CouponForm(request.POST if request.POST.get("form") == "coupon" else None)
    if coupon_form.is_bound and coupon_form.is_valid() and _coupon_add(request, coupon_form):
        messages.success(request, f"Coupon {coupon_form.cleaned_data['code']} registered.")
        return redirect("portal:merchant-integrations")
    base = f"{request.scheme}://{request.get_host()}"
    keys = list(tracking_key_list(merchant=merchant))
    extra = {
        "tracking_keys": keys,
        "pixel_token": next((k for k in keys if k.kind == "pixel" and k.is_active), None),
        "issued_key": issued_key,
        "base": base,
        "coupons": coupon_list(merchant=merchant),
        "coupon_form": coupon_form,
    }
    response = _webhooks(request, extra, "portal/integrations/merchant.html")
    if coupon_form.is_bound and coupon_form.errors:
        response.status_code = 400
    return _no_store(response) if issued_key else response


def _coupon_add(request: HttpRequest, form: CouponForm) -> bool:
    data = form.cleaned_data
    try:
        coupon_register(
            merchant=request.merchant,  # type: ignore[attr-defined]
            code=data["code"],
            webmaster_email=data["webmaster"],
            placement_code=data["placement"],
            valid_from=data["valid_from"],
            valid_to=data["valid_to"],
            actor=request.user,
        )
    except DomainError as exc:
        _field_errors(form, exc)
        return False
    return True


@require_POST
@merchant_portal_required
def merchant_coupon_delete(request: HttpRequest, pk: int) -> HttpResponse:
    coupon = get_object_or_404(coupon_list(merchant=request.merchant), pk=pk)  # type: ignore[attr-defined]
    coupon_delete(coupon=coupon)
    messages.success(request, f"Coupon {coupon.code} deleted.")
    return redirect("portal:merchant-integrations")


@require_POST
@merchant_portal_required
def merchant_tracking_key_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    key = get_object_or_404(tracking_key_list(merchant=request.merchant), pk=pk)  # type: ignore[attr-defined]
    tracking_key_revoke(key=key)
    messages.success(request, f"{key.get_kind_display()} {key.hint}… revoked.")
    return redirect("portal:merchant-integrations")


@merchant_portal_required
def merchant_webhook(request: HttpRequest, pk: int) -> HttpResponse:
    return _webhook_detail(request, pk)


@require_POST
@merchant_portal_required
def merchant_webhook_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    return _webhook_action(request, pk, action)
