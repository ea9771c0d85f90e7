"""Statements and payouts in the back office (finance), and payment holds (finance and risk).

Every action goes through a confirmation page and calls one service from
``apps.commissions.services.statements`` (or ``affiliate_payment_hold_set``); a refusal (four
eyes, a hold, a frozen statement) is shown as an error message and changes nothing. The
changelist reads its rows with their webmaster and users in one query, and the totals per status
above it in one aggregate query.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, QuerySet, Sum, prefetch_related_objects
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.safestring import SafeString
from simple_history.admin import SimpleHistoryAdmin
from unfold.decorators import action
from unfold.widgets import UnfoldAdminTextInputWidget

from apps.affiliates.models import Affiliate
from apps.affiliates.services import affiliate_payment_hold_set
from apps.commissions.exports import export_file, export_plan
from apps.commissions.models import Statement, StatementLine, WebmasterPaymentHold
from apps.commissions.selectors_statements import (
    commissions_not_on_statement,
    statement_subtotals,
)
from apps.commissions.services.statements import (
    statement_adjust,
    statement_approve,
    statement_mark_paid,
    statement_return_to_draft,
    statement_submit,
)
from apps.core.admin import ReadOnlyTenantAdmin, TenantAdmin, TenantTabularInline
from apps.core.admin_site import staff_roles_for
from apps.core.display import format_money
from apps.core.roles import ALL_STAFF, FINANCE, RISK
from apps.tenants.clock import tenant_today

#: who places and lifts payment holds (issue 14: finance too, not only the tenant admin)
HOLDERS = FINANCE | RISK
CONFIRM_TEMPLATE = "admin/commissions/statement/confirm_action.html"


def _confirm(
    model_admin: TenantAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    *,
    action: str,
    title: str,
    field: tuple[str, str] | None = None,
    help_text: str = "",
) -> TemplateResponse:
    """The confirmation page of a bulk action (optionally asking for a reason, reference or
    amount); posting it back with ``apply`` runs the action."""
    context = {
        **model_admin.admin_site.each_context(request),
        "title": title,
        "objects": list(queryset),
        "action": action,
        "field": field,
        "field_value": request.POST.get(field[0], "") if field else "",
        "help_text": help_text,
        "opts": model_admin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, CONFIRM_TEMPLATE, context)


class AwaitingApprovalFilter(admin.SimpleListFilter):
    """Submitted statements this person may approve (four eyes: not submitted or last adjusted
    by them): finance's home links here."""

    title = "approval"
    parameter_name = "approval"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("mine", "Waiting for my approval")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() != "mine":
            return queryset
        return (
            queryset.filter(status="submitted")
            .exclude(submitted_by_id=request.user.pk)
            .exclude(last_adjusted_by_id=request.user.pk)
        )


class StatementLineInline(TenantTabularInline):
    model = StatementLine
    fields = ("kind", "day", "description", "amount", "reason", "created_by")
    readonly_fields = fields
    view_roles = ALL_STAFF
    change_roles: frozenset[str] = frozenset()
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("created_by")


