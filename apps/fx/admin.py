"""Exchange rates in the back office: finance imports them (``fx_rates``) or enters one."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from simple_history.admin import SimpleHistoryAdmin
from unfold.decorators import action

from apps.core.admin import TenantAdmin
from apps.core.roles import ALL_STAFF, FINANCE
from apps.fx.models import FxRate
from apps.fx.services import fx_rate_set


@admin.register(FxRate)
class FxRateAdmin(SimpleHistoryAdmin, TenantAdmin):
    view_roles = ALL_STAFF
    change_roles = FINANCE
    list_display = ["day", "base", "quote", "rate", "source"]
    list_filter = ["base", "quote", "source"]
    search_fields = ["base", "quote"]
    date_hierarchy = "day"
    fields = ["day", "base", "quote", "rate"]
    actions_list = ["import_file"]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        # a stored rate is corrected (its rate); its day and pair are what it is
        return ["day", "base", "quote"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        row, _ = fx_rate_set(
            day=obj.day, base=obj.base, quote=obj.quote, rate=obj.rate, actor=request.user
        )
        obj.pk = row.pk

    @action(description="Import", icon="upload", url_path="import-file", permissions=["change"])
    def import_file(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:tenants_importjob_add") + "?resource=fx_rates")
