"""Commissions, earnings and the ledger in the back office. Statements are in
``admin_statements`` (built separately).

- Commission rules: BD and tenant admins edit them (with history); everyone on staff reads
  them. Editing a rule never changes past money: commissions keep their rule's rate.
- Commissions, daily earnings, merchant rebates and the ledger are read-only records.
- Finance, risk and tenant admins see the ledger: accounts with their balances (one
  aggregate query per page), each account's entries, transactions with their legs.
- Finance and tenant admins edit the rebate tiers.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import DecimalField, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from simple_history.admin import SimpleHistoryAdmin
from unfold.decorators import action, display

from apps.commissions import admin_statements  # noqa: F401
from apps.commissions.models import (
    BonusTier,
    Commission,
    CommissionRule,
    DailyEarning,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    MerchantRebate,
    RebateTier,
    ReconcileRun,
)
from apps.commissions.services.rules import (
    RULE_FIELDS,
    commission_rule_create,
    commission_rule_update,
)
from apps.core.admin import ReadOnlyTenantAdmin, TenantAdmin, TenantTabularInline
from apps.core.display import format_money
from apps.core.roles import ALL_STAFF, BD, FINANCE, LEDGER_READERS, NOBODY, RISK

ZERO = Value(0, output_field=DecimalField(max_digits=14, decimal_places=2))


@admin.register(CommissionRule)
class CommissionRuleAdmin(SimpleHistoryAdmin, TenantAdmin):
    view_roles = ALL_STAFF
    change_roles = BD
    list_display = [
        "event",
        "merchant",
        "affiliate",
        "affiliate_kind",
        "customer_type",
        "product_type",
        "rate",
        "priority",
        "valid_from",
        "valid_to",
        "is_active",
    ]
    list_filter = ["event", "customer_type", "rate_type", "is_active", "affiliate_kind", "merchant"]
    list_select_related = ["merchant", "affiliate"]
    search_fields = ["product_type", "merchant__code", "merchant__name", "affiliate__email"]
    autocomplete_fields = ["merchant", "affiliate"]
    readonly_fields = ["created_by", "created_at"]
    actions_list = ["import_file"]
    fieldsets = [
        (None, {"fields": ["event", "rate_type", "value", "priority", "is_active"]}),
        (
            "Who and what it applies to (blank: any)",
            {
                "fields": [
                    "merchant",
                    "affiliate",
                    "affiliate_kind",
                    "customer_type",
                    "product_type",
                ]
            },
        ),
        ("Validity", {"fields": ["valid_from", "valid_to", "created_by", "created_at"]}),
    ]

    @display(description="Rate")
    def rate(self, rule: CommissionRule) -> str:
        return f"{rule.value}%" if rule.rate_type == "percent" else f"{rule.value} fixed"

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        # the form has validated the fields (the model's checks and constraints); the service
        # writes the rule and its history row
        values = {
            name: form.cleaned_data[name] for name in RULE_FIELDS if name in form.cleaned_data
        }
        if change:
            changed = {name: values[name] for name in form.changed_data if name in values}
            commission_rule_update(rule=obj, actor=request.user, **changed)
            return
        created = commission_rule_create(actor=request.user, **values)
        obj.pk, obj.tenant, obj.created_by = created.pk, created.tenant, created.created_by
        obj._state.adding = False

    @action(description="Import", icon="upload", url_path="import-file", permissions=["change"])
    def import_file(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(
            reverse("admin:tenants_importjob_add") + "?resource=commission_rules"
        )


@admin.register(Commission)
class CommissionAdmin(ReadOnlyTenantAdmin):
    view_roles = ALL_STAFF
    list_display = [
        "day",
        "affiliate",
        "merchant",
        "event",
        "rate_type",
        "rate_value",
        "amount",
        "reversed_amount",
        "status",
        "source",
    ]
    list_filter = ["status", "event", "source", "rate_type", "reversal_reason", "day"]
    list_select_related = ["affiliate", "merchant"]
    search_fields = ["affiliate__email", "source_reference", "order_reference"]
    date_hierarchy = "day"
    readonly_fields = [f.name for f in Commission._meta.fields]


@admin.register(DailyEarning)
class DailyEarningAdmin(ReadOnlyTenantAdmin):
    view_roles = ALL_STAFF
    list_display = [
        "day",
        "placement",
        "affiliate",
        "valid_clicks",
        "click_income",
        "guarantee_topup",
        "registration_commission",
        "order_commission",
        "total",
    ]
    list_filter = ["day"]
    list_select_related = ["placement", "affiliate"]
    search_fields = ["affiliate__email", "placement__code"]
    readonly_fields = [f.name for f in DailyEarning._meta.fields]


@admin.register(RebateTier)
class RebateTierAdmin(TenantAdmin):
    view_roles = ALL_STAFF
    change_roles = FINANCE
    delete_roles = FINANCE  # configuration, not money: credited rebates keep their rate
    list_display = ["merchant_tier", "monthly_spend_from", "rate"]
    list_filter = ["merchant_tier"]


@admin.register(BonusTier)
class BonusTierAdmin(SimpleHistoryAdmin, TenantAdmin):
    """Monthly bonus tiers for webmasters (issue 17): the network's (no merchant) or a
    merchant's; evaluated when statements are generated."""

    view_roles = ALL_STAFF
    change_roles = FINANCE
    delete_roles = FINANCE  # configuration: paid bonuses keep their statement lines
    list_display = ["merchant", "gmv_from", "percent", "fixed_amount", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["merchant"]
    search_fields = ["merchant__code", "merchant__name"]
    autocomplete_fields = ["merchant"]


@admin.register(MerchantRebate)
class MerchantRebateAdmin(ReadOnlyTenantAdmin):
    view_roles = LEDGER_READERS
    list_display = ["period", "merchant", "spend", "rate", "amount"]
    list_filter = ["period"]
    list_select_related = ["merchant"]
    search_fields = ["merchant__code", "merchant__name"]
    readonly_fields = [f.name for f in MerchantRebate._meta.fields]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnlyTenantAdmin):
    """The ledger per webmaster and per merchant: each account with its balance."""

    view_roles = LEDGER_READERS
    list_display = ["kind", "party", "currency", "balance", "entries_link"]
    list_filter = ["kind", "currency"]
    list_select_related = ["affiliate", "merchant"]
    search_fields = ["affiliate__email", "affiliate__name", "merchant__code", "merchant__name"]
    readonly_fields = ["kind", "affiliate", "merchant", "currency", "balance", "entries_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super()
            .get_queryset(request)
            .annotate(balance_sum=Coalesce(Sum("entries__amount"), ZERO))
        )

    @display(description="Party")
    def party(self, account: LedgerAccount) -> str:
        return str(account.affiliate or account.merchant or "Network")

    @display(description="Balance", ordering="balance_sum")
    def balance(self, account: LedgerAccount) -> Any:
        # in the account's own currency (issue 17)
        return format_money(account.balance_sum, account.currency)

    @display(description="Entries")
    def entries_link(self, account: LedgerAccount) -> str:
        url = reverse("admin:commissions_ledgerentry_changelist")
        return format_html('<a href="{}?account__id__exact={}">entries</a>', url, account.pk)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyTenantAdmin):
    view_roles = LEDGER_READERS
    list_display = ["id", "created_at", "account", "leg", "transaction"]
    list_filter = ["account__kind", "account__currency"]
    list_select_related = [
        "account",
        "account__affiliate",
        "account__merchant",
        "transaction",
    ]
    search_fields = ["transaction__idempotency_key", "account__affiliate__email"]
    readonly_fields = ["transaction", "account", "amount", "created_at"]

    ordering = ["-id"]

    @display(description="Amount", ordering="amount")
    def leg(self, entry: LedgerEntry) -> str:
        return format_money(entry.amount, entry.account.currency)

    def lookup_allowed(self, lookup: str, value: str, request: Any = None) -> bool:
        return lookup == "account__id__exact" or super().lookup_allowed(lookup, value, request)


