"""Portal pages of claims and disputes (issue 6).

Merchant users: their compensation claims (a two-step form: preview the computed claim, then
submit with a note and evidence), each claim's decision and evidence, and the webmasters'
disputes against the merchant with the system's evidence panel, to accept or reject.
Webmasters: file a missing-commission dispute and follow its status. Evidence files are
served only to the claim's merchant users and the tenant's staff; anyone else gets 404.

Access goes through the merchant and webmaster portals' own helpers
(``merchant_portal_required``, ``webmaster_required``). Every object is looked up among the
signed-in merchant's or webmaster's own rows in the request's tenant, so another merchant's,
webmaster's or tenant's id is a 404.
"""

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from apps.campaigns.models import Merchant
from apps.core.admin_site import staff_roles_for
from apps.core.errors import DomainError
from apps.disputes.models import WINDOW_DAYS_DEFAULT, WINDOW_DAYS_MAX, WINDOW_DAYS_MIN
from apps.disputes.selectors import (
    claim_list,
    claimable_campaigns,
    dispute_list,
    dispute_merchant_choices,
    evidence_for_download,
    user_may_read_claim,
)
from apps.disputes.services import (
    EVIDENCE_TYPES,
    claim_quote,
    claim_submit,
    dispute_decide,
    dispute_file,
    evidence_max_bytes,
)
from apps.portal.forms import DayInput
from apps.portal.views.merchant import merchant_portal_required
from apps.portal.views.webmaster import webmaster_required
from apps.tenants.clock import tenant_today

# --- merchant: claims ---------------------------------------------------------------------


class ClaimStartForm(forms.Form):
    campaign = forms.ModelChoiceField(queryset=None, label="Full-site plan", empty_label=None)
    window_days = forms.TypedChoiceField(
        label="Evaluation window (days)",
        coerce=int,
        choices=[(n, f"{n} days") for n in range(WINDOW_DAYS_MIN, WINDOW_DAYS_MAX + 1)],
        initial=WINDOW_DAYS_DEFAULT,
    )

    def __init__(self, *args: Any, merchant: Merchant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = claimable_campaigns(merchant=merchant)  # type: ignore[attr-defined]


class ClaimSubmitForm(ClaimStartForm):
    note = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=4000,
        help_text="What happened, in your words.",
    )


@merchant_portal_required
def merchant_claims(request: HttpRequest) -> HttpResponse:
    claims = claim_list(merchant=request.merchant)  # type: ignore[attr-defined]
    return render(request, "portal/disputes/merchant_claims.html", {"claims": claims})


@merchant_portal_required
def merchant_claim_new(request: HttpRequest) -> HttpResponse:
    """Step 1 (GET): choose a plan and a window. POST ``action=preview``: the computed claim
    (or why it cannot be filed) and step 2, note and evidence. POST ``action=submit``: file."""
    merchant = request.merchant  # type: ignore[attr-defined]
    context: dict[str, Any] = {
        "evidence_types": ", ".join(sorted({e.lstrip(".") for e in EVIDENCE_TYPES})),
        "evidence_max_mb": evidence_max_bytes() // 1048576,
        "evidence_accept": ",".join(sorted(EVIDENCE_TYPES)),
    }
    if request.method != "POST":
        form = ClaimStartForm(merchant=merchant)
        context.update(form=form, has_plans=form.fields["campaign"].queryset.exists())  # type: ignore[attr-defined]
        return render(request, "portal/disputes/merchant_claim_new.html", context)
    action = request.POST.get("action", "preview")
    form = (ClaimSubmitForm if action == "submit" else ClaimStartForm)(
        request.POST, merchant=merchant
    )
    if not form.is_valid():
        context.update(form=form, has_plans=True)
        return render(request, "portal/disputes/merchant_claim_new.html", context, status=400)
    campaign = form.cleaned_data["campaign"]
    window_days = form.cleaned_data["window_days"]
    if action == "submit":
        try:
            claim = claim_submit(
                campaign=campaign,
                window_days=window_days,
                note=form.cleaned_data.get("note", ""),
                actor=request.user,
                evidence_files=request.FILES.getlist("evidence"),
            )
        except DomainError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(request, f"Claim #{claim.pk} submitted for {claim.computed_amount}.")
            return redirect("portal:merchant-claim", pk=claim.pk)
    quote = claim_quote(campaign=campaign, window_days=window_days)
    submit_form = ClaimSubmitForm(
        initial={
            "campaign": campaign.pk,
            "window_days": window_days,
            "note": request.POST.get("note", ""),
        },
        merchant=merchant,
    )
    context.update(quote=quote, campaign=campaign, submit_form=submit_form)
    return render(request, "portal/disputes/merchant_claim_preview.html", context)


