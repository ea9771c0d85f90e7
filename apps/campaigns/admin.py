"""Merchants in the back office (issue 3): tiers, contacts, plan quota, deep-link domains,
merchant users invited by staff, import and export."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action
from unfold.widgets import UnfoldAdminEmailInputWidget, UnfoldAdminTextInputWidget

from apps.campaigns.models import Merchant, MerchantDomain, MerchantUser
from apps.campaigns.services.merchants import (
    UPDATABLE_FIELDS,
    merchant_create,
    merchant_domain_verification_request,
    merchant_domain_verify_by_hand,
    merchant_domains_set,
    merchant_update,
    merchant_user_invite,
    normalize_domain,
)
from apps.core.admin import TenantAdmin, TenantTabularInline
from apps.core.admin_bulk import confirm_step
from apps.core.errors import DomainError
from apps.core.imports import export_resource_class
from apps.core.roles import BD


class MerchantDomainFormSet(forms.BaseInlineFormSet):
    """A domain belongs to one merchant of the tenant: say which one already has it, as a
    form error, before anything is written (the service checks it again when saving)."""

    def clean(self) -> None:
        super().clean()
        merchant = self.instance
        wanted = [
            normalize_domain(form.cleaned_data["domain"])
            for form in self.forms
            if form.cleaned_data.get("domain") and not form.cleaned_data.get("DELETE")
        ]
        if len(wanted) != len(set(wanted)):
            raise ValidationError("The same domain is listed twice.")
        taken = MerchantDomain.objects.filter(domain__in=wanted).select_related("merchant")
        if merchant.pk is not None:
            taken = taken.exclude(merchant=merchant)
        clash = taken.first()
        if clash is not None:
            raise ValidationError(
                f"The domain {clash.domain} already belongs to merchant {clash.merchant.code}."
            )
        self.wanted_domains = wanted


class MerchantDomainInline(TenantTabularInline):
    model = MerchantDomain
    formset = MerchantDomainFormSet
    fields = ["domain", "verified_at", "verification_method", "last_verification_error"]
    readonly_fields = ["verified_at", "verification_method", "last_verification_error"]
    change_roles = BD
    delete_roles = BD


class MerchantUserInline(TenantTabularInline):
    model = MerchantUser
    fields = ["user", "is_active", "created_at"]
    readonly_fields = ["user", "created_at"]
    change_roles = BD
    verbose_name_plural = "Merchant users (invite from the button above)"

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # invited through merchant_user_invite, never typed in


class MerchantAddForm(forms.ModelForm):
    def clean_code(self) -> str:
        # merchant_create refuses it too; here it is a field error rather than a failed save
        code = self.cleaned_data["code"].strip()
        if Merchant.objects.filter(code__iexact=code).exists():
            raise forms.ValidationError(f"A merchant with the code {code} already exists.")
        return code


class InviteForm(forms.Form):
    email = forms.EmailField(
        widget=UnfoldAdminEmailInputWidget,
        help_text="The person gets an email; a new account sets its password from the link.",
    )


@admin.register(Merchant)
class MerchantAdmin(ExportMixin, SimpleHistoryAdmin, TenantAdmin):
    change_roles = BD
    list_display = [
        "code", "name", "tier", "contact_email", "plan_quota", "currency", "is_active",
        "overview",
    ]  # fmt: skip
    list_filter = ["tier", "is_active"]
    search_fields = ["code", "name", "contact_email", "domains__domain"]
    inlines = [MerchantDomainInline, MerchantUserInline]
    actions_list = ["import_file"]
    actions_detail = ["invite_user"]
    export_form_class = ExportForm
    export_formats = [CSV, XLSX]

    @admin.display(description="360")
    def overview(self, obj: Merchant) -> str:
        """The merchant 360 page (issue 14): products, campaigns, spend, claims, rebates."""
        url = reverse("admin:desk-merchant", args=[obj.pk])
        return format_html('<a href="{}" class="text-primary-600 underline">overview</a>', url)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = MerchantAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return ["code"] if obj is not None else []  # links and API keys name the code

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        if change:
            changes = {name: data[name] for name in form.changed_data if name in UPDATABLE_FIELDS}
            if changes:
                merchant_update(merchant=obj, actor=request.user, **changes)
            return
        created = merchant_create(
            code=data["code"],
            name=data["name"],
            tier=data["tier"],
            contact_email=data["contact_email"],
            plan_quota=data["plan_quota"],
            contact_name=data.get("contact_name", ""),
            phone=data.get("phone", ""),
            currency=data.get("currency", ""),
            actor=request.user,
        )
        obj.pk, obj.tenant = created.pk, created.tenant
        obj._state.adding = False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is MerchantDomain:
            merchant_domains_set(merchant=form.instance, domains=formset.wanted_domains)
            # the admin's change message reads these (the service wrote the rows)
            formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
            return
        super().save_formset(request, form, formset, change)

    # -- merchant users ----------------------------------------------------------------
    @action(description="Invite a merchant user", icon="person_add", url_path="invite-user")
    def invite_user(self, request: HttpRequest, object_id: str) -> HttpResponse:
        merchant = self.get_object(request, object_id)  # another tenant's id: 404
        if not self.has_change_permission(request, merchant):
            raise PermissionDenied
        queryset: QuerySet[Merchant] = Merchant.objects.filter(pk=merchant.pk)
        step = confirm_step(
            self,
            request,
            queryset,
            action="",
            question=f"Invite a person to act for {merchant.name} ({merchant.code})",
            submit_label="Send invitation",
            form_class=InviteForm,
        )
        if step.response is not None:
            return step.response
        try:
            merchant_user = merchant_user_invite(
                merchant=merchant,
                email=step.cleaned_data["email"],
                actor=request.user,
                request=request,
            )
        except DomainError as exc:
            self.message_user(request, str(exc), level="ERROR")
        else:
            self.message_user(request, f"Invited {merchant_user.user.email} to {merchant.code}.")
        return HttpResponseRedirect(reverse("admin:campaigns_merchant_change", args=[merchant.pk]))

    # -- import / export ---------------------------------------------------------------
    @action(description="Import", icon="upload", url_path="import-file", permissions=["change"])
    def import_file(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:tenants_importjob_add") + "?resource=merchants")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self._has_role(request, self.change_roles)

    def get_export_resource_classes(self, request: HttpRequest) -> list[Any]:
        return [export_resource_class("merchants")]

    def get_export_queryset(self, request: HttpRequest) -> QuerySet[Merchant]:
        return super().get_export_queryset(request).prefetch_related("domains")


class VerifyByHandForm(forms.Form):
    reason = forms.CharField(
        max_length=90,
        widget=UnfoldAdminTextInputWidget,
        help_text="Why staff vouch for this domain (a contract, a call): kept in its history.",
    )


@admin.register(MerchantDomain)
class MerchantDomainAdmin(SimpleHistoryAdmin, TenantAdmin):
    """Deep-link domains: pending until proven (DNS TXT or the well-known file, checked by a
    task) or verified by hand with a reason. Domains are added on the merchant page."""

    change_roles = BD
    delete_roles = BD
    list_display = [
        "domain",
        "merchant",
        "verified_at",
        "verification_method",
        "last_verification_error",
    ]
    list_filter = [("verified_at", admin.EmptyFieldListFilter), "verification_method"]
    list_select_related = ["merchant"]
    search_fields = ["domain", "merchant__code", "merchant__name"]
    autocomplete_fields = ["merchant"]
    readonly_fields = ["verification_token"]
    actions = ["check_now", "verify_by_hand"]

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # domains are set on the merchant page (merchant_domains_set)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_verify_permission(self, request: HttpRequest) -> bool:
        return self._has_role(request, self.change_roles)

    @admin.action(description="Check ownership now", permissions=["verify"])
    def check_now(self, request: HttpRequest, queryset: QuerySet[MerchantDomain]) -> None:
        pending = list(queryset.filter(verified_at__isnull=True))
        for domain in pending:
            merchant_domain_verification_request(domain=domain)
        self.message_user(request, f"Checking {len(pending)} pending domain(s).")

    @admin.action(description="Verify by hand (with a reason)", permissions=["verify"])
    def verify_by_hand(self, request: HttpRequest, queryset: QuerySet[MerchantDomain]) -> Any:
        queryset = queryset.filter(verified_at__isnull=True)
        step = confirm_step(
            self,
            request,
            queryset,
            action="verify_by_hand",
            question=f"Verify these {queryset.count()} domain(s) without proof of ownership? "
            "Deep links and product URLs may then go there.",
            submit_label="Verify",
            form_class=VerifyByHandForm,
        )
        if step.response is not None:
            return step.response
        done = 0
        for domain in queryset:
            result = self.run_service(
                request,
                merchant_domain_verify_by_hand,
                domain=domain,
                actor=request.user,
                reason=step.cleaned_data["reason"],
            )
            done += result is not None
        if done:
            self.message_user(request, f"Verified {done} domain(s) by hand.")
        return None


@admin.register(MerchantUser)
class MerchantUserAdmin(TenantAdmin):
    change_roles = BD
    list_display = ["user", "merchant", "is_active"]
    list_filter = ["is_active"]
    list_select_related = ["user", "merchant"]
    search_fields = ["user__email", "merchant__code"]
    autocomplete_fields = ["merchant"]
    readonly_fields = ["user", "merchant"]

    def has_add_permission(self, request, *args):
        return False  # merchant users are invited from the merchant page


# Products and campaigns live in their own module (built separately from merchants); the merchant
# 360 page of the desk (issue 14) in its own too.
from apps.campaigns import admin_360, admin_plans  # noqa: E402, F401
