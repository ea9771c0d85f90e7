"""API keys in the back office: who holds which key, when it was last used; revoke."""

from django.contrib import admin

from apps.api.models import ApiKey
from apps.api.services import api_key_revoke
from apps.core.admin import TenantAdmin


@admin.register(ApiKey)
class ApiKeyAdmin(TenantAdmin):
    list_display = [
        "prefix",
        "name",
        "merchant",
        "affiliate",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["revoked_at"]
    list_select_related = ["merchant", "affiliate"]
    search_fields = ["prefix", "name", "merchant__code", "affiliate__email"]
    readonly_fields = [
        "prefix",
        "name",
        "merchant",
        "affiliate",
        "scopes",
        "created_by",
        "last_used_at",
        "revoked_at",
    ]
    exclude = ["secret_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request, *args):
        return False  # keys are issued by their holders (portal) or create_api_key

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for api_key in queryset:
            api_key_revoke(api_key=api_key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


# The desk (issue 14): role-home panels, 360 sections and desk pages of this app.
from apps.api import admin_360  # noqa: E402, F401
