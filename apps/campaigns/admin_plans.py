"""Products and campaigns in the back office (imported by apps/campaigns/admin.py).

BD staff (and tenant admins) edit; every role sees. Writes go through the services: products
through ``product_upsert``, plans through ``campaign_create``/``campaign_update``, and status only
through the activate / pause / end actions (``campaign_transition``), each behind a confirmation
page. A refusal (quota, full-site exclusivity, target ROI, a move the state does not allow) is an
error message naming the plan and product, and changes nothing.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import HttpRequest
from django.template.response import TemplateResponse
from simple_history.admin import SimpleHistoryAdmin

from apps.campaigns.errors import CampaignError
from apps.campaigns.models import (
    Campaign,
    CampaignProduct,
    CampaignStatus,
    CampaignType,
    Product,
)
from apps.campaigns.services.campaigns import (
    UPDATABLE_FIELDS,
    campaign_check_fields,
    campaign_create,
    campaign_transition,
    campaign_update,
)
from apps.campaigns.services.products import product_upsert
from apps.core.admin import TenantAdmin, TenantTabularInline
from apps.core.roles import BD

CONFIRM_TEMPLATE = "admin/campaigns/campaign/confirm_status.html"


def _adopt(target: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance the row a service saved (the admin keeps using it)."""
    for field in saved._meta.concrete_fields:
        setattr(target, field.attname, getattr(saved, field.attname))
    target._state.adding = False
    target._state.db = saved._state.db


# --- products --------------------------------------------------------------------------------


@admin.register(Product)
class ProductAdmin(TenantAdmin):
    change_roles = BD
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    list_display = [
        "sku",
        "title",
        "merchant",
        "price",
        "product_type",
        "is_active",
        "is_tagged",
        "roi_30d",
        "orders_30d",
        "tagging_refreshed_on",
    ]
    list_select_related = ["merchant"]
    list_filter = [
        ("merchant", admin.RelatedOnlyFieldListFilter),
        "is_tagged",
        "is_active",
        "product_type",
    ]
    search_fields = ["sku", "title", "merchant__code", "merchant__name"]
    autocomplete_fields = ["merchant"]
    readonly_fields = [
        "is_tagged",
        "roi_30d",
        "orders_30d",
        "conversion_rate_30d",
        "tagging_refreshed_on",
    ]
    fieldsets = [
        (None, {"fields": ["merchant", "sku", "title", "url", "price", "product_type"]}),
        (None, {"fields": ["image_url", "is_active"]}),
        ("Tagging (refreshed nightly)", {"fields": readonly_fields}),
    ]

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None:
            fields += ["merchant", "sku"]  # the upsert key of the feed and imports
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        saved, _ = product_upsert(
            merchant=obj.merchant,
            sku=obj.sku,
            title=obj.title,
            url=obj.url,
            price=obj.price,
            product_type=obj.product_type,
            image_url=obj.image_url,
            is_active=obj.is_active,
        )
        _adopt(obj, saved)


# --- campaigns -------------------------------------------------------------------------------


class CampaignProductFormSet(BaseInlineFormSet):
    def clean(self) -> None:
        super().clean()
        campaign = self.instance
        merchant_id = campaign.merchant_id
        products = []
        for form in self.forms:
            if not hasattr(form, "cleaned_data") or form.cleaned_data.get("DELETE"):
                continue
            product = form.cleaned_data.get("product")
            if product is None:
                continue
            if merchant_id is not None and product.merchant_id != merchant_id:
                raise ValidationError(
                    f"Product {product.sku} belongs to merchant {product.merchant.code}, not to "
                    f"this plan's merchant."
                )
            products.append(product)
        if campaign.type == CampaignType.FULL_SITE and len(products) > 1:
            raise ValidationError(
                "A full-site plan promotes exactly one product "
                f"(not {', '.join(p.sku for p in products)})."
            )


