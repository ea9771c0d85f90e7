"""Tenants, domains and people on the platform site; staff memberships in each back office."""

import csv
import io
from typing import Any

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from unfold.admin import ModelAdmin, TabularInline
from unfold.forms import AdminPasswordChangeForm, UserChangeForm, UserCreationForm
from unfold.widgets import UnfoldAdminFileFieldWidget

from apps.core.admin import TenantAdmin
from apps.core.admin_site import platform_site
from apps.core.errors import DomainError
from apps.core.imports import import_names, import_resource_class, safe_cell
from apps.core.roles import ADMINS, IMPORTERS
from apps.tenants.accounts import account_lockouts_lift
from apps.tenants.import_jobs import (
    MAX_STORED_ERRORS,
    import_job_confirm,
    import_job_create,
    import_job_progress,
    inline_max_rows,
)
from apps.tenants.models import ImportJob, Membership, Tenant, TenantDomain, User
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
    actions = ["lift_sign_in_lockout"]

    @admin.action(description="Lift the sign-in lock-out of the selected people")
    def lift_sign_in_lockout(self, request: HttpRequest, queryset: Any) -> None:
        count = account_lockouts_lift(users=queryset, actor=request.user)
        self.message_user(request, f"Lifted the sign-in lock-out of {count} account(s).")


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
    actions = ["lift_sign_in_lockout"]

    @admin.action(
        description="Lift the sign-in lock-out of the selected people", permissions=["change"]
    )
    def lift_sign_in_lockout(self, request: HttpRequest, queryset: Any) -> None:
        users = {membership.user for membership in queryset.select_related("user")}
        count = account_lockouts_lift(users=users, actor=request.user)
        self.message_user(request, f"Lifted the sign-in lock-out of {count} account(s).")

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = MembershipForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        # Choosing from every account on the platform would list other networks' people.
        return ["email", "role", "is_active"] if obj is None else ["user", "role", "is_active"]

    def get_readonly_fields(self, request, obj=None):
        return ["user"] if obj is not None else []

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            return
        user = user_invite(email=form.cleaned_data["email"], request=request)
        membership = membership_grant(tenant=request.tenant, user=user, role=obj.role)
        obj.pk = membership.pk
        obj.user = membership.user
        obj.tenant = membership.tenant


# --- imports (issue 3) --------------------------------------------------------------------


