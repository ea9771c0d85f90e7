"""Claims review queue and disputes in the back office (risk and finance staff, issue 6).

Claims are filed by merchants and decided only through ``claim_decide`` (approve, approve a
reduced amount with a reason, reject with a reason), from a bulk action with a confirmation
page or the claim's own "decide" page; every page is read-only (decided claims never change),
and the history tab keeps each state. Disputes are accepted or rejected through
``dispute_decide``, with the system's evidence snapshot shown beside them.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from apps.core.admin import DecisionAdminMixin, TenantAdmin, TenantTabularInline
from apps.core.admin_bulk import confirm_page
from apps.core.errors import DomainError
from apps.core.roles import ALL_STAFF, REVIEWERS
from apps.disputes.models import Claim, ClaimEvidence, Dispute
from apps.disputes.services import ClaimDecision, claim_decide, dispute_decide


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=500, widget=forms.Textarea(attrs={"rows": 3}), help_text="The merchant reads it."
    )


class ClaimDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[
            (ClaimDecision.APPROVE, "Approve the computed amount"),
            (ClaimDecision.APPROVE_REDUCED, "Approve a reduced amount"),
            (ClaimDecision.REJECT, "Reject"),
        ],
        widget=forms.RadioSelect,
        initial=ClaimDecision.APPROVE,
    )
    amount = forms.DecimalField(
        required=False,
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        help_text="Only for a reduced amount: above 0 and below the computed amount.",
    )
    reason = forms.CharField(
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required for a reduced amount or a rejection; the merchant reads it.",
    )


# --- claims --------------------------------------------------------------------------------


class AmountFilter(admin.SimpleListFilter):
    title = "amount"
    parameter_name = "amount"
    RANGES = {
        "lt1k": ("under 1,000", None, Decimal("1000")),
        "1k-10k": ("1,000 to 10,000", Decimal("1000"), Decimal("10000")),
        "gte10k": ("10,000 and more", Decimal("10000"), None),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _, _) in self.RANGES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() not in self.RANGES:
            return queryset
        _, low, high = self.RANGES[self.value()]  # type: ignore[index]
        if low is not None:
            queryset = queryset.filter(computed_amount__gte=low)
        if high is not None:
            queryset = queryset.filter(computed_amount__lt=high)
        return queryset


class AgeFilter(admin.SimpleListFilter):
    """Days since the claim was filed (the queue's oldest first matter most)."""

    title = "age"
    parameter_name = "age"
    RANGES = {
        "0-7": ("up to 7 days", 0, 7),
        "8-14": ("8 to 14 days", 8, 14),
        "15-30": ("15 to 30 days", 15, 30),
        "gt30": ("over 30 days", 31, None),
    }

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(key, label) for key, (label, _, _) in self.RANGES.items()]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() not in self.RANGES:
            return queryset
        _, low, high = self.RANGES[self.value()]  # type: ignore[index]
        now = timezone.now()
        queryset = queryset.filter(created_at__lte=now - datetime.timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(created_at__gt=now - datetime.timedelta(days=high + 1))
        return queryset


class ClaimEvidenceInline(TenantTabularInline):
    model = ClaimEvidence
    fields = ("download", "content_type", "size", "uploaded_by", "created_at")
    readonly_fields = fields
    view_roles = ALL_STAFF
    change_roles: frozenset[str] = frozenset()
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("uploaded_by")

    @admin.display(description="file")
    def download(self, obj: ClaimEvidence) -> str:
        # Through the permission-checked view, never a storage URL.
        url = reverse("portal:claim-evidence", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.original_name)


@admin.register(Claim)
class ClaimAdmin(DecisionAdminMixin, SimpleHistoryAdmin, TenantAdmin):
    view_roles = ALL_STAFF
    decide_roles = REVIEWERS
    list_display = (
        "__str__",
        "campaign",
        "merchant",
        "status",
        "computed_amount",
        "approved_amount",
        "age_days",
        "window",
        "decided_by",
        "created_at",
    )
    list_display_links = ("__str__",)
    list_select_related = ("campaign", "merchant", "decided_by")
    list_filter = ("status", AmountFilter, AgeFilter, "window_days")
    search_fields = ("campaign__name", "merchant__code", "merchant__name", "note")
    ordering = ("status", "created_at")
    inlines = (ClaimEvidenceInline,)
    actions = ("approve_claims", "approve_reduced_claim", "reject_claims")
    readonly_fields = (
        "decide_link",
        "campaign",
        "merchant",
        "status",
        "window_days",
        "window_start",
        "window_end",
        "spend",
        "gmv",
        "roi_achieved",
        "target_roi",
        "tolerance",
        "computed_amount",
        "approved_amount",
        "decision_reason",
        "decided_by",
        "decided_at",
        "ledger_transaction",
        "note",
        "submitted_by",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description="age (days)")
    def age_days(self, obj: Claim) -> int:
        return (timezone.now() - obj.created_at).days

    @admin.display(description="window")
    def window(self, obj: Claim) -> str:
        return f"{obj.window_start:%Y-%m-%d} +{obj.window_days}d"

    @admin.display(description="ROI achieved")
    def roi_achieved(self, obj: Claim) -> Decimal | None:
        return obj.roi

    @admin.display(description="decision")
    def decide_link(self, obj: Claim) -> str:
        if obj.pk is None or obj.is_decided:
            return "Decided: this claim is final." if obj.pk else ""
        url = reverse("admin:disputes_claim_decide", args=[obj.pk])
        return format_html(
            '<a class="font-semibold text-primary-600" href="{}">{}</a>', url, "Review and decide"
        )

    # -- the one-claim decision page -------------------------------------------------------
    def get_urls(self) -> list[Any]:
        return [
            path(
                "<path:object_id>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="disputes_claim_decide",
            ),
            *super().get_urls(),
        ]

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if not self.has_decide_permission(request):
            raise Http404
        claim = self.get_object(request, object_id)
        change_url = reverse("admin:disputes_claim_change", args=[claim.pk])
        form = ClaimDecisionForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                claim_decide(
                    claim=claim,
                    decision=form.cleaned_data["decision"],
                    actor=request.user,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(
                    request, f"{claim}: {claim.get_status_display().lower()}.", messages.SUCCESS
                )
                return HttpResponseRedirect(change_url)
        response = confirm_page(
            self,
            request,
            [claim],
            action="",
            question=(
                f"Decide claim #{claim.pk} of {claim.merchant.name} on {claim.campaign.name}: "
                f"spend {claim.spend}, GMV {claim.gmv}, target ROI {claim.target_roi}, "
                f"computed {claim.computed_amount}"
            ),
            submit_label="Record the decision",
            form=form,
        )
        response.context_data["cancel_url"] = change_url  # type: ignore[index]
        return response

    # -- bulk actions ----------------------------------------------------------------------
    @admin.action(description="Approve the computed amounts", permissions=["decide"])
    def approve_claims(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        objects = list(queryset)
        if request.POST.get("post") != "yes":
            total = sum((c.computed_amount for c in objects), Decimal("0.00"))
            return confirm_page(
                self,
                request,
                objects,
                action="approve_claims",
                question=f"Approve {len(objects)} claim(s) for {total} in total? Each approved "
                "amount is credited to its merchant's balance once; decided claims are final.",
                submit_label="Approve",
            )
        self._decide_each(request, objects, decision=ClaimDecision.APPROVE)
        return None

    @admin.action(description="Approve a reduced amount (one claim)", permissions=["decide"])
    def approve_reduced_claim(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        objects = list(queryset)
        if len(objects) != 1:
            self.message_user(request, "Select exactly one claim to reduce.", messages.ERROR)
            return None
        claim = objects[0]
        form = ClaimDecisionForm(
            request.POST if request.POST.get("post") == "yes" else None,
            initial={"decision": ClaimDecision.APPROVE_REDUCED},
        )
        form.fields["decision"].widget = forms.HiddenInput()
        form.fields["amount"].required = True
        form.fields["reason"].required = True
        if form.is_bound and form.is_valid():
            try:
                claim_decide(
                    claim=claim,
                    decision=ClaimDecision.APPROVE_REDUCED,
                    actor=request.user,
                    amount=form.cleaned_data["amount"],
                    reason=form.cleaned_data["reason"],
                )
            except DomainError as exc:
                form.add_error(None, str(exc))
            else:
                self.message_user(request, f"{claim}: approved.", messages.SUCCESS)
                return None
        return confirm_page(
            self,
            request,
            objects,
            action="approve_reduced_claim",
            question=f"Approve a reduced amount for claim #{claim.pk} "
            f"(computed {claim.computed_amount})",
            submit_label="Approve the reduced amount",
            form=form,
        )

    @admin.action(description="Reject (with a reason)", permissions=["decide"])
    def reject_claims(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        objects = list(queryset)
        form = ReasonForm(request.POST if request.POST.get("post") == "yes" else None)
        if not (form.is_bound and form.is_valid()):
            return confirm_page(
                self,
                request,
                objects,
                action="reject_claims",
                question=f"Reject {len(objects)} claim(s)? Decided claims are final.",
                submit_label="Reject",
                form=form,
            )
        self._decide_each(
            request, objects, decision=ClaimDecision.REJECT, reason=form.cleaned_data["reason"]
        )
        return None

    def _decide_each(self, request: HttpRequest, objects: list[Claim], **arguments: Any) -> None:
        self.run_service_each(
            request,
            objects,
            claim_decide,
            arguments=lambda claim: {"claim": claim, "actor": request.user, **arguments},
            done="claim(s) decided",
        )


# --- disputes ------------------------------------------------------------------------------


@admin.register(Dispute)
class DisputeAdmin(DecisionAdminMixin, SimpleHistoryAdmin, TenantAdmin):
    view_roles = ALL_STAFF
    decide_roles = REVIEWERS
    list_display = (
        "__str__",
        "affiliate",
        "merchant",
        "order_date",
        "amount",
        "status",
        "clicks_found",
        "order_found",
        "created_at",
    )
    list_display_links = ("__str__",)
    list_select_related = ("affiliate", "merchant")
    list_filter = ("status",)
    search_fields = ("order_reference", "affiliate__email", "affiliate__name", "merchant__code")
    ordering = ("status", "-created_at")
    actions = ("accept_disputes", "reject_disputes")
    readonly_fields = (
        "affiliate",
        "merchant",
        "order_reference",
        "order_date",
        "amount",
        "note",
        "status",
        "evidence_panel",
        "decision_reason",
        "decided_by",
        "decided_at",
        "commission",
        "created_at",
    )
    fields = readonly_fields

    @admin.display(description="clicks found")
    def clicks_found(self, obj: Dispute) -> int:
        return int((obj.evidence.get("clicks") or {}).get("count", 0))

    @admin.display(description="order found", boolean=True)
    def order_found(self, obj: Dispute) -> bool:
        return bool((obj.evidence.get("order") or {}).get("found"))

    @admin.display(description="evidence (checked when filed)")
    def evidence_panel(self, obj: Dispute) -> str:
        evidence = obj.evidence or {}
        clicks = evidence.get("clicks") or {}
        order = evidence.get("order") or {}
        window = evidence.get("click_window") or {}
        rows = [
            ("Click window", f"{window.get('from', '?')} to {window.get('to', '?')}"),
            (
                "Clicks by this webmaster on this merchant",
                f"{clicks.get('count', 0)} ({clicks.get('valid', 0)} valid); first "
                f"{clicks.get('first_at') or '-'}, last {clicks.get('last_at') or '-'}"
                + (
                    f" (raw clicks kept only from {clicks['kept_from']}: the window reaches "
                    "before the retention)"
                    if clicks.get("kept_from")
                    else ""
                ),
            ),
            (
                "Order with this reference",
                (
                    f"found: conversion #{order.get('id')}, {order.get('status')}, "
                    f"{order.get('day')}, amount {order.get('amount')}"
                    + (
                        ", already attributed to this webmaster"
                        if order.get("attributed_to_this_webmaster")
                        else ""
                    )
                )
                if order.get("found")
                else "not found",
            ),
            ("Checked at", evidence.get("checked_at", "-")),
        ]
        return format_html(
            "<dl>{}</dl>",
            format_html_join("", "<dt><strong>{}</strong></dt><dd>{}</dd>", rows),
        )

    @admin.action(description="Accept (creates the commission)", permissions=["decide"])
    def accept_disputes(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        objects = list(queryset)
        if request.POST.get("post") != "yes":
            return confirm_page(
                self,
                request,
                objects,
                action="accept_disputes",
                question=f"Accept {len(objects)} dispute(s)? Each creates one commission "
                "(source: dispute) that goes into the webmaster's next statement.",
                submit_label="Accept",
            )
        self._decide_each(request, objects, accept=True)
        return None

    @admin.action(description="Reject (with a reason)", permissions=["decide"])
    def reject_disputes(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        objects = list(queryset)
        form = ReasonForm(request.POST if request.POST.get("post") == "yes" else None)
        if not (form.is_bound and form.is_valid()):
            return confirm_page(
                self,
                request,
                objects,
                action="reject_disputes",
                question=f"Reject {len(objects)} dispute(s)?",
                submit_label="Reject",
                form=form,
            )
        self._decide_each(request, objects, accept=False, reason=form.cleaned_data["reason"])
        return None

    def _decide_each(self, request: HttpRequest, objects: list[Dispute], **arguments: Any) -> None:
        self.run_service_each(
            request,
            objects,
            dispute_decide,
            arguments=lambda dispute: {"dispute": dispute, "actor": request.user, **arguments},
            done="dispute(s) decided",
        )


# The desk (issue 14): role-home panels, 360 sections and desk pages of this app.
from apps.disputes import admin_360, admin_home  # noqa: E402, F401
