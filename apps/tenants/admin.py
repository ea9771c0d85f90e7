"""Tenants, domains and people on the platform site; staff memberships in each back office."""

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm

from apps.core.admin import ADMINS, TenantAdmin
from apps.core.admin_site import platform_site
from apps.tenants.models import Membership, Tenant, TenantDomain, User
from apps.tenants.services import membership_grant, user_invite


class TenantDomainInline(TabularInline):
    model = TenantDomain
    extra = 0


@admin.register(Tenant, site=platform_site)
class TenantPlatformAdmin(ModelAdmin):
    list_display = ["slug", "name", "currency", "timezone", "is_active", "created_at"]
    list_filter = ["is_active", "currency"]
    search_fields = ["slug", "name", "domains__host"]
    inlines = [TenantDomainInline]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(TenantDomain, site=platform_site)
class TenantDomainPlatformAdmin(ModelAdmin):
    list_display = ["host", "tenant", "is_primary"]
    list_select_related = ["tenant"]
    search_fields = ["host", "tenant__slug"]
    autocomplete_fields = ["tenant"]


class UserCreationByEmailForm(UserCreationForm):
    class Meta:
        model = User
        fields = ("email",)


class UserChangeByEmailForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User, site=platform_site)
class UserPlatformAdmin(DjangoUserAdmin, ModelAdmin):
    form = UserChangeByEmailForm
    add_form = UserCreationByEmailForm
    change_password_form = AdminPasswordChangeForm
    ordering = ["email"]
    list_display = ["email", "name", "is_staff", "is_superuser", "is_active", "last_login"]
    search_fields = ["email", "name"]
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        ("Profile", {"fields": ("name",)}),
        ("Access", {"fields": ("is_active", "is_staff", "is_superuser")}),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)
    readonly_fields = ["last_login", "date_joined"]


class MembershipForm(forms.ModelForm):
    email = forms.EmailField(help_text="The person's email; a new account is invited by email.")

    class Meta:
        model = Membership
        fields = ["role", "is_active"]


@admin.register(Membership)
class MembershipAdmin(TenantAdmin):
    change_roles = ADMINS
    list_display = ["user", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    list_select_related = ["user"]
    search_fields = ["user__email", "user__name"]

    def get_form(self, request, obj=None, change=False, **kwargs):  # type: ignore[no-untyped-def]
        if obj is None:
            kwargs["form"] = MembershipForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        # Choosing from every account on the platform would list other networks' people.
        return ["email", "role", "is_active"] if obj is None else ["user", "role", "is_active"]

    def get_readonly_fields(self, request, obj=None):  # type: ignore[no-untyped-def]
        return ["user"] if obj is not None else []

    def save_model(self, request, obj, form, change):  # type: ignore[no-untyped-def]
        if change:
            super().save_model(request, obj, form, change)
            return
        user = user_invite(email=form.cleaned_data["email"], request=request)
        membership = membership_grant(tenant=request.tenant, user=user, role=obj.role)
        obj.pk = membership.pk
        obj.user = membership.user
        obj.tenant = membership.tenant
