"""Statements and payouts in the back office (finance), and payment holds (risk).

Every action goes through a confirmation page and calls one service from
``apps.commissions.services.statements`` (or ``affiliate_payment_hold_set``); a refusal (four
eyes, a hold, a frozen statement) is shown as an error message and changes nothing. The
changelist reads its rows with their webmaster and users in one query, and the totals per status
above it in one aggregate query.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.contrib import admin, messages
from django.db.models import Count, QuerySet, Sum
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from apps.affiliates.services import affiliate_payment_hold_set
from apps.commissions.exports import export_file, export_plan
from apps.commissions.models import Statement, StatementLine, WebmasterPaymentHold
from apps.commissions.services.statements import (
    statement_adjust,
    statement_approve,
    statement_mark_paid,
    statement_return_to_draft,
    statement_submit,
)
from apps.core.admin import TenantAdmin, TenantTabularInline
from apps.core.admin_site import staff_roles_for
from apps.tenants.clock import tenant_today

FINANCE = frozenset({"finance", "tenant_admin"})
RISK = frozenset({"risk", "tenant_admin"})
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


def _run_each(
    model_admin: TenantAdmin,
    request: HttpRequest,
    queryset: QuerySet[Any],
    func: Any,
    done: str,
    arguments: Any,
) -> None:
    """Call ``func(**arguments(obj))`` for each selected row; refusals become messages."""
    count = 0
    for obj in queryset:
        if model_admin.run_service(request, func, **arguments(obj)) is not None:
            count += 1
    if count:
        model_admin.message_user(request, f"{count} {done}.", level=messages.SUCCESS)


class StatementLineInline(TenantTabularInline):
    model = StatementLine
    fields = ("kind", "day", "description", "amount", "reason", "created_by")
    readonly_fields = fields
    view_roles = FINANCE | {"risk", "bd"}
    change_roles: frozenset[str] = frozenset()
    can_delete = False
    show_change_link = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("created_by")


@admin.register(Statement)
class StatementAdmin(SimpleHistoryAdmin, TenantAdmin):
    view_roles = FINANCE | {"risk", "bd"}
    change_roles = FINANCE
    list_display = (
        "__str__",
        "affiliate",
        "period",
        "status",
        "opening_balance",
        "lines_total",
        "total",
        "carried_forward",
        "on_hold",
        "submitted_by",
        "approved_by",
        "payout_reference",
    )
    list_display_links = ("__str__",)
    list_select_related = ("affiliate", "submitted_by", "approved_by")
    list_filter = ("status", "period", "carried_forward", "affiliate__payment_hold")
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
        "total",
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
    )
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

    # Statements are made by generate_settlements and changed only by the actions' services.
    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_finance_permission(self, request: HttpRequest) -> bool:
        return bool(staff_roles_for(request) & FINANCE)

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
        _run_each(
            self,
            request,
            queryset,
            statement_submit,
            "statement(s) submitted",
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
        _run_each(
            self,
            request,
            queryset,
            statement_approve,
            "statement(s) approved",
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
        _run_each(
            self,
            request,
            queryset,
            statement_return_to_draft,
            "statement(s) returned to draft",
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
        _run_each(
            self,
            request,
            queryset,
            statement_mark_paid,
            "statement(s) marked paid",
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
        _run_each(
            self,
            request,
            queryset,
            statement_adjust,
            "adjustment(s) added",
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


@admin.register(WebmasterPaymentHold)
class WebmasterPaymentHoldAdmin(TenantAdmin):
    """Risk staff put webmasters on payment hold or lift it, with a reason (issue 5)."""

    view_roles = RISK | {"finance"}
    change_roles = RISK
    list_display = ("name", "email", "status", "payment_hold", "payment_hold_reason")
    list_filter = ("payment_hold", "status")
    search_fields = ("name", "email")
    fields = ("name", "email", "status", "payment_hold", "payment_hold_reason")
    readonly_fields = fields
    actions = ("put_on_hold", "lift_hold")

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_risk_permission(self, request: HttpRequest) -> bool:
        return bool(staff_roles_for(request) & RISK)

    def _hold(self, request: HttpRequest, queryset: QuerySet[Any], *, hold: bool) -> Any:
        action = "put_on_hold" if hold else "lift_hold"
        reason = request.POST.get("reason", "").strip()
        if "apply" not in request.POST or not reason:
            if "apply" in request.POST:
                self.message_user(request, "Give a reason.", messages.ERROR)
            return _confirm(
                self,
                request,
                queryset,
                action=action,
                title="Put payouts on hold" if hold else "Lift the payment hold",
                field=("reason", "Reason"),
                help_text="Statements still generate; none is approved while the hold lasts.",
            )
        _run_each(
            self,
            request,
            queryset,
            affiliate_payment_hold_set,
            "webmaster(s) put on hold" if hold else "hold(s) lifted",
            arguments=lambda obj: {
                "affiliate": obj,
                "hold": hold,
                "reason": reason,
                "actor": request.user,
            },
        )
        return None

    @admin.action(description="Put payouts on hold", permissions=["risk"])
    def put_on_hold(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return self._hold(request, queryset, hold=True)

    @admin.action(description="Lift the payment hold", permissions=["risk"])
    def lift_hold(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return self._hold(request, queryset, hold=False)