class LedgerEntryInline(TenantTabularInline):
    model = LedgerEntry
    fields = ["account", "leg"]
    readonly_fields = ["account", "leg"]
    view_roles = LEDGER_READERS
    change_roles = NOBODY
    can_delete = False

    @display(description="Amount")
    def leg(self, entry: LedgerEntry) -> str:
        return format_money(entry.amount, entry.account.currency)


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnlyTenantAdmin):
    view_roles = LEDGER_READERS
    list_display = ["occurred_on", "kind", "idempotency_key", "memo", "created_by"]
    list_filter = ["kind", "occurred_on"]
    list_select_related = ["created_by"]
    search_fields = ["idempotency_key", "memo"]
    readonly_fields = ["kind", "idempotency_key", "occurred_on", "memo", "created_by"]
    inlines = [LedgerEntryInline]


@admin.register(ReconcileRun)
class ReconcileRunAdmin(ReadOnlyTenantAdmin):
    """Finance's page of the nightly reconciliation: per period, when it last ran and every
    difference it found (``manage.py reconcile``; docs/reconcile.md)."""

    view_roles = FINANCE | RISK
    list_display = ["period", "ran_at", "differences_found"]
    readonly_fields = ["period", "ran_at", "differences", "checks", "report_lines"]
    fields = readonly_fields

    @display(description="differences", ordering="differences")
    def differences_found(self, obj: ReconcileRun) -> str:
        return "none: every figure agrees" if obj.differences == 0 else str(obj.differences)

    @display(description="differences found")
    def report_lines(self, obj: ReconcileRun) -> str:
        if not obj.report:
            return "None: roll-ups, earnings, commissions, ledger, statements and reports agree."
        return format_html("<pre>{}</pre>", obj.report)


# The desk (issue 14): role-home panels, 360 sections and desk pages of this app.
from apps.commissions import admin_360, admin_home  # noqa: E402, F401
