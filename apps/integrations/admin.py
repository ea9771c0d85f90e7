"""Webhooks and postbacks in the back office (issue 16).

Staff add the network's own endpoints here (merchants and webmasters manage theirs in the
portal and the API), see every endpoint's and postback's health and delivery log, switch
targets off and on, rotate a secret, and replay a delivery. A secret is shown once, on the
page that answers its creation or rotation (never in a message: those live in cookies).
"""

from typing import Any

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse

from apps.core.admin import ReadOnlyTenantAdmin, TenantAdmin, TenantTabularInline
from apps.core.errors import DomainError
from apps.core.events import EVENT_TYPES
from apps.core.roles import ADMINS, NOBODY
from apps.integrations.models import (
    Delivery,
    DeliveryAttempt,
    Event,
    PostbackTemplate,
    WebhookEndpoint,
)
from apps.integrations.services.deliveries import delivery_replay
from apps.integrations.services.webhooks import (
    IssuedEndpoint,
    target_delete,
    target_disable,
    target_enable,
    webhook_endpoint_create,
    webhook_endpoint_rotate,
)


def _secret_page(request: HttpRequest, issued: IssuedEndpoint, what: str) -> HttpResponse:
    response = TemplateResponse(
        request,
        "admin/integrations/secret.html",
        {"title": f"Signing secret ({what})", "issued": issued, "opts": WebhookEndpoint._meta},
    )
    response["Cache-Control"] = "no-store"
    return response


class WebhookEndpointAddForm(forms.ModelForm):
    """Creates through ``webhook_endpoint_create``; no ``Meta`` (the admin builds it inside
    the request's tenant scope)."""

    url = forms.CharField(max_length=2000, help_text="https:// on a public address")
    events = forms.MultipleChoiceField(
        choices=[(t, t) for t in EVENT_TYPES], widget=forms.CheckboxSelectMultiple
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if self.errors:
            return data
        try:
            self.issued = webhook_endpoint_create(
                url=data["url"],
                events=data["events"],
                merchant=data.get("merchant"),
                affiliate=data.get("affiliate"),
                description=data.get("description", ""),
                actor=getattr(self, "actor", None),
            )
        except DomainError as exc:
            field = exc.extra.get("field")
            raise ValidationError({field if field in self.fields else None: exc.message}) from None
        return data


class _TargetAdmin(TenantAdmin):
    change_roles = ADMINS
    actions = ["enable_targets", "disable_targets", "delete_targets"]

    @admin.action(description="Enable (deliver again)")
    def enable_targets(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for target in queryset:
            self.run_service(request, target_enable, target=target)

    @admin.action(description="Disable (stop delivering)")
    def disable_targets(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for target in queryset:
            self.run_service(
                request, target_disable, target=target, reason=f"disabled by {request.user}"
            )

    @admin.action(description="Delete (stop for good; the log stays)")
    def delete_targets(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        for target in queryset:
            self.run_service(request, target_delete, target=target)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(_TargetAdmin):
    list_display = [
        "url", "owner_label", "is_active", "consecutive_failures", "last_success_at",
        "secret_hint", "deleted_at",
    ]  # fmt: skip
    list_select_related = ["merchant", "affiliate"]
    list_filter = ["is_active"]
    search_fields = ["url", "merchant__code", "affiliate__email"]
    autocomplete_fields = ["merchant", "affiliate"]
    actions = [*_TargetAdmin.actions, "rotate_secret"]
    readonly_fields = [
        "merchant", "affiliate", "url", "events", "description", "secret_hint",
        "secret_rotated_at", "is_active", "disabled_at", "disabled_reason", "failing_since",
        "consecutive_failures", "last_success_at", "created_by", "deleted_at",
    ]  # fmt: skip

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is None:
            kwargs["form"] = WebhookEndpointAddForm
            kwargs["fields"] = ["merchant", "affiliate", "url", "events", "description"]
        form = super().get_form(request, obj, change=change, **kwargs)
        form.actor = request.user
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return self.readonly_fields if obj is not None else []

    def get_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        if obj is None:
            return ["merchant", "affiliate", "url", "events", "description"]
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.pk, obj.tenant = form.issued.endpoint.pk, form.issued.endpoint.tenant
            obj._state.adding = False

    def response_add(self, request: HttpRequest, obj: Any, post_url_continue: Any = None) -> Any:
        issued = getattr(request, "_issued_endpoint", None)
        if issued is None:
            return super().response_add(request, obj, post_url_continue)
        return _secret_page(request, issued, "new endpoint")

    def save_form(self, request: HttpRequest, form: Any, change: bool) -> Any:
        if not change:
            request._issued_endpoint = form.issued  # type: ignore[attr-defined]
        return super().save_form(request, form, change)

    @admin.action(description="Rotate the signing secret (one endpoint)")
    def rotate_secret(self, request: HttpRequest, queryset: QuerySet[Any]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, "Choose exactly one endpoint to rotate.", level="error")
            return None
        issued = self.run_service(request, webhook_endpoint_rotate, endpoint=queryset.get())
        return _secret_page(request, issued, "rotated") if issued else None


@admin.register(PostbackTemplate)
class PostbackTemplateAdmin(_TargetAdmin):
    list_display = [
        "url_template", "affiliate", "placement", "is_active", "consecutive_failures",
        "last_success_at", "deleted_at",
    ]  # fmt: skip
    list_select_related = ["affiliate", "placement"]
    list_filter = ["is_active"]
    search_fields = ["url_template", "affiliate__email", "placement__code"]
    readonly_fields = [
        "affiliate", "placement", "url_template", "events", "is_active", "disabled_at",
        "disabled_reason", "failing_since", "consecutive_failures", "last_success_at",
        "created_by", "deleted_at",
    ]  # fmt: skip

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False  # webmasters set their postbacks in the portal


@admin.register(Event)
class EventAdmin(ReadOnlyTenantAdmin):
    list_display = ["event_id", "type", "merchant", "affiliate", "created_at"]
    list_select_related = ["merchant", "affiliate"]
    list_filter = ["type"]
    search_fields = ["=event_id"]
    readonly_fields = ["event_id", "type", "data", "merchant", "affiliate", "created_at"]


class DeliveryAttemptInline(TenantTabularInline):
    model = DeliveryAttempt
    fields = [
        "number", "created_at", "url", "status_code", "error", "duration_ms", "is_replay",
        "response_excerpt",
    ]  # fmt: skip
    readonly_fields = fields
    change_roles = NOBODY
    extra = 0

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyTenantAdmin):
    """The delivery log: every attempt's URL, status code and error; replay resends."""

    list_display = [
        "id", "event", "endpoint", "postback", "status", "attempts", "last_status_code",
        "next_attempt_at", "created_at",
    ]  # fmt: skip
    list_select_related = ["event", "endpoint", "postback"]
    list_filter = ["status", "method"]
    search_fields = ["=event__event_id", "endpoint__url", "url"]
    readonly_fields = [
        "event", "endpoint", "postback", "conversion", "dedupe_key", "method", "url", "body",
        "status", "attempts", "next_attempt_at", "last_status_code", "last_error",
        "delivered_at",
    ]  # fmt: skip
    exclude = ["lease_until", "is_replay"]
    inlines = [DeliveryAttemptInline]
    actions = ["replay_deliveries"]

    @admin.action(description="Replay (send again with the same body)")
    def replay_deliveries(self, request: HttpRequest, queryset: QuerySet[Delivery]) -> None:
        done = 0
        for delivery in queryset:
            done += self.run_service(request, delivery_replay, delivery=delivery) is not None
        self.message_user(request, f"{done} delivery(ies) sent again.")
