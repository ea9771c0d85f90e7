"""BD's back office for webmasters (issue 3): the pipeline list with filters and search, bulk
actions (assign owner, approve, suspend) with a confirmation step, import and export."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from import_export.admin import ExportMixin
from import_export.formats.base_formats import CSV, XLSX
from simple_history.admin import SimpleHistoryAdmin
from unfold.contrib.import_export.forms import ExportForm
from unfold.decorators import action
from unfold.widgets import UnfoldAdminSelectWidget, UnfoldAdminTextInputWidget

from apps.affiliates.models import Affiliate, AffiliateNote
from apps.affiliates.payouts import payout_details_of, payout_missing
from apps.affiliates.services import (
    PROFILE_FIELDS,
    affiliate_approve,
    affiliate_assign_owner,
    affiliate_create,
    affiliate_note_add,
    affiliate_suspend,
    affiliate_update,
)
from apps.core.admin import TenantAdmin, TenantTabularInline
from apps.core.admin_bulk import confirm_step
from apps.core.imports import export_resource_class
from apps.core.roles import ALL_STAFF, BD
from apps.tenants.accounts import account_lockouts_lift
from apps.tenants.models import User


def tenant_staff(request: HttpRequest) -> QuerySet[User]:
    """The people with an active staff role in the request's tenant (BD owners)."""
    return (
        User.objects.filter(memberships__tenant=request.tenant, memberships__is_active=True)  # type: ignore[attr-defined]
        .distinct()
        .order_by("email")
    )


class BdOwnerFilter(admin.SimpleListFilter):
    """Django's related-field filter would list every account on the platform; this one lists
    the tenant's staff only."""

    title = "BD owner"
    parameter_name = "bd_owner"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("none", "Nobody"), *((str(u.pk), u.email) for u in tenant_staff(request))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if value == "none":
            return queryset.filter(bd_owner__isnull=True)
        if value:
            if not value.isdigit() or len(value) > 18:
                # Django's "invalid filter" page, not a 500 (issue 22)
                raise IncorrectLookupParameters(f"bd_owner must be a user id, not {value!r}.")
            return queryset.filter(bd_owner_id=int(value))
        return queryset


class SiteCategoryFilter(admin.SimpleListFilter):
    title = "site category"
    parameter_name = "site_category"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        categories = (
            Affiliate.objects.filter(tenant=request.tenant)  # type: ignore[attr-defined]
            .exclude(sites__category="")
            .exclude(sites__category__isnull=True)
            .values_list("sites__category", flat=True)
            .distinct()
            .order_by("sites__category")
        )
        return [(category, category) for category in categories]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value():
            # a subquery, not a join: a webmaster with two such sites is listed once
            with_category = Affiliate.objects.filter(sites__category=self.value()).values("pk")
            return queryset.filter(pk__in=with_category)
        return queryset