class ImportUploadForm(forms.Form):
    resource = forms.ChoiceField(label="What the file holds")
    # Unfold's widget: its script fills the file name into the widget's own text box, which a
    # plain file input does not have (the "reading 'setAttribute'" error of issue 14).
    file = forms.FileField(
        help_text="A .csv (UTF-8) or .xlsx file; the header is line 1.",
        widget=UnfoldAdminFileFieldWidget,
    )
    dry_run = forms.BooleanField(
        required=False,
        initial=True,
        label="Dry run first",
        help_text="Check every row and show the errors; import only after you confirm.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["resource"].choices = [(name, name) for name in import_names()]


@admin.register(ImportJob)
class ImportJobAdmin(TenantAdmin):
    """Uploads, dry-run previews (every row error by line and column), progress and results.
    The merchant and webmaster lists link here with ``?resource=...``."""

    view_roles = IMPORTERS
    change_roles = IMPORTERS
    list_display = ["__str__", "resource", "status", "progress", "created_by", "created_at"]
    list_filter = ["resource", "status"]
    list_select_related = ["created_by"]
    search_fields = ["original_name", "resource"]
    refresh_seconds = 3

    @admin.display(description="Progress")
    def progress(self, job: ImportJob) -> str:
        processed, total = import_job_progress(job)
        percent = 100 * processed // total if total else 100
        return format_html(
            '<progress max="{}" value="{}" title="{}%"></progress> {} / {}',
            total or 1,
            processed,
            percent,
            processed,
            total,
        )

    def get_urls(self) -> list[Any]:
        urls = super().get_urls()
        confirm = path(
            "<path:object_id>/confirm/",
            self.admin_site.admin_view(self.confirm_view),
            name="tenants_importjob_confirm",
        )
        errors_csv = path(
            "<path:object_id>/errors.csv",
            self.admin_site.admin_view(self.errors_csv_view),
            name="tenants_importjob_errors",
        )
        template = path(
            "template/<str:resource>.csv",
            self.admin_site.admin_view(self.template_view),
            name="tenants_importjob_template",
        )
        return [confirm, errors_csv, template, *urls]

    def errors_csv_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The row errors of a failed import as CSV (line, column, error): fix them in a
        spreadsheet beside the file."""
        job = self.get_object(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(["line", "column", "error"])
        for error in job.errors:
            writer.writerow(
                [
                    error.get("line") or "",
                    safe_cell(error.get("column") or ""),
                    safe_cell(error.get("message", "")),
                ]
            )
        response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-errors.csv"'
        return response

    def template_view(self, request: HttpRequest, resource: str) -> HttpResponse:
        """An empty file of a resource: its header row, required columns first."""
        if not self.has_view_permission(request) or resource not in import_names():
            raise Http404
        buffer = io.StringIO()
        csv.writer(buffer).writerow(import_resource_class(resource).columns())
        response = HttpResponse(("\ufeff" + buffer.getvalue()).encode(), content_type="text/csv")
        response["Content-Disposition"] = f'attachment; filename="{resource}-template.csv"'
        return response

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # jobs are read-only records; they change only by running

    def add_view(
        self, request: HttpRequest, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial = {"resource": request.GET.get("resource", ""), "dry_run": True}
        form = ImportUploadForm(request.POST or None, request.FILES or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                job = import_job_create(
                    resource=form.cleaned_data["resource"],
                    upload=form.cleaned_data["file"],
                    actor=request.user,
                    dry_run=form.cleaned_data["dry_run"],
                    request=request,
                )
            except DomainError as exc:
                form.add_error("file", str(exc))
            else:
                return HttpResponseRedirect(
                    reverse("admin:tenants_importjob_change", args=[job.pk])
                )
        formats = [
            (
                name,
                ", ".join(_columns(name)),
                reverse("admin:tenants_importjob_template", args=[name]),
            )
            for name in import_names()
        ]
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Import a file",
            "form": form,
            "formats": formats,
            "inline_max_rows": inline_max_rows(),
        }
        return TemplateResponse(request, "admin/imports/upload.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        job = self.get_object(request, object_id)
        if not self.has_view_permission(request, job):
            raise PermissionDenied
        processed, total = import_job_progress(job)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": job,
            "title": f"Import #{job.pk}",
            "job": job,
            "processed": processed,
            "total": total,
            "percent": 100 * processed // total if total else 100,
            "counts": sorted(job.counts.items()),
            "refresh_seconds": self.refresh_seconds,
            "max_errors": MAX_STORED_ERRORS,
            "can_confirm": self.has_add_permission(request),
            "confirm_url": reverse("admin:tenants_importjob_confirm", args=[job.pk]),
            "upload_url": reverse("admin:tenants_importjob_add") + f"?resource={job.resource}",
            "errors_url": reverse("admin:tenants_importjob_errors", args=[job.pk]),
            "valid_rows": job.counts.get("valid_rows") if job.status == "failed" else None,
            "list_url": reverse("admin:tenants_importjob_changelist"),
        }
        return TemplateResponse(request, "admin/imports/job.html", context)

    def confirm_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        job = self.get_object(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(reverse("admin:tenants_importjob_change", args=[job.pk]))
        if not self.has_add_permission(request):
            raise PermissionDenied
        self.run_service(request, import_job_confirm, job=job, actor=request.user, request=request)
        return HttpResponseRedirect(reverse("admin:tenants_importjob_change", args=[job.pk]))


def _columns(name: str) -> list[str]:
    resource = import_resource_class(name)
    return [*resource.required_columns, *(f"{c}?" for c in resource.optional_columns)]
