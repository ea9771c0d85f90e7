"""Serializers of ``/api/v1/claims`` (merchant keys) and ``/api/v1/disputes`` (webmaster keys)."""

from decimal import Decimal

from rest_framework import serializers

from apps.disputes.models import WINDOW_DAYS_DEFAULT, Claim, Dispute


class ClaimInput(serializers.Serializer):
    campaign = serializers.IntegerField(help_text="The id of your full-site plan.")
    window_days = serializers.IntegerField(
        required=False,
        default=WINDOW_DAYS_DEFAULT,
        help_text="Evaluation window in days, 7 to 15 (the service refuses others: bad_window).",
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")
    phase = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        help_text="Added in v1.1 (issue 18): the id of one phase of a phased plan, to be judged "
        "on that phase's days and target.",
    )


class ClaimCreatedOutput(serializers.ModelSerializer):
    amount = serializers.DecimalField(
        source="computed_amount", max_digits=14, decimal_places=2, read_only=True
    )

    class Meta:
        model = Claim
        fields = ["id", "status", "amount"]


class ClaimOutput(serializers.ModelSerializer):
    campaign = serializers.IntegerField(source="campaign_id")
    amount = serializers.DecimalField(
        source="computed_amount", max_digits=14, decimal_places=2, read_only=True
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "campaign",
            "status",
            "amount",
            "approved_amount",
            "window_days",
            "window_start",
            "window_end",
            "spend",
            "gmv",
            "target_roi",
            "tolerance",
            "note",
            "decision_reason",
            "decided_at",
            "created_at",
        ]


class DisputeInput(serializers.Serializer):
    merchant = serializers.CharField(max_length=40, help_text="The merchant's code.")
    order_reference = serializers.CharField(max_length=100)
    order_date = serializers.DateField()
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.01"))
    note = serializers.CharField(required=False, allow_blank=True, max_length=4000, default="")


class DisputeOutput(serializers.ModelSerializer):
    merchant = serializers.CharField(source="merchant.code")
    evidence = serializers.SerializerMethodField()

    class Meta:
        model = Dispute
        fields = [
            "id",
            "merchant",
            "order_reference",
            "order_date",
            "amount",
            "note",
            "status",
            "decision_reason",
            "decided_at",
            "created_at",
            "evidence",
        ]

    def get_evidence(self, dispute: Dispute) -> dict:
        """What the webmaster sees of the check: whether clicks and the order were found
        (never the merchant's order amount or its attribution)."""
        evidence = dispute.evidence or {}
        return {
            "clicks_found": (evidence.get("clicks") or {}).get("count", 0),
            "order_found": bool((evidence.get("order") or {}).get("found")),
        }