@merchant_portal_required
def merchant_claim_detail(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(claim_list(merchant=request.merchant), pk=pk)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/disputes/merchant_claim_detail.html",
        {"claim": claim, "evidence": claim.evidence.all()},
    )


def claim_evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    """One evidence file, to the claim's merchant users and the tenant's staff only; to
    anyone else (another merchant, a webmaster, another tenant) it does not exist: 404."""
    if getattr(request, "tenant", None) is None or not request.user.is_authenticated:
        raise Http404
    evidence = evidence_for_download(evidence_id=pk)
    if evidence is None or not user_may_read_claim(
        user=request.user, claim=evidence.claim, staff_roles=staff_roles_for(request)
    ):
        raise Http404
    response = FileResponse(
        evidence.file.open("rb"),
        as_attachment=True,
        filename=evidence.original_name,
        content_type=evidence.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


# --- merchant: disputes -------------------------------------------------------------------


@merchant_portal_required
def merchant_disputes(request: HttpRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    disputes = dispute_list(merchant=request.merchant, status=status)  # type: ignore[attr-defined]
    return render(
        request,
        "portal/disputes/merchant_disputes.html",
        {"disputes": disputes[:200], "status": status},
    )


@require_POST
@merchant_portal_required
def merchant_dispute_decide(request: HttpRequest, pk: int) -> HttpResponse:
    dispute = get_object_or_404(dispute_list(merchant=request.merchant), pk=pk)  # type: ignore[attr-defined]
    accept = request.POST.get("decision") == "accept"
    try:
        dispute_decide(
            dispute=dispute,
            accept=accept,
            actor=request.user,
            reason=request.POST.get("reason", ""),
        )
    except DomainError as exc:
        messages.error(request, f"Dispute #{dispute.pk}: {exc}")
    else:
        verb = "accepted; the commission goes to the next statement" if accept else "rejected"
        messages.success(request, f"Dispute #{dispute.pk} on {dispute.order_reference} {verb}.")
    return redirect("portal:merchant-disputes")


# --- webmaster: disputes ------------------------------------------------------------------


class DisputeForm(forms.Form):
    """The merchant is picked by name from those the webmaster's traffic went to (issue 15);
    the value sent is the merchant's code, as the API's ``merchant`` field takes it."""

    merchant = forms.ChoiceField(
        label="Merchant", help_text="The merchants your placements sent clicks to in 90 days."
    )
    order_reference = forms.CharField(max_length=100)
    order_date = forms.DateField(
        input_formats=["%Y-%m-%d"],
        widget=DayInput(),
        help_text="YYYY-MM-DD, the day of the order in the network's time zone.",
    )
    amount = forms.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    note = forms.CharField(
        required=False, max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, merchants: Sequence[Merchant], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.merchants = {m.code: m for m in merchants}
        field = self.fields["merchant"]
        field.choices = [("", "Choose a merchant…")] + [  # type: ignore[attr-defined]
            (m.code, f"{m.name} ({m.code})") for m in merchants
        ]

    def clean_merchant(self) -> Merchant:
        return self.merchants[self.cleaned_data["merchant"]]


@webmaster_required
def webmaster_disputes(request: HttpRequest) -> HttpResponse:
    affiliate = request.affiliate  # type: ignore[attr-defined]
    today = tenant_today(request.tenant)  # type: ignore[attr-defined]
    merchants = list(dispute_merchant_choices(affiliate=affiliate, today=today))
    form = DisputeForm(
        request.POST or None,
        initial={"order_date": today, "merchant": request.GET.get("merchant", "")},
        merchants=merchants,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispute = dispute_file(
                affiliate=affiliate,
                merchant=data["merchant"],
                order_reference=data["order_reference"],
                order_date=data["order_date"],
                amount=data["amount"],
                note=data["note"],
                actor=request.user,
            )
        except DomainError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request, f"Dispute #{dispute.pk} on order {dispute.order_reference} filed."
            )
            return redirect("portal:webmaster-disputes")
    disputes = dispute_list(affiliate=affiliate)[:200]
    return render(
        request,
        "portal/disputes/webmaster_disputes.html",
        {"form": form, "disputes": disputes, "has_merchants": bool(merchants)},
        status=400 if request.method == "POST" else 200,
    )
