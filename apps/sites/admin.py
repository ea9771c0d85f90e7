"""Sites, placements and contracts in the back office (issue 3). New rows go through the sites
services, so a refused one (a taken URL or code, overlapping contract terms) is a form error
that names the clash, exactly as the API and the import would refuse it."""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from simple_history.admin import SimpleHistoryAdmin
from unfold.widgets import UnfoldAdminTextInputWidget

from apps.core.admin import TenantAdmin
from apps.core.admin_bulk import confirm_step
from apps.core.errors import DomainError
from apps.core.roles import ALL_STAFF, BD
from apps.sites.models import Contract, ContractStatus, Placement, Site, SiteStatus
from apps.sites.services import (
    contract_create,
    contract_terminate,
    placement_create,
    site_register,
    site_transition,
)


class ServiceCreateForm(forms.ModelForm):
    """An add form whose row is created by a service once the fields are valid; a
    ``DomainError`` becomes a form error (and nothing is written). The admin builds the
    fields per request (``add_fields``): a class-level foreign key would query unscoped."""

    actor: Any = None

    def create(self) -> Any:
        raise NotImplementedError

    def validate_unique(self) -> None:
        # The service checks uniqueness and overlaps with messages naming the clash; the
        # model's generic constraint messages would say less (and lack the tenant).
        return None

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors or self.instance.pk is not None:
            return
        try:
            with transaction.atomic():
                self.instance = self.create()
        except DomainError as exc:
            self.add_error(None, str(exc))
        except ValidationError as exc:
            self.add_error(None, exc.messages)


def _bind_actor(form_class: type[ServiceCreateForm], request: HttpRequest) -> type:
    return type(form_class.__name__, (form_class,), {"actor": request.user})


class SiteAddForm(ServiceCreateForm):
    def create(self) -> Site:
        data = self.cleaned_data
        return site_register(
            affiliate=data["affiliate"],
            url=data["url"],
            name=data["name"],
            category=data["category"],
        )


class PlacementAddForm(ServiceCreateForm):
    code = forms.CharField(
        required=False,
        max_length=32,
        widget=UnfoldAdminTextInputWidget,
        help_text="Leave blank to generate one.",
    )

    def create(self) -> Placement:
        data = self.cleaned_data
        return placement_create(
            site=data["site"],
            position=data["position"],
            code=data["code"] or None,
            name=data["name"],
            floor_cpm=data["floor_cpm"],
        )


class ContractAddForm(ServiceCreateForm):
    def create(self) -> Contract:
        data = self.cleaned_data
        return contract_create(
            placement=data["placement"],
            daily_guarantee=data["daily_guarantee"],
            click_rate=data["click_rate"],
            starts_on=data["starts_on"],
            ends_on=data["ends_on"],
            actor=self.actor,
        )