class AssignOwnerForm(forms.Form):
    owner = forms.ModelChoiceField(
        queryset=User.objects.none(),
        label="BD owner",
        widget=UnfoldAdminSelectWidget,
        help_text="A staff member of this network.",
    )

    def __init__(self, *args: Any, staff: QuerySet[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = staff  # type: ignore[attr-defined]


class ReasonForm(forms.Form):
    reason = forms.CharField(
        max_length=100, required=False, widget=UnfoldAdminTextInputWidget, label="Reason"
    )


class AffiliateAddForm(forms.ModelForm):
    def clean_email(self) -> str:
        # affiliate_create refuses it too; here it is a field error rather than a failed save
        email = self.cleaned_data["email"].strip()
        if Affiliate.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(f"A webmaster with the email {email} already exists.")
        return email


class AffiliateNoteInline(TenantTabularInline):
    model = AffiliateNote
    fields = ["noted_on", "body", "author"]
    readonly_fields = ["author"]
    change_roles = BD

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # notes are a log: added, never edited


@admin.register(Affiliate)
class AffiliateAdmin(ExportMixin, SimpleHistoryAdmin, TenantAdmin):
    view_roles = ALL_STAFF
    change_roles = BD
    list_display = [
        "name", "email", "kind", "status", "bd_owner", "payment_hold", "created_at", "overview",
    ]  # fmt: skip
    list_filter = ["status", BdOwnerFilter, "kind", SiteCategoryFilter, "payment_hold"]
    list_select_related = ["bd_owner"]
    search_fields = ["name", "email", "company", "sites__url", "sites__name"]
    inlines = [AffiliateNoteInline]
    actions = ["assign_owner", "approve", "suspend", "lift_sign_in_lockout"]
    actions_list = ["import_file"]
    readonly_fields = [
        "status",
        "approved_at",
        "bd_owner",
        "payment_hold",
        "payment_hold_reason",
        "user",
        "payout_details",
    ]
    fieldsets = [
        (None, {"fields": ["name", "email", "kind", "status", "approved_at", "bd_owner", "user"]}),
        ("Contact", {"fields": ["company", "phone"]}),
        (
            "Payouts",
            {
                "fields": [
                    "payout_details",
                    "payment_hold",
                    "payment_hold_reason",
                    "is_company",
                    "payout_currency",
                ],
                "description": "The webmaster enters payout details in the portal; staff see "
                "them masked (the bank export carries them in full).",
            },
        ),
    ]
    # export (django-import-export, unfold's forms): the import's format, formulas escaped
    export_form_class = ExportForm
    export_formats = [CSV, XLSX]

    @admin.display(description="360")
    def overview(self, obj: Affiliate) -> str:
        """The webmaster 360 page (issue 14): sites, funnel, earnings, statements, history."""
        url = reverse("admin:desk-webmaster", args=[obj.pk])
        return format_html('<a href="{}" class="text-primary-600 underline">overview</a>', url)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = AffiliateAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:  # a new webmaster may get an owner right away
            return [
                "status",
                "approved_at",
                "payment_hold",
                "payment_hold_reason",
                "user",
                "payout_details",
            ]
        return list(self.readonly_fields)

    @admin.display(description="payout details")
    def payout_details(self, obj: Affiliate) -> str:
        if obj is None or obj.pk is None:
            return "entered by the webmaster in the portal"
        details = payout_details_of(obj)
        missing = payout_missing(details)
        if missing:
            return f"none yet ({missing})"
        return details.summary  # type: ignore[union-attr]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            # profile fields only; status, owner and hold move through their services
            changes = {name: form.cleaned_data[name] for name in form.changed_data}
            self.run_service(
                request, affiliate_update, affiliate=obj, actor=request.user, **changes
            )
            return
        profile = {
            name: form.cleaned_data[name] for name in PROFILE_FIELDS if name in form.cleaned_data
        }
        created = affiliate_create(
            email=form.cleaned_data["email"],
            name=form.cleaned_data["name"],
            kind=form.cleaned_data["kind"],
            bd_owner=form.cleaned_data.get("bd_owner"),
            actor=request.user,
            **profile,
        )
        obj.pk, obj.tenant, obj.status = created.pk, created.tenant, created.status
        obj._state.adding = False

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is AffiliateNote:
            added = [
                affiliate_note_add(
                    affiliate=form.instance,
                    author=request.user,
                    body=note.body,
                    noted_on=note.noted_on,
                )
                for note in formset.save(commit=False)
                if note.pk is None
            ]
            # the admin's change message reads these (the service wrote the rows)
            formset.new_objects, formset.changed_objects, formset.deleted_objects = added, [], []
            return
        super().save_formset(request, form, formset, change)

    # -- bulk actions (each with a confirmation page) ----------------------------------
    @admin.action(
        description="Assign a BD owner to the selected webmasters", permissions=["change"]
    )
    def assign_owner(self, request: HttpRequest, queryset: QuerySet[Affiliate]) -> Any:
        step = confirm_step(
            self,
            request,
            queryset,
            action="assign_owner",
            question=f"Assign a BD owner to these {queryset.count()} webmaster(s)?",
            submit_label="Assign owner",
            form_class=AssignOwnerForm,
            form_kwargs={"staff": tenant_staff(request)},
        )
        if step.response is not None:
            return step.response
        owner = step.cleaned_data["owner"]
        done = self._each(
            request, queryset, affiliate_assign_owner, owner=owner, actor=request.user
        )
        if done:
            self.message_user(request, f"{owner.email} now owns {done} webmaster(s).")
        return None

    @admin.action(description="Approve the selected webmasters", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Affiliate]) -> Any:
        step = confirm_step(
            self,
            request,
            queryset,
            action="approve",
            question=f"Approve these {queryset.count()} webmaster(s)? Their placements get "
            "live ad code and each is emailed.",
            submit_label="Approve",
        )
        if step.response is not None:
            return step.response
        done = self._each(request, queryset, affiliate_approve, actor=request.user)
        if done:
            self.message_user(request, f"Approved {done} webmaster(s).")
        return None

    @admin.action(description="Suspend the selected webmasters", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Affiliate]) -> Any:
        step = confirm_step(
            self,
            request,
            queryset,
            action="suspend",
            question=f"Suspend these {queryset.count()} webmaster(s)? Their API keys stop "
            "working and their ad code is withdrawn.",
            submit_label="Suspend",
            form_class=ReasonForm,
        )
        if step.response is not None:
            return step.response
        done = self._each(
            request,
            queryset,
            affiliate_suspend,
            actor=request.user,
            reason=step.cleaned_data.get("reason", ""),
        )
        if done:
            self.message_user(request, f"Suspended {done} webmaster(s).", level=messages.SUCCESS)
        return None

    @admin.action(
        description="Lift the sign-in lock-out of the selected webmasters", permissions=["change"]
    )
    def lift_sign_in_lockout(self, request: HttpRequest, queryset: QuerySet[Affiliate]) -> None:
        # failed sign-ins lock an account (issue 22); a webmaster locked out by a guesser
        # asks BD, who lifts it here (a successful password reset lifts it too)
        users = [a.user for a in queryset.select_related("user") if a.user is not None]
        count = account_lockouts_lift(users=users, actor=request.user)
        self.message_user(request, f"Lifted the sign-in lock-out of {count} account(s).")

    def _each(
        self, request: HttpRequest, queryset: QuerySet[Affiliate], func: Any, **kwargs: Any
    ) -> int:
        """One service call per row; a refusal is an error message naming the row, the others
        still go through (each call is its own transaction)."""
        return self.run_service_each(
            request, queryset, func, arguments=lambda affiliate: {"affiliate": affiliate, **kwargs}
        )

    # -- import / export ---------------------------------------------------------------
    @action(description="Import", icon="upload", url_path="import-file", permissions=["change"])
    def import_file(self, request: HttpRequest) -> HttpResponse:
        return HttpResponseRedirect(reverse("admin:tenants_importjob_add") + "?resource=affiliates")

    def has_export_permission(self, request: HttpRequest) -> bool:
        return self._has_role(request, self.change_roles)

    def get_export_resource_classes(self, request: HttpRequest) -> list[Any]:
        # webmasters with their placements: the resource lives in apps.sites (to the right)
        return [export_resource_class("affiliates")]


@admin.register(AffiliateNote)
class AffiliateNoteAdmin(TenantAdmin):
    change_roles = BD
    list_display = ["affiliate", "noted_on", "author"]
    list_select_related = ["affiliate", "author"]
    search_fields = ["body", "affiliate__name", "affiliate__email"]
    autocomplete_fields = ["affiliate"]
    readonly_fields = ["author"]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        note = affiliate_note_add(
            affiliate=obj.affiliate, author=request.user, body=obj.body, noted_on=obj.noted_on
        )
        obj.pk, obj.tenant, obj.author = note.pk, note.tenant, note.author
        obj._state.adding = False


# The desk (issue 14): role-home panels, 360 sections and desk pages of this app.
from apps.affiliates import admin_360, admin_home  # noqa: E402, F401
