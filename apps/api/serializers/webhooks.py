"""Serializers of ``/api/v1/webhooks`` (API.md v1.1 "Webhooks")."""

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from apps.core.events import EVENT_TYPES
from apps.integrations.models import Delivery, DeliveryAttempt, DeliveryStatus, WebhookEndpoint

SIGNING_HELP = (
    "The signing secret, shown only in this answer: every delivery carries "
    '`Alliance-Signature: t=UNIX_SECONDS,v1=HEX`, HEX = HMAC-SHA256(secret, t + "." + body).'
)


class WebhookInput(serializers.Serializer):
    url = serializers.CharField(max_length=2000, help_text="https:// on a public address")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, max_length=20
    )
    description = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class WebhookOutput(serializers.ModelSerializer):
    events = serializers.ListField(child=serializers.CharField())
    secret_hint = serializers.CharField(help_text="The first characters of the current secret.")
    disabled_reason = serializers.CharField(allow_blank=True)

    class Meta:
        model = WebhookEndpoint
        fields = [
            "id", "url", "events", "description", "is_active", "disabled_at", "disabled_reason",
            "secret_hint", "secret_rotated_at", "last_success_at", "consecutive_failures",
            "created_at",
        ]  # fmt: skip
        read_only_fields = fields


class WebhookWithSecretOutput(WebhookOutput):
    secret = serializers.CharField(help_text=SIGNING_HELP)

    class Meta(WebhookOutput.Meta):
        fields = [*WebhookOutput.Meta.fields, "secret"]
        read_only_fields = fields


class DeliveryAttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = DeliveryAttempt
        fields = [
            "number", "created_at", "status_code", "error", "duration_ms", "is_replay",
        ]  # fmt: skip
        read_only_fields = fields


class DeliveryOutput(serializers.ModelSerializer):
    event_id = serializers.UUIDField(source="event.event_id")
    event_type = serializers.CharField(source="event.type")
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    log = serializers.SerializerMethodField(help_text="The latest attempts, newest first.")

    class Meta:
        model = Delivery
        fields = [
            "id", "event_id", "event_type", "status", "attempts", "last_status_code",
            "last_error", "next_attempt_at", "delivered_at", "created_at", "log",
        ]  # fmt: skip
        read_only_fields = fields

    @extend_schema_field(DeliveryAttemptOutput(many=True))
    def get_log(self, delivery: Delivery) -> list[dict[str, object]]:
        attempts = list(delivery.log.all())[:20]
        return DeliveryAttemptOutput(attempts, many=True).data  # type: ignore[return-value]
