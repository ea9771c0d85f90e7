"""Traffic and conversions in the back office: read-only (facts are written by the tracking
paths, the API and run_daily, never edited by hand).

The click list is built for millions of rows: newest first by time (``-clicked_at, -id`` over
the ``(tenant, clicked_at)`` index), filtered by verdict and tenant-local day, counted exactly
up to 10,000 rows and estimated by the planner above (``EstimatedCountPaginator``: never a
fake cap), related names in the same query (``list_select_related``).
"""

import datetime
from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from apps.core.admin import (
    EstimatedCountPaginator,
    ReadOnlyTenantAdmin,
    TenantAdmin,
    TenantTabularInline,
)
from apps.core.roles import ADMINS, BD, NOBODY
from apps.tenants.clock import day_window, tenant_today
from apps.tracking.errors import CouponError
from apps.tracking.models import (
    Click,
    Conversion,
    ConversionItem,
    Coupon,
    DailyRun,
    MerchantTrackingKey,
)
from apps.tracking.services.coupons import coupon_create, coupon_delete
from apps.tracking.services.keys import tracking_key_revoke

DAYS_OFFERED = 14


class ClickDayFilter(admin.SimpleListFilter):
    """The last two weeks' tenant-local days (offered without a query)."""

    title = "day"
    parameter_name = "day"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        today = tenant_today(request.tenant)  # type: ignore[attr-defined]
        days = [today - datetime.timedelta(days=n) for n in range(DAYS_OFFERED)]
        return [(day.isoformat(), day.isoformat()) for day in days]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        try:
            day = datetime.date.fromisoformat(value)
        except ValueError:
            return queryset.none()
        start, end = day_window(day, request.tenant)  # type: ignore[attr-defined]
        return queryset.filter(clicked_at__gte=start, clicked_at__lt=end)


@admin.register(Click)
class ClickAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "click_id", "clicked_at", "placement", "affiliate", "merchant", "ip", "sub", "verdict",
        "landed_at",
    ]  # fmt: skip
    list_select_related = ["placement", "affiliate", "merchant"]
    list_filter = ["verdict", ClickDayFilter]
    search_fields = ["=click_id"]
    search_help_text = "Find a click by its click_id (the id merchants and disputes quote)."
    ordering = ["-clicked_at", "-id"]
    paginator = EstimatedCountPaginator
    list_per_page = 100


class ConversionItemInline(TenantTabularInline):
    model = ConversionItem
    fields = ["sku", "product", "product_type", "quantity", "amount", "refunded_amount"]
    readonly_fields = fields
    change_roles = NOBODY

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Conversion)
class ConversionAdmin(ReadOnlyTenantAdmin):
    list_display = [
        "external_id", "type", "merchant", "affiliate", "placement", "occurred_at", "day",
        "amount", "original_amount", "fx_rate", "customer_type", "status", "refund_amount",
        "source",
    ]  # fmt: skip
    list_select_related = ["merchant", "affiliate", "placement"]
    list_filter = ["type", "status", "customer_type", "source", "day"]
    search_fields = ["external_id", "customer_ref"]
    ordering = ["-occurred_at", "-id"]
    paginator = EstimatedCountPaginator
    inlines = [ConversionItemInline]


@admin.register(DailyRun)
class DailyRunAdmin(ReadOnlyTenantAdmin):
    list_display = ["day", "status", "step", "started_at", "finished_at", "clicks", "spend"]
    list_filter = ["status"]
    search_fields = ["day"]
    ordering = ["-day"]

    @admin.display(description="clicks")
    def clicks(self, run: DailyRun) -> int | str:
        return run.counts.get("tracking.rollup.clicks", "")

    @admin.display(description="spend")
    def spend(self, run: DailyRun) -> str:
        cents = run.counts.get("tracking.rollup.spend_cents")
        return "" if cents is None else f"{cents / 100:.2f}"


# --- coupons and tracking keys (issue 16) --------------------------------------------------


COUPON_FIELDS = ["merchant", "code", "affiliate", "placement", "valid_from", "valid_to"]


class CouponAddForm(forms.ModelForm):
    """Registers through ``coupon_create`` (its refusals become field errors). No ``Meta``
    here: the admin builds it for the model inside the request's tenant scope."""

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.created = coupon_create(
                merchant=data["merchant"],
                code=data["code"],
                affiliate=data["affiliate"],
                placement=data.get("placement"),
                valid_from=data.get("valid_from"),
                valid_to=data.get("valid_to"),
                actor=getattr(self, "actor", None),
            )
        except CouponError as exc:
            field = exc.extra.get("field")
            field = {"webmaster": "affiliate"}.get(field, field)
            raise ValidationError({field if field in self.fields else None: exc.message}) from None
        return data


@admin.register(Coupon)
class CouponAdmin(TenantAdmin):
    """Coupon codes merchants gave webmasters. Added here or by the merchant (portal, API);
    never edited (delete and register again), so past attributions keep their meaning."""

    change_roles = BD
    list_display = [
        "code", "merchant", "affiliate", "placement", "valid_from", "valid_to", "deleted_at",
    ]  # fmt: skip
    list_select_related = ["merchant", "affiliate", "placement"]
    list_filter = [("merchant", admin.RelatedOnlyFieldListFilter), "valid_from"]
    search_fields = ["code", "merchant__code", "affiliate__email"]
    autocomplete_fields = ["merchant", "affiliate", "placement"]
    actions = ["delete_coupons"]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = CouponAddForm
            kwargs["fields"] = COUPON_FIELDS
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return []
        return [*COUPON_FIELDS, "deleted_at", "created_by"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            created = form.created
            obj.pk, obj.tenant = created.pk, created.tenant
            obj._state.adding = False

    @admin.action(description="Delete: stop attributing orders to these coupons")
    def delete_coupons(self, request: HttpRequest, queryset: QuerySet[Coupon]) -> None:
        for coupon in queryset:
            self.run_service(request, coupon_delete, coupon=coupon)
        self.message_user(request, f"{queryset.count()} coupon(s) deleted.")


@admin.register(MerchantTrackingKey)
class MerchantTrackingKeyAdmin(TenantAdmin):
    """Postback keys and pixel tokens (issued by merchants in their portal); staff may only
    revoke one, e.g. a leaked postback key."""

    change_roles = ADMINS
    list_display = ["hint", "kind", "merchant", "created_at", "last_used_at", "revoked_at"]
    list_select_related = ["merchant"]
    list_filter = ["kind"]
    search_fields = ["hint", "merchant__code"]
    readonly_fields = [
        "merchant", "kind", "hint", "public_token", "created_by", "last_used_at", "revoked_at",
    ]  # fmt: skip
    exclude = ["token_hash"]
    actions = ["revoke_keys"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    @admin.action(description="Revoke: stop these keys working at once")
    def revoke_keys(self, request: HttpRequest, queryset: QuerySet[MerchantTrackingKey]) -> None:
        for key in queryset:
            self.run_service(request, tracking_key_revoke, key=key)
        self.message_user(request, f"{queryset.count()} key(s) revoked.")


# The desk (issue 14): role-home panels, 360 sections and desk pages of this app.
from apps.tracking import admin_360, admin_home, admin_risk  # noqa: E402, F401
