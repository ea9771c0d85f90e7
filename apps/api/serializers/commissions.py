"""Serializers of the commissions domain (API.md ``POST /orders/{external_id}/status``)."""

from decimal import Decimal

from rest_framework import serializers

from apps.tracking.models import ReversalReason


class OrderStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(choices=["confirmed", "refunded", "cancelled"])
    refund_amount = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
    )
    reason = serializers.ChoiceField(
        choices=ReversalReason.values, required=False, allow_blank=True, default=""
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("refund_amount") is not None and attrs["status"] != "refunded":
            raise serializers.ValidationError(
                {"refund_amount": "refund_amount is given only with status refunded."}
            )
        return attrs


class OrderStatusOutput(serializers.Serializer):
    external_id = serializers.CharField()
    status = serializers.CharField()
    refund_amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    reason = serializers.CharField(source="status_reason")
