"""BD's back office for webmasters."""

from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from apps.affiliates.models import Affiliate, AffiliateNote
from apps.core.admin import ALL_STAFF, TenantAdmin, TenantTabularInline

BD = frozenset({"tenant_admin", "bd"})


class AffiliateNoteInline(TenantTabularInline):
    model = AffiliateNote
    fields = ["noted_on", "body", "author"]
    readonly_fields = ["author"]
    change_roles = BD


@admin.register(Affiliate)
class AffiliateAdmin(SimpleHistoryAdmin, TenantAdmin):
    view_roles = ALL_STAFF
    change_roles = BD
    list_display = ["name", "email", "kind", "status", "bd_owner", "created_at"]
    list_filter = ["status", "kind"]
    list_select_related = ["bd_owner"]
    search_fields = ["name", "email", "company"]
    inlines = [AffiliateNoteInline]


@admin.register(AffiliateNote)
class AffiliateNoteAdmin(TenantAdmin):
    change_roles = BD
    list_display = ["affiliate", "noted_on", "author"]
    list_select_related = ["affiliate", "author"]
    search_fields = ["body", "affiliate__name", "affiliate__email"]
    autocomplete_fields = ["affiliate"]
    readonly_fields = ["author"]
