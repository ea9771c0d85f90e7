"""Serializers of the tracking endpoints of the partner API (``POST /conversions``).

Each event is validated by ``apps.tracking.services.conversions_record`` on its own (a bad one
is ``rejected`` while the others count), so the input serializer checks only the envelope;
the event serializers below document the shape for the OpenAPI schema.
"""

from django.core.serializers.json import DjangoJSONEncoder
from rest_framework import serializers

from apps.tracking.services.conversions import MAX_EVENTS


class ConversionItemSchema(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    product_type = serializers.CharField(max_length=60, required=False)
    quantity = serializers.IntegerField(min_value=1)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=0)


class ConversionEventSchema(serializers.Serializer):
    type = serializers.ChoiceField(choices=["registration", "order"])
    external_id = serializers.CharField(max_length=100)
    click_id = serializers.UUIDField(
        required=False,
        help_text="The click_id our redirect added to your URL; may be left out when "
        "`coupon` names a coupon you registered (POST /coupons).",
    )
    occurred_at = serializers.DateTimeField()
    amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, help_text="orders"
    )
    customer_type = serializers.ChoiceField(choices=["new", "returning"], required=False)
    customer_ref = serializers.CharField(max_length=100, required=False)
    items = ConversionItemSchema(many=True, required=False)
    coupon = serializers.CharField(
        max_length=64,
        required=False,
        help_text="Orders: the coupon code used. With no usable click_id, a registered coupon "
        "attributes the order to its webmaster; with both, the network's rule decides "
        "(click first by default).",
    )
    currency = serializers.CharField(
        max_length=3,
        required=False,
        help_text="ISO 4217; default the network's. A currency the network has no rate for: "
        "rejected, naming `currency`.",
    )


class ConversionsInput(serializers.Serializer):
    events = serializers.ListField(
        child=serializers.JSONField(encoder=DjangoJSONEncoder),
        max_length=MAX_EVENTS,
        allow_empty=True,
    )


class ConversionsSchemaInput(serializers.Serializer):
    events = ConversionEventSchema(many=True, max_length=MAX_EVENTS)


class ConversionResultOutput(serializers.Serializer):
    external_id = serializers.CharField(allow_null=True)
    type = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["created", "duplicate", "rejected"])
    errors = serializers.DictField(
        child=serializers.CharField(), required=False, help_text="field -> what is wrong"
    )


class ConversionsOutput(serializers.Serializer):
    results = ConversionResultOutput(many=True)
