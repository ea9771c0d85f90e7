"""Merchants in the back office."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.campaigns.models import Merchant, MerchantDomain, MerchantUser
from apps.core.admin import TenantAdmin, TenantTabularInline

BD = frozenset({"tenant_admin", "bd"})


class MerchantDomainInline(TenantTabularInline):
    model = MerchantDomain
    fields = ["domain"]
    change_roles = BD
    delete_roles = BD


@admin.register(Merchant)
class MerchantAdmin(SimpleHistoryAdmin, TenantAdmin):
    change_roles = BD
    list_display = ["code", "name", "tier", "contact_email", "plan_quota", "is_active"]
    list_filter = ["tier", "is_active"]
    search_fields = ["code", "name", "contact_email"]
    inlines = [MerchantDomainInline]


@admin.register(MerchantDomain)
class MerchantDomainAdmin(TenantAdmin):
    change_roles = BD
    delete_roles = BD
    list_display = ["domain", "merchant"]
    list_select_related = ["merchant"]
    search_fields = ["domain", "merchant__code", "merchant__name"]
    autocomplete_fields = ["merchant"]


@admin.register(MerchantUser)
class MerchantUserAdmin(TenantAdmin):
    change_roles = BD
    list_display = ["user", "merchant", "is_active"]
    list_select_related = ["user", "merchant"]
    search_fields = ["user__email", "merchant__code"]
    autocomplete_fields = ["merchant"]
    readonly_fields = ["user"]

    def has_add_permission(self, request, *args):  # type: ignore[no-untyped-def]
        return False  # merchant users are invited from the merchant page


# Products and campaigns live in their own module (built separately from merchants).
from apps.campaigns import admin_plans  # noqa: E402, F401