@admin.register(Statement)
class StatementAdmin(SimpleHistoryAdmin, ReadOnlyTenantAdmin):
    view_roles = ALL_STAFF
    change_roles = FINANCE
    # Fits the screen (issue 14): the name says period, webmaster and total; the rest is on the
    # statement's page.
    list_display = (
        "__str__",
        "status",
        "carried_forward",
        "on_hold",
        "submitted_by",
        "approved_by",
    )
    list_display_links = ("__str__",)
    list_select_related = ("affiliate", "submitted_by", "approved_by")
    list_filter = (
        AwaitingApprovalFilter,
        "status",
        "period",
        "carried_forward",
        "affiliate__payment_hold",
    )
    search_fields = ("affiliate__name", "affiliate__email", "payout_reference")
    ordering = ("-period", "affiliate__name")
    inlines = (StatementLineInline,)
    list_before_template = "admin/commissions/statement/totals.html"
    readonly_fields = (
        "affiliate",
        "period",
        "period_start",
        "period_end",
        "status",
        "opening_balance",
        "lines_total",
        "gross_figure",
        "tax_withheld",
        "withholding_rule",
        "total",
        "payout_currency",
        "payout_rate",
        "payout_amount",
        "carried_forward",
        "submitted_by",
        "submitted_at",
        "last_adjusted_by",
        "approved_by",
        "approved_at",
        "paid_by",
        "paid_at",
        "payout_reference",
        "returned_reason",
        "subtotals",
        "not_on_statement",
    )
    # The statement's own page carries the actions its status allows (issue 14).
    actions_detail = (
        "detail_submit",
        "detail_approve",
        "detail_return",
        "detail_mark_paid",
        "detail_adjust",
    )
    DETAIL_FOR_STATUS = {
        "draft": {"detail_submit", "detail_adjust"},
        "submitted": {"detail_approve", "detail_return"},
        "approved": {"detail_mark_paid"},
        "paid": set(),
    }
    actions = (
        "submit_statements",
        "approve_statements",
        "return_to_draft",
        "mark_paid",
        "add_adjustment",
        "export_csv",
        "export_xlsx",
    )

    @admin.display(boolean=True, description="payment hold")
    def on_hold(self, obj: Statement) -> bool:
        return obj.affiliate.payment_hold

    @admin.display(description="gross (before tax)")
    def gross_figure(self, obj: Statement) -> str:
        return format_money(obj.gross)

    # Subtotals and the pending note are the portal's and the printable statement's own
    # selectors (issue 13: one figure, one computation), so finance sees what the webmaster sees.
    @admin.display(description="subtotals")
    def subtotals(self, obj: Statement) -> SafeString:
        lines = StatementLine.objects.select_related("commission").order_by("kind", "day", "pk")
        prefetch_related_objects([obj], Prefetch("lines", queryset=lines))
        return self._explain(obj, subtotals=statement_subtotals(obj))

    @admin.display(description="not on this statement")
    def not_on_statement(self, obj: Statement) -> SafeString:
        rows = commissions_not_on_statement(affiliate=obj.affiliate, until=obj.period_end)
        return self._explain(obj, not_on_statement=rows)

    @staticmethod
    def _explain(obj: Statement, **context: Any) -> SafeString:
        return SafeString(
            render_to_string(
                "admin/commissions/statement/explain.html", {"statement": obj, **context}
            )
        )

    def get_urls(self) -> list[Any]:
        from django.urls import path

        wrap = self.admin_site.admin_view
        return [
            path(
                "withholding/",
                wrap(self.withholding_view),
                name="commissions_statement_withholding",
            ),
            *super().get_urls(),
        ]

    def withholding_view(self, request: HttpRequest) -> HttpResponse:
        """The month's income tax withheld per webmaster (``?period=YYYY-MM``, default last
        month; ``&format=csv|xlsx`` downloads it). Finance only: the file holds tax ids."""
        if not self.has_finance_permission(request):
            raise PermissionDenied
        from apps.commissions.withholding_report import (
            withholding_csv,
            withholding_rows,
            withholding_xlsx,
        )
        from apps.tenants.clock import PeriodError, period_bounds, previous_period

        today = tenant_today(request.tenant)  # type: ignore[attr-defined]
        period = request.GET.get("period") or previous_period(today)
        try:
            period_bounds(period)
        except PeriodError as exc:
            self.message_user(request, str(exc), messages.ERROR)
            period = previous_period(today)
        rows = withholding_rows(period=period)
        kind = request.GET.get("format")
        if kind in ("csv", "xlsx"):
            body = withholding_csv(rows) if kind == "csv" else withholding_xlsx(rows)
            content_type = (
                "text/csv"
                if kind == "csv"
                else "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
            )
            response = HttpResponse(body, content_type=content_type)
            response["Content-Disposition"] = f'attachment; filename="withholding-{period}.{kind}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": f"Income tax withheld {period}",
            "period": period,
            "rows": rows,
            "total_tax": sum((row.statement.tax_withheld for row in rows), Decimal("0.00")),
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/commissions/statement/withholding.html", context)

    # Statements are made by generate_settlements and changed only by the actions' services.
    def has_finance_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return bool(staff_roles_for(request) & FINANCE)

    # -- the statement page's buttons ------------------------------------------------------
    def get_actions_detail(self, request: HttpRequest, object_id: Any) -> list[Any]:
        actions = super().get_actions_detail(request, object_id)
        status = (
            self.get_queryset(request).filter(pk=object_id).values_list("status", flat=True).first()
        )
        prefix = f"{self.opts.app_label}_{self.opts.model_name}_"
        wanted = {prefix + name for name in self.DETAIL_FOR_STATUS.get(status or "", set())}
        return [a for a in actions if a.action_name in wanted]

    def _detail(self, request: HttpRequest, object_id: str, bulk: Any) -> HttpResponse:
        """Run a list action on this one statement: its confirmation page posts back here."""
        statement = self.get_object(request, object_id)
        one = self.get_queryset(request).filter(pk=statement.pk)
        response = bulk(request, one)
        if response is not None:
            return response
        return HttpResponseRedirect(
            reverse("admin:commissions_statement_change", args=[statement.pk])
        )

    @action(description="Submit for approval", permissions=["finance"], url_path="submit")
    def detail_submit(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._detail(request, object_id, self.submit_statements)

    @action(description="Approve for payout", permissions=["finance"], url_path="approve")
    def detail_approve(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._detail(request, object_id, self.approve_statements)

    @action(description="Return to draft", permissions=["finance"], url_path="return")
    def detail_return(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._detail(request, object_id, self.return_to_draft)

    @action(description="Mark paid", permissions=["finance"], url_path="mark-paid")
    def detail_mark_paid(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._detail(request, object_id, self.mark_paid)

    @action(description="Add an adjustment", permissions=["finance"], url_path="adjust")
    def detail_adjust(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return self._detail(request, object_id, self.add_adjustment)

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        totals = self.get_queryset(request)
        if request.GET.get("period__exact"):
            totals = totals.filter(period=request.GET["period__exact"])
        rows = {
            row["status"]: row
            for row in totals.order_by()
            .values("status")
            .annotate(count=Count("id"), amount=Sum("total"))
        }
        status_totals = [
            {
                "label": label,
                "count": rows.get(value, {}).get("count", 0),
                "amount": rows.get(value, {}).get("amount") or Decimal("0.00"),
            }
            for value, label in Statement._meta.get_field("status").choices
        ]
        extra_context = {**(extra_context or {}), "status_totals": status_totals}
        return super().changelist_view(request, extra_context)

    # -- actions -------------------------------------------------------------------------
    @admin.action(description="Submit for approval", permissions=["finance"])
    def submit_statements(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        if "apply" not in request.POST:
            return _confirm(self, request, queryset, action="submit_statements", title="Submit")
        self.run_service_each(
            request,
            queryset,
            statement_submit,
            done="statement(s) submitted",
            arguments=lambda obj: {"statement": obj, "actor": request.user},
        )
        return None

    @admin.action(description="Approve for payout (four eyes)", permissions=["finance"])
    def approve_statements(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        if "apply" not in request.POST:
            return _confirm(
                self,
                request,
                queryset,
                action="approve_statements",
                title="Approve for payout",
                help_text="You may not approve a statement you submitted or adjusted. "
                "Approved statements never change again.",
            )
        self.run_service_each(
            request,
            queryset,
            statement_approve,
            done="statement(s) approved",
            arguments=lambda obj: {"statement": obj, "actor": request.user},
        )
        return None

    @admin.action(description="Return to draft (with a reason)", permissions=["finance"])
    def return_to_draft(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        reason = request.POST.get("reason", "").strip()
        if "apply" not in request.POST or not reason:
            if "apply" in request.POST:
                self.message_user(request, "Give a reason to return to draft.", messages.ERROR)
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
            statement_return_to_draft,
            done="statement(s) returned to draft",
            arguments=lambda obj: {"statement": obj, "actor": request.user, "reason": reason},
        )
        return None

    @admin.action(description="Mark paid (payout reference)", permissions=["finance"])
    def mark_paid(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        reference = request.POST.get("payout_reference", "").strip()
        if "apply" not in request.POST or not reference:
            if "apply" in request.POST:
                self.message_user(request, "Give the bank's payout reference.", messages.ERROR)
            return _confirm(
                self,
                request,
                queryset,
                action="mark_paid",
                title="Mark paid",
                field=("payout_reference", "Payout reference"),
                help_text="The reference of the bank transfer; with several statements "
                "selected, each gets this reference followed by its statement number.",
            )
        many = queryset.count() > 1
        self.run_service_each(
            request,
            queryset,
            statement_mark_paid,
            done="statement(s) marked paid",
            arguments=lambda obj: {
                "statement": obj,
                "actor": request.user,
                "payout_reference": f"{reference}-{obj.pk}" if many else reference,
            },
        )
        return None

    @admin.action(description="Add an adjustment (draft only)", permissions=["finance"])
    def add_adjustment(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        raw_amount = request.POST.get("amount", "").strip()
        reason = request.POST.get("reason", "").strip()
        amount: Decimal | None
        try:
            amount = Decimal(raw_amount) if raw_amount else None
        except InvalidOperation:
            amount = None
        if "apply" not in request.POST or amount is None or not reason:
            if "apply" in request.POST:
                self.message_user(
                    request, "Give an amount such as -25.00 and a reason.", messages.ERROR
                )
            return _confirm_adjustment(self, request, queryset)
        self.run_service_each(
            request,
            queryset,
            statement_adjust,
            done="adjustment(s) added",
            arguments=lambda obj: {
                "statement": obj,
                "amount": amount,
                "reason": reason,
                "actor": request.user,
            },
        )
        return None

    @admin.action(description="Export for the bank (CSV)", permissions=["finance"])
    def export_csv(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._export(request, queryset, "csv")

    @admin.action(description="Export for the bank (XLSX)", permissions=["finance"])
    def export_xlsx(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        return self._export(request, queryset, "xlsx")

    def _export(
        self, request: HttpRequest, queryset: QuerySet[Any], kind: str
    ) -> HttpResponse | None:
        currency = request.tenant.currency  # type: ignore[attr-defined]
        plan = export_plan(queryset.select_related("affiliate"), currency=currency)
        for statement, why in plan.left_out:
            self.message_user(
                request,
                f"Left out of the bank file: {statement}: {why}.",
                messages.WARNING,
            )
        if not plan.rows:
            self.message_user(
                request,
                "Nothing to export: only approved or paid statements of webmasters with "
                "complete payout details go to the bank.",
                messages.ERROR,
            )
            return None
        stamp = tenant_today(request.tenant).isoformat()  # type: ignore[attr-defined]
        body, content_type = export_file(plan, kind)
        response = HttpResponse(body, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="payouts-{stamp}.{kind}"'
        return response


def _confirm_adjustment(
    model_admin: TenantAdmin, request: HttpRequest, queryset: QuerySet[Any]
) -> TemplateResponse:
    response = _confirm(
        model_admin,
        request,
        queryset,
        action="add_adjustment",
        title="Add an adjustment",
        field=("amount", "Amount (e.g. -25.00)"),
        help_text="The reason is kept on the line; you will not be able to approve a "
        "statement you adjusted.",
    )
    response.context_data["reason_field"] = True  # type: ignore[index]
    response.context_data["reason_value"] = request.POST.get("reason", "")  # type: ignore[index]
    return response


class HoldForm(forms.Form):
    webmaster = forms.EmailField(
        label="Webmaster's email",
        widget=UnfoldAdminTextInputWidget,
        help_text="The email the webmaster is registered with.",
    )
    reason = forms.CharField(
        max_length=500,
        label="Reason",
        widget=UnfoldAdminTextInputWidget,
        help_text="Kept with the hold and in the webmaster's history.",
    )


@admin.register(WebmasterPaymentHold)
class WebmasterPaymentHoldAdmin(TenantAdmin):
    """Payment holds (issues 5, 14): finance and risk put a webmaster's payouts on hold with a
    reason, and lift it with one. The list holds only held webmasters; "Put on hold" asks for
    the webmaster and the reason (the webmaster 360 page and the risk desk link here with the
    webmaster filled in)."""

    view_roles = HOLDERS
    change_roles = HOLDERS
    list_display = ("name", "email", "status", "payment_hold_reason")
    list_filter = ("status",)
    search_fields = ("name", "email")
    fields = ("name", "email", "status", "payment_hold", "payment_hold_reason")
    readonly_fields = fields
    actions = ("lift_hold",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).filter(payment_hold=True)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self._has_role(request, self.change_roles)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_hold_permission(self, request: HttpRequest, object_id: Any = None) -> bool:
        return self._has_role(request, self.change_roles)

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """Put one webmaster on hold: their email and a reason."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {}
        chosen = request.GET.get("affiliate", "")
        if chosen.isdigit():
            found = Affiliate.objects.filter(tenant=request.tenant, pk=int(chosen)).first()  # type: ignore[attr-defined]
            if found is not None:
                initial["webmaster"] = found.email
        form = HoldForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            email = form.cleaned_data["webmaster"]
            affiliate = Affiliate.objects.filter(
                tenant=request.tenant,  # type: ignore[attr-defined]
                email__iexact=email,
            ).first()
            if affiliate is None:
                form.add_error("webmaster", f"No webmaster with the email {email} here.")
            else:
                done = self.run_service(
                    request,
                    affiliate_payment_hold_set,
                    affiliate=affiliate,
                    hold=True,
                    reason=form.cleaned_data["reason"],
                    actor=request.user,
                )
                if done is not None:
                    self.message_user(
                        request,
                        f"Payouts to {affiliate.name} are on hold: {form.cleaned_data['reason']}",
                        messages.SUCCESS,
                    )
                    return HttpResponseRedirect(
                        reverse("admin:commissions_webmasterpaymenthold_changelist")
                    )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Put payouts on hold",
            "form": form,
            "help_text": "Statements still generate; none is approved while the hold lasts.",
        }
        return TemplateResponse(request, "admin/commissions/hold_form.html", context)

    @admin.action(description="Lift the payment hold", permissions=["hold"])
    def lift_hold(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        reason = request.POST.get("reason", "").strip()
        if "apply" not in request.POST or not reason:
            if "apply" in request.POST:
                self.message_user(request, "Give a reason.", messages.ERROR)
            return _confirm(
                self,
                request,
                queryset,
                action="lift_hold",
                title="Lift the payment hold",
                field=("reason", "Reason"),
                help_text="Their statements can be approved again.",
            )
        self.run_service_each(
            request,
            queryset,
            affiliate_payment_hold_set,
            done="hold(s) lifted",
            arguments=lambda obj: {
                "affiliate": obj,
                "hold": False,
                "reason": reason,
                "actor": request.user,
            },
        )
        return None
