"""Serializers of the growth endpoints (API.md v1.1, merchant keys)."""

from decimal import Decimal

from rest_framework import serializers

MAX_DAILY_BUDGET = Decimal("999999999999.99")
MAX_TARGET_ROI = Decimal("999999.99")


class ForecastQuery(serializers.Serializer):
    daily_budget = serializers.DecimalField(
        max_digits=14,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_DAILY_BUDGET,
        help_text="The plan's daily budget in the tenant's currency, e.g. 200.00.",
    )
    target_roi = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        max_value=MAX_TARGET_ROI,
        help_text="The GMV / spend the plan aims for, e.g. 3.1.",
    )


class ForecastDailyOutput(serializers.Serializer):
    spend = serializers.DecimalField(max_digits=16, decimal_places=2)
    clicks = serializers.DecimalField(
        max_digits=16, decimal_places=1, coerce_to_string=False, help_text="Valid clicks a day."
    )
    orders = serializers.DecimalField(
        max_digits=16, decimal_places=1, coerce_to_string=False, help_text="Orders a day."
    )
    gmv = serializers.DecimalField(max_digits=16, decimal_places=2)
    roi = serializers.DecimalField(
        max_digits=16,
        decimal_places=2,
        allow_null=True,
        help_text="GMV / spend (two places, half-up); null when nothing would be spent.",
    )


class ForecastOutput(serializers.Serializer):
    daily = ForecastDailyOutput()
    chance_of_target = serializers.DecimalField(
        max_digits=3,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(1),
        coerce_to_string=False,
        help_text="The chance (0..1) that the ROI over a 7-day window reaches target_roi.",
    )
    basis = serializers.ChoiceField(
        choices=["product", "product_type", "none"],
        help_text="What the forecast reads: the product's own last 30 days, the same merchant's "
        "products of its type (too little history of its own), or nothing (too little "
        "history either way: every figure is zero).",
    )
