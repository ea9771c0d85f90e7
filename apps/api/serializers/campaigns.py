"""Serializers of the products and campaigns endpoints (API.md, merchant keys)."""

from decimal import Decimal

from rest_framework import serializers

from apps.campaigns.models import Campaign, CampaignStatus, CampaignType, Product

MAX_PRODUCTS_PER_POST = 1000


class ProductInput(serializers.Serializer):
    sku = serializers.CharField(max_length=64)
    title = serializers.CharField(max_length=300)
    url = serializers.URLField(max_length=1000)
    price = serializers.DecimalField(max_digits=14, decimal_places=2, min_value=Decimal("0.00"))
    product_type = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )
    image_url = serializers.URLField(max_length=1000, required=False, allow_blank=True, default="")


class ProductUpsertResultOutput(serializers.Serializer):
    sku = serializers.CharField()
    status = serializers.ChoiceField(choices=["created", "updated", "rejected"])
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class ProductUpsertOutput(serializers.Serializer):
    results = ProductUpsertResultOutput(many=True)


class ProductOutput(serializers.ModelSerializer):
    # A product may have no image: "" is not a URI, so the schema must not promise one.
    image_url = serializers.CharField(read_only=True, help_text="The image's URL, or empty.")

    class Meta:
        model = Product
        fields = [
            "sku",
            "title",
            "url",
            "price",
            "product_type",
            "image_url",
            "is_active",
            "is_tagged",
            "lifecycle_stage",
            "updated_at",
        ]
        read_only_fields = fields


class RoiTiersOutput(serializers.Serializer):
    tagged = serializers.BooleanField()
    tiers = serializers.ListField(
        child=serializers.DecimalField(max_digits=8, decimal_places=1),
        help_text="[low, mid, high] = 30-day ROI x 0.8, x 1.0, x 1.2 (one decimal, at least "
        "1.0); empty when the product is not tagged.",
    )


class CampaignInput(serializers.Serializer):
    name = serializers.CharField(max_length=150)
    type = serializers.ChoiceField(choices=CampaignType.choices)
    products = serializers.ListField(
        child=serializers.CharField(max_length=64), allow_empty=False, max_length=500
    )
    bid = serializers.DecimalField(
        max_digits=14,
        decimal_places=4,
        min_value=Decimal("0"),
        required=False,
        allow_null=True,
        default=None,
        help_text="CPC: per click. CPM: per thousand impressions. Not used by cps/full_site.",
    )
    daily_budget = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0.00")
    )
    target_roi = serializers.DecimalField(
        max_digits=8,
        decimal_places=2,
        min_value=Decimal("0.01"),
        required=False,
        allow_null=True,
        default=None,
        help_text="Full-site plans (required there): the GMV / spend aimed for.",
    )
    starts_at = serializers.DateTimeField()
    ends_at = serializers.DateTimeField(required=False, allow_null=True, default=None)
    min_site_weight = serializers.IntegerField(min_value=1, max_value=10, required=False, default=1)
    status = serializers.ChoiceField(
        choices=[CampaignStatus.DRAFT, CampaignStatus.ACTIVE],
        required=False,
        default=CampaignStatus.ACTIVE,
        help_text="Added: 'active' (default) starts the plan now, subject to the quota and "
        "exclusivity rules; 'draft' only stores it.",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs.get("ends_at") and attrs["ends_at"] <= attrs["starts_at"]:
            raise serializers.ValidationError({"ends_at": "The end must be after the start."})
        return attrs


class CampaignStatusInput(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=[CampaignStatus.ACTIVE, CampaignStatus.PAUSED, CampaignStatus.ENDED]
    )


class CampaignOutput(serializers.ModelSerializer):
    products = serializers.SerializerMethodField()
    roi_tiers_at_start = serializers.ListField(
        child=serializers.CharField(), help_text="The tiers offered when the plan started."
    )

    class Meta:
        model = Campaign
        fields = [
            "id",
            "name",
            "type",
            "status",
            "products",
            "bid",
            "daily_budget",
            "target_roi",
            "starts_at",
            "ends_at",
            "min_site_weight",
            "started_at",
            "product_was_tagged",
            "roi_tiers_at_start",
            "target_roi_was_tier",
            "created_at",
        ]
        read_only_fields = fields

    def get_products(self, campaign: Campaign) -> list[str]:
        # prefetched by the selector (one query for the page)
        return [product.sku for product in campaign.products.all()]


class PerformanceQuery(serializers.Serializer):
    # "from" is a Python keyword: declared below under its real name
    to = serializers.DateField(required=False)

    def get_fields(self) -> dict:
        fields = super().get_fields()
        fields["from"] = serializers.DateField(required=False)
        return fields

    def validate(self, attrs: dict) -> dict:
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": "'from' must be on or before 'to'."})
        if attrs.get("from") and attrs.get("to") and (attrs["to"] - attrs["from"]).days > 366:
            raise serializers.ValidationError({"to": "Ask for at most 366 days at once."})
        return attrs


class PerformanceOutput(serializers.Serializer):
    campaign = serializers.IntegerField()
    to = serializers.DateField()
    spend = serializers.DecimalField(max_digits=16, decimal_places=2)
    gmv = serializers.DecimalField(max_digits=16, decimal_places=2)
    roi = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        allow_null=True,
        help_text="GMV / spend; null without spend.",
    )
    target_roi = serializers.DecimalField(max_digits=8, decimal_places=2, allow_null=True)
    attainment = serializers.DecimalField(
        max_digits=16,
        decimal_places=4,
        allow_null=True,
        help_text="ROI / target ROI; null without spend or without a target ROI.",
    )
    impressions = serializers.IntegerField()
    valid_clicks = serializers.IntegerField()
    orders = serializers.IntegerField()

    def get_fields(self) -> dict:
        fields = super().get_fields()
        fields["from"] = serializers.DateField()
        return fields
