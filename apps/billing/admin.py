"""Merchant billing in the back office (finance): invoices and their four-eyes workflow, a
printable invoice, deposits, merchants' billing terms, and the network's monthly P&L.

Every action calls one service of ``apps.billing.services``; a refusal (four eyes, a stale
commission, an open period) is an error message and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin

from apps.billing.models import (
    MerchantBillingTerms,
    MerchantDeposit,
    MerchantInvoice,
    MerchantInvoiceLine,
)
from apps.billing.selectors import merchant_prepaid_positions, network_pnl
from apps.billing.services.invoices import (
    invoice_approve,
    invoice_mark_paid,
    invoice_return_to_draft,
    invoice_submit,
    invoices_generate,
)
from apps.billing.services.prepaid import is_low, merchant_deposit_record
from apps.commissions.admin_statements import _confirm
from apps.core.admin import ReadOnlyTenantAdmin, TenantAdmin, TenantTabularInline
from apps.core.admin_site import staff_roles_for
from apps.core.errors import DomainError
from apps.core.roles import BD, FINANCE
from apps.tenants.clock import PeriodError, period_bounds, previous_period, tenant_today


class MerchantInvoiceLineInline(TenantTabularInline):
    model = MerchantInvoiceLine
    fields = ("kind", "description", "quantity", "amount")
    readonly_fields = fields
    view_roles = FINANCE
    change_roles: frozenset[str] = frozenset()
    can_delete = False
    show_change_link = False


@admin.register(MerchantInvoice)
class MerchantInvoiceAdmin(SimpleHistoryAdmin, ReadOnlyTenantAdmin):
    view_roles = FINANCE
    change_roles = FINANCE
    list_display = (
        "__str__",
        "merchant",
        "period",
        "status",
        "commissions_total",
        "fee_total",
        "spend_total",
        "rebate_total",
        "credit_total",
        "total",
        "submitted_by",
        "approved_by",
        "print_link",
    )
    list_display_links = ("__str__",)
    list_select_related = ("merchant", "submitted_by", "approved_by")
    list_filter = ("status", "period")
    search_fields = ("merchant__name", "merchant__code", "payment_reference")
    ordering = ("-period", "merchant__name")
    inlines = (MerchantInvoiceLineInline,)
    list_before_template = "admin/billing/invoice_links.html"
    readonly_fields = (
        "merchant",
        "period",
        "period_start",
        "period_end",
        "status",
        "fee_percent",
        "commissions_total",
        "fee_total",
        "spend_total",
        "rebate_total",
        "credit_total",
        "total",
        "submitted_by",
        "submitted_at",
        "approved_by",
        "approved_at",
        "paid_by",
        "paid_at",
        "payment_reference",
        "returned_reason",
    )
    actions = ("submit_invoices", "approve_invoices", "return_to_draft", "mark_paid")

    def has_finance_permission(self, request: HttpRequest) -> bool:
        return bool(staff_roles_for(request) & FINANCE)

    @admin.display(description="print")
    def print_link(self, obj: MerchantInvoice) -> str:
        url = reverse("admin:billing_merchantinvoice_print", args=[obj.pk])
        return format_html('<a href="{}" target="_blank">Print</a>', url)

    def get_urls(self) -> list[Any]:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:invoice_id>/print/",
                wrap(self.print_view),
                name="billing_merchantinvoice_print",
            ),
            path("pnl/", wrap(self.pnl_view), name="billing_merchantinvoice_pnl"),
            path("generate/", wrap(self.generate_view), name="billing_merchantinvoice_generate"),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        period = previous_period(tenant_today(request.tenant))  # type: ignore[attr-defined]
        extra_context = {**(extra_context or {}), "last_period": period}
        return super().changelist_view(request, extra_context)

    def _require_view(self, request: HttpRequest) -> None:
        if not self.has_view_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied

    def print_view(self, request: HttpRequest, invoice_id: int) -> HttpResponse:
        """A printable invoice (the browser's print makes the PDF)."""
        self._require_view(request)
        invoice = get_object_or_404(
            self.get_queryset(request).select_related("merchant", "approved_by"), pk=invoice_id
        )
        context = {
            "invoice": invoice,
            "lines": list(invoice.lines.all()),
            "tenant": request.tenant,  # type: ignore[attr-defined]
        }
        return TemplateResponse(request, "admin/billing/invoice_print.html", context)

    def pnl_view(self, request: HttpRequest) -> HttpResponse:
        """The network's P&L for a month (``?period=YYYY-MM``, default last month)."""
        self._require_view(request)
        today = tenant_today(request.tenant)  # type: ignore[attr-defined]
        period = request.GET.get("period") or previous_period(today)
        try:
            period_bounds(period)
        except PeriodError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            period = previous_period(today)
        report = network_pnl(period=period)
        context = {
            **self.admin_site.each_context(request),
            "title": f"Network P&L {period}",
            "period": period,
            "report": report,
            "rows": report.rows(),
            "comparisons": [
                {"figure": f, "records": r, "ledger": b, "agrees": r == b}
                for f, r, b in report.comparisons()
            ],
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/billing/pnl.html", context)

    def generate_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST" or not self.has_finance_permission(request):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        period = request.POST.get("period", "")
        try:
            summary = invoices_generate(period=period, actor=request.user)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(
                request,
                f"Invoices {period}: {summary['invoices']} draft(s) ({summary['created']} new), "
                f"{summary['skipped']} under review or final left alone.",
                messages.SUCCESS,
            )
        return HttpResponseRedirect(reverse("admin:billing_merchantinvoice_changelist"))

    # -- actions -------------------------------------------------------------------------
    @admin.action(description="Submit for approval", permissions=["finance"])
    def submit_invoices(self, request: HttpRequest, queryset: Any) -> Any:
        if "apply" not in request.POST:
            return _confirm(self, request, queryset, action="submit_invoices", title="Submit")
        self.run_service_each(
            request,
            queryset,
            invoice_submit,
            done="invoice(s) submitted",
            arguments=lambda obj: {"invoice": obj, "actor": request.user},
        )
        return None

    @admin.action(description="Approve (four eyes)", permissions=["finance"])
    def approve_invoices(self, request: HttpRequest, queryset: Any) -> Any:
        if "apply" not in request.POST:
            return _confirm(
                self,
                request,
                queryset,
                action="approve_invoices",
                title="Approve invoices",
                help_text="You may not approve an invoice you submitted. Approved invoices "
                "never change; approval posts them to the ledger.",
            )
        self.run_service_each(
            request,
            queryset,
            invoice_approve,
            done="invoice(s) approved",
            arguments=lambda obj: {"invoice": obj, "actor": request.user},
        )
        return None

    @admin.action(description="Return to draft (with a reason)", permissions=["finance"])
    def return_to_draft(self, request: HttpRequest, queryset: Any) -> Any:
        reason = request.POST.get("reason", "").strip()
        if "apply" not in request.POST or not reason:
            return _confirm(
                self,
                request,
                queryset,
                action="return_to_draft",
                title="Return to draft",
                field=("reason", "Reason"),
            )
        self.run_service_each(
            request,
            queryset,
            invoice_return_to_draft,
            done="invoice(s) returned to draft",
            arguments=lambda obj: {"invoice": obj, "actor": request.user, "reason": reason},
        )
        return None

    @admin.action(description="Record payment (bank reference)", permissions=["finance"])
    def mark_paid(self, request: HttpRequest, queryset: Any) -> Any:
        reference = request.POST.get("payment_reference", "").strip()
        if "apply" not in request.POST or not reference:
            return _confirm(
                self,
                request,
                queryset,
                action="mark_paid",
                title="Record the merchant's payment",
                field=("payment_reference", "Payment reference"),
            )
        many = queryset.count() > 1
        self.run_service_each(
            request,
            queryset,
            invoice_mark_paid,
            done="invoice(s) marked paid",
            arguments=lambda obj: {
                "invoice": obj,
                "actor": request.user,
                "payment_reference": f"{reference}-{obj.pk}" if many else reference,
            },
        )
        return None


@admin.register(MerchantDeposit)
class MerchantDepositAdmin(TenantAdmin):
    """Finance records prepaid money received; the service posts it to the ledger."""

    view_roles = FINANCE
    change_roles = FINANCE
    list_display = ("received_on", "merchant", "amount", "reference", "recorded_by", "position")
    list_select_related = ("merchant", "recorded_by")
    list_filter = ("received_on",)
    search_fields = ("merchant__name", "merchant__code", "reference")
    fields = ("merchant", "amount", "received_on", "reference", "note")
    autocomplete_fields = ("merchant",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Recorded money is never edited: a wrong deposit is corrected by finance in the ledger.
        return obj is None and super().has_change_permission(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return self.fields if obj is not None else ()

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        # The page's merchants' positions in one go (three grouped queries), not three
        # queries per row (issue 19: a changelist's query count must not grow with its rows).
        changelist = super().get_changelist_instance(request)
        rows = list(changelist.result_list)
        positions = merchant_prepaid_positions(merchant_ids=sorted({r.merchant_id for r in rows}))
        for row in rows:
            row.prepaid_position = positions.get(row.merchant_id)
        return changelist

    @admin.display(description="available now")
    def position(self, obj: MerchantDeposit) -> str:
        pos = getattr(obj, "prepaid_position", None)
        if pos is None:  # not from the changelist (e.g. a detail page)
            pos = merchant_prepaid_positions(merchant_ids=[obj.merchant_id])[obj.merchant_id]
        flag = " (low)" if is_low(pos) else ""
        return f"{pos.available}{flag}"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        deposit = merchant_deposit_record(
            merchant=obj.merchant,
            amount=obj.amount,
            received_on=obj.received_on,
            reference=obj.reference,
            note=obj.note,
            actor=request.user,
        )
        obj.pk = deposit.pk
        obj.tenant = deposit.tenant

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> Any:
        try:
            return super().add_view(request, form_url, extra_context)
        except DomainError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return HttpResponseRedirect(request.path)


@admin.register(MerchantBillingTerms)
class MerchantBillingTermsAdmin(SimpleHistoryAdmin, TenantAdmin):
    """The merchants with their own fee. Terms change only on a merchant's billing settings
    page (``admin_terms``: ``merchant_billing_terms_set``, with a reason and, when a draft
    invoice changes, a confirmation), never through this model form."""

    view_roles = FINANCE | BD
    change_roles = FINANCE
    list_display = ("merchant", "fee_percent", "note", "settings_link")
    list_select_related = ("merchant",)
    search_fields = ("merchant__name", "merchant__code")
    fields = ("merchant", "fee_percent", "note", "settings_link")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description="settings")
    def settings_link(self, obj: MerchantBillingTerms) -> str:
        url = reverse("admin:desk-merchant-billing", args=[obj.merchant_id])
        return format_html('<a href="{}" class="text-primary-600 underline">change</a>', url)


from apps.billing import admin_terms  # noqa: E402, F401
