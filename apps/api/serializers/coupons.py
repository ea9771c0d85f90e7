"""Serializers of ``/api/v1/coupons`` (API.md v1.1, merchant keys)."""

from rest_framework import serializers

from apps.tracking.models import Coupon
from apps.tracking.services.coupons import CODE_HELP


class CouponInput(serializers.Serializer):
    code = serializers.CharField(max_length=64, help_text=CODE_HELP)
    webmaster = serializers.EmailField(help_text="The webmaster's email in this network.")
    placement = serializers.CharField(
        max_length=32, required=False, allow_null=True, allow_blank=True,
        help_text="One of that webmaster's placement codes (optional).",
    )  # fmt: skip
    valid_from = serializers.DateField(required=False, allow_null=True)
    valid_to = serializers.DateField(required=False, allow_null=True)


class CouponOutput(serializers.ModelSerializer):
    webmaster = serializers.EmailField(source="affiliate.email")
    placement = serializers.CharField(source="placement.code", allow_null=True, default=None)

    class Meta:
        model = Coupon
        fields = ["code", "webmaster", "placement", "valid_from", "valid_to", "created_at"]
        read_only_fields = fields
