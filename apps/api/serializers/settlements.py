"""Serializers of ``/reports/daily`` and ``/settlements`` (API.md, webmaster keys)."""

from typing import Any

from rest_framework import serializers

from apps.commissions.models import Statement, StatementLine
from apps.commissions.selectors_reports import INVALID_REASONS

MONEY: dict[str, Any] = {"max_digits": 14, "decimal_places": 2}
#: the longest range one report request may cover (a year, leap years included)
MAX_REPORT_DAYS = 366


class DailyReportInput(serializers.Serializer):
    # "from" and "to" are Python keywords: read from the query by name in the view.
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    site = serializers.CharField(required=False, allow_blank=False)
    placement = serializers.CharField(required=False, allow_blank=False)
    by = serializers.ChoiceField(choices=["sub"], required=False)

    def validate(self, attrs: dict) -> dict:
        if attrs["date_to"] < attrs["date_from"]:
            raise serializers.ValidationError({"to": "to must be on or after from."})
        if (attrs["date_to"] - attrs["date_from"]).days + 1 > MAX_REPORT_DAYS:
            raise serializers.ValidationError(
                {"to": f"A report covers at most {MAX_REPORT_DAYS} days; ask for less."}
            )
        return attrs


class EarningsOutput(serializers.Serializer):
    clicks = serializers.DecimalField(**MONEY)
    guarantee_topup = serializers.DecimalField(**MONEY)
    registrations = serializers.DecimalField(**MONEY)
    orders = serializers.DecimalField(**MONEY)
    total = serializers.DecimalField(**MONEY)


class InvalidByReasonOutput(serializers.Serializer):
    bot = serializers.IntegerField()
    duplicate = serializers.IntegerField()
    ip_cap = serializers.IntegerField()
    self = serializers.IntegerField()
    blocked = serializers.IntegerField(help_text="On the network's block list (addition).")

    class Meta:
        fields = INVALID_REASONS


class DailyReportRowOutput(serializers.Serializer):
    date = serializers.DateField()
    site = serializers.IntegerField(help_text="The site's id (as in GET /sites).")
    site_name = serializers.CharField()
    placement = serializers.CharField(help_text="The placement's code.")
    sub = serializers.CharField(required=False, help_text="Only with by=sub.")
    clicks = serializers.IntegerField()
    valid_clicks = serializers.IntegerField()
    invalid_clicks = serializers.IntegerField()
    invalid_by_reason = InvalidByReasonOutput(allow_null=True)
    landings = serializers.IntegerField()
    lost_after_jump = serializers.IntegerField(
        help_text="valid_clicks - landings (landings count valid clicks only), never negative."
    )
    registrations = serializers.IntegerField()
    orders = serializers.IntegerField()
    earnings = EarningsOutput()
    provisional = serializers.BooleanField(
        help_text=(
            "true for a day the nightly run has not closed (today): counted every few minutes "
            "by the nightly rules and replaced by the nightly figures; false for closed days."
        )
    )


class StatementLineOutput(serializers.ModelSerializer):
    class Meta:
        model = StatementLine
        fields = ["id", "kind", "day", "description", "amount", "reason"]


class StatementOutput(serializers.ModelSerializer):
    lines = StatementLineOutput(many=True, read_only=True)
    # issue 17 (additions): what the statement pays before and after income tax withheld,
    # the currency of every amount, and a payout in another currency when there is one
    gross = serializers.DecimalField(
        max_digits=14, decimal_places=2, read_only=True, coerce_to_string=True
    )
    currency = serializers.CharField(source="tenant.currency", read_only=True)

    class Meta:
        model = Statement
        fields = [
            "id",
            "period",
            "period_start",
            "period_end",
            "status",
            "opening_balance",
            "lines_total",
            "gross",
            "tax_withheld",
            "total",
            "currency",
            "payout_currency",
            "payout_amount",
            "carried_forward",
            "submitted_at",
            "approved_at",
            "paid_at",
            "payout_reference",
            "lines",
        ]