class ServiceCreateAdmin(TenantAdmin):
    """New rows come from ``add_form`` (a service); existing rows are read-only here and
    change through actions (their services)."""

    add_form: type[ServiceCreateForm]
    #: the add form's fields (built per request, so foreign keys list this tenant's rows)
    add_fields: list[str]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = _bind_actor(self.add_form, request)
            kwargs["fields"] = self.add_fields
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return [(None, {"fields": self.add_fields})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return []
        return [f.name for f in self.model._meta.fields if f.name not in ("id", "tenant")]

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            return  # read-only here
        # created by the form's service in validation; nothing more to write


@admin.register(Site)
class SiteAdmin(SimpleHistoryAdmin, ServiceCreateAdmin):
    view_roles = ALL_STAFF
    change_roles = BD
    add_form = SiteAddForm
    formfield_overrides = {
        **TenantAdmin.formfield_overrides,
        models.URLField: {
            **TenantAdmin.formfield_overrides.get(models.URLField, {}),
            "assume_scheme": "https",
        },
    }
    add_fields = ["affiliate", "url", "name", "category"]
    list_display = ["name", "url", "affiliate", "category", "status", "weight", "verified_at"]
    list_filter = ["status", "category", "verification_method"]
    list_select_related = ["affiliate"]
    search_fields = ["url", "name", "affiliate__email", "affiliate__name"]
    autocomplete_fields = ["affiliate"]
    actions = ["approve", "reject", "suspend"]

    PAST = {"approve": "Approved", "reject": "Rejected", "suspend": "Suspended"}

    def _move(self, request: HttpRequest, queryset: QuerySet[Site], to: str, verb: str) -> Any:
        step = confirm_step(
            self,
            request,
            queryset,
            action=verb,
            question=f"{verb.capitalize()} these {queryset.count()} site(s)?",
            submit_label=verb.capitalize(),
        )
        if step.response is not None:
            return step.response
        done = 0
        for site in queryset:
            result = self.run_service(
                request, site_transition, site=site, to=to, actor=request.user, reason=verb
            )
            done += result is not None
        if done:
            self.message_user(request, f"{self.PAST[verb]} {done} site(s).")
        return None

    @admin.action(description="Approve the selected sites", permissions=["change"])
    def approve(self, request: HttpRequest, queryset: QuerySet[Site]) -> Any:
        return self._move(request, queryset, SiteStatus.APPROVED, "approve")

    @admin.action(description="Reject the selected sites", permissions=["change"])
    def reject(self, request: HttpRequest, queryset: QuerySet[Site]) -> Any:
        return self._move(request, queryset, SiteStatus.REJECTED, "reject")

    @admin.action(description="Suspend the selected sites", permissions=["change"])
    def suspend(self, request: HttpRequest, queryset: QuerySet[Site]) -> Any:
        return self._move(request, queryset, SiteStatus.SUSPENDED, "suspend")


@admin.register(Placement)
class PlacementAdmin(SimpleHistoryAdmin, ServiceCreateAdmin):
    view_roles = ALL_STAFF
    change_roles = BD
    add_form = PlacementAddForm
    add_fields = ["site", "code", "name", "position", "floor_cpm"]
    list_display = ["code", "site", "position", "floor_cpm", "is_active"]
    list_filter = ["position", "is_active", "site__category"]
    list_select_related = ["site"]
    search_fields = ["code", "name", "site__url", "site__affiliate__email"]
    autocomplete_fields = ["site"]


class TerminateForm(forms.Form):
    reason = forms.CharField(max_length=500, widget=UnfoldAdminTextInputWidget, label="Reason")


@admin.register(Contract)
class ContractAdmin(SimpleHistoryAdmin, ServiceCreateAdmin):
    view_roles = ALL_STAFF
    change_roles = BD
    add_form = ContractAddForm
    add_fields = ["placement", "daily_guarantee", "click_rate", "starts_on", "ends_on"]
    list_display = [
        "placement",
        "site",
        "daily_guarantee",
        "click_rate",
        "starts_on",
        "ends_on",
        "status",
    ]
    list_filter = ["status"]
    list_select_related = ["placement__site"]
    search_fields = ["placement__code", "placement__site__url", "placement__site__affiliate__email"]
    autocomplete_fields = ["placement"]
    actions = ["terminate"]
    date_hierarchy = "starts_on"

    @admin.display(description="Site", ordering="placement__site__name")
    def site(self, contract: Contract) -> str:
        return contract.placement.site.name

    @admin.action(description="Terminate the selected contracts", permissions=["change"])
    def terminate(self, request: HttpRequest, queryset: QuerySet[Contract]) -> Any:
        queryset = queryset.filter(status=ContractStatus.ACTIVE)
        step = confirm_step(
            self,
            request,
            queryset,
            action="terminate",
            question=f"Terminate these {queryset.count()} active contract(s)? They stop "
            "paying guarantees and free their placements for new terms.",
            submit_label="Terminate",
            form_class=TerminateForm,
        )
        if step.response is not None:
            return step.response
        done = 0
        for contract in queryset:
            result = self.run_service(
                request,
                contract_terminate,
                contract=contract,
                actor=request.user,
                reason=step.cleaned_data["reason"],
            )
            done += result is not None
        if done:
            self.message_user(request, f"Terminated {done} contract(s).")
        return None


# The desk (issue 14): role-home panels, 360 sections and desk pages of this app.
from apps.sites import admin_360, admin_home  # noqa: E402, F401