class CampaignProductInline(TenantTabularInline):
    model = CampaignProduct
    formset = CampaignProductFormSet
    fields = ["product"]
    autocomplete_fields = ["product"]
    change_roles = BD
    delete_roles = BD
    verbose_name = "product"
    verbose_name_plural = "products (checked for exclusivity when the plan is activated)"

    def _locked(self, obj: Campaign | None) -> bool:
        # An active plan changes products through the API/portal (re-checked under the lock);
        # a started full-site plan keeps its product; an ended plan is final.
        if obj is None:
            return False
        return obj.status in {CampaignStatus.ACTIVE, CampaignStatus.ENDED} or bool(
            obj.type == CampaignType.FULL_SITE and obj.started_at
        )

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_add_permission(request, obj) and not self._locked(obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_change_permission(request, obj) and not self._locked(obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return super().has_delete_permission(request, obj) and not self._locked(obj)


class CampaignAdminForm(ModelForm):
    class Meta:
        model = Campaign
        # The admin sets the real field list per request (inside the tenant's scope); a foreign
        # key here would query merchants at import time, outside any scope.
        fields = [
            "name",
            "type",
            "bid",
            "daily_budget",
            "target_roi",
            "min_site_weight",
            "starts_at",
            "ends_at",
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        type_ = data.get("type", getattr(self.instance, "type", None))
        if type_:
            try:
                campaign_check_fields(
                    type=type_,
                    bid=data.get("bid", self.instance.bid),
                    target_roi=data.get("target_roi", self.instance.target_roi),
                    name=data.get("name", ""),
                )
            except CampaignError as exc:
                field = exc.extra.get("field")
                self.add_error(field if field in self.fields else None, exc.message)
        return data


@admin.register(Campaign)
class CampaignAdmin(SimpleHistoryAdmin, TenantAdmin):
    form = CampaignAdminForm
    change_roles = BD
    list_display = [
        "name",
        "merchant",
        "type",
        "status",
        "bid",
        "daily_budget",
        "target_roi",
        "starts_at",
        "ends_at",
        "product_was_tagged",
        "target_roi_was_tier",
    ]
    list_select_related = ["merchant"]
    list_filter = [
        "status",
        "type",
        ("merchant", admin.RelatedOnlyFieldListFilter),
        "product_was_tagged",
        "target_roi_was_tier",
    ]
    search_fields = ["name", "merchant__code", "merchant__name"]
    autocomplete_fields = ["merchant"]
    inlines = [CampaignProductInline]
    actions = ["activate_selected", "pause_selected", "end_selected"]
    frozen_fields = [
        "status",
        "started_at",
        "product_was_tagged",
        "roi_tiers_at_start",
        "target_roi_was_tier",
        "first_spend_on",
        "created_by",
    ]
    readonly_fields = frozen_fields
    fieldsets = [
        (None, {"fields": ["merchant", "name", "type", "status"]}),
        ("Bidding and budget", {
            "fields": ["bid", "daily_budget", "target_roi", "min_site_weight"],
        }),
        ("Schedule", {"fields": ["starts_at", "ends_at"]}),
        ("Frozen when the plan started (compensation claims depend on these)", {
            "fields": ["started_at", "product_was_tagged", "roi_tiers_at_start",
                       "target_roi_was_tier", "first_spend_on", "created_by"],
        }),
    ]  # fmt: skip

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = list(self.frozen_fields)
        if obj is None:
            return fields
        fields += ["merchant", "type"]
        if obj.status == CampaignStatus.ENDED:
            fields += list(UPDATABLE_FIELDS)
        elif obj.type == CampaignType.FULL_SITE and obj.started_at:
            fields.append("target_roi")
        return fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            saved = campaign_create(
                merchant=obj.merchant,
                name=obj.name,
                type=obj.type,
                bid=obj.bid,
                daily_budget=obj.daily_budget,
                target_roi=obj.target_roi,
                starts_at=obj.starts_at,
                ends_at=obj.ends_at,
                min_site_weight=obj.min_site_weight,
                actor=request.user,
            )
            _adopt(obj, saved)
            return
        changed = {
            name: getattr(obj, name) for name in UPDATABLE_FIELDS if name in form.changed_data
        }
        if changed:
            saved = campaign_update(campaign=obj, actor=request.user, **changed)
            _adopt(obj, saved)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # TenantAdmin.save_formset tests ``hasattr(instance, "tenant")``, which is False for a
        # new row (the unset relation raises), so new product rows would carry no tenant and RLS
        # refuses them: give them the plan's tenant first.
        for inline_form in formset.forms:
            instance = inline_form.instance
            if instance.tenant_id is None:
                instance.tenant_id = request.tenant.pk
        super().save_formset(request, form, formset, change)

    # -- status actions (each behind a confirmation page) -----------------------------------
    def _status_action(
        self, request: HttpRequest, queryset: QuerySet[Any], *, to: str, action: str, title: str
    ) -> Any:
        if "apply" not in request.POST:
            context = {
                **self.admin_site.each_context(request),
                "title": title,
                "objects": list(queryset),
                "action": action,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                "help_text": (
                    "Activation checks the merchant's plan quota and full-site exclusivity; "
                    "a plan that is refused stays as it is."
                    if to == CampaignStatus.ACTIVE
                    else ""
                ),
            }
            return TemplateResponse(request, CONFIRM_TEMPLATE, context)
        done = 0
        for campaign in queryset:
            result = self.run_service(
                request, campaign_transition, campaign=campaign, to=to, actor=request.user
            )
            done += result is not None
        if done:
            self.message_user(request, f"{done} plan(s) now {to}.", level=messages.SUCCESS)
        return None

    @admin.action(description="Activate selected plans", permissions=["change"])
    def activate_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return self._status_action(
            request, queryset, to=CampaignStatus.ACTIVE, action="activate_selected",
            title="Activate plans",
        )  # fmt: skip

    @admin.action(description="Pause selected plans", permissions=["change"])
    def pause_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return self._status_action(
            request, queryset, to=CampaignStatus.PAUSED, action="pause_selected",
            title="Pause plans",
        )  # fmt: skip

    @admin.action(description="End selected plans", permissions=["change"])
    def end_selected(self, request: HttpRequest, queryset: QuerySet[Any]) -> Any:
        return self._status_action(
            request, queryset, to=CampaignStatus.ENDED, action="end_selected", title="End plans"
        )
