"""Serializers of the sites endpoints (API.md, webmaster keys: /sites, /placements)."""

from rest_framework import serializers

from apps.sites.models import Placement, PlacementPosition, Site, SiteStatus
from apps.sites.selectors import ad_code_for, click_url_template_for


class SiteInput(serializers.Serializer):
    url = serializers.URLField(max_length=500)
    name = serializers.CharField(max_length=150)
    category = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class SiteOutput(serializers.ModelSerializer):
    status = serializers.ChoiceField(choices=SiteStatus.choices)
    verified = serializers.BooleanField(source="is_verified")

    class Meta:
        model = Site
        fields = [
            "id",
            "url",
            "name",
            "category",
            "status",
            "verified",
            "verified_at",
            "weight",
            "created_at",
        ]
        read_only_fields = fields


class PlacementOutput(serializers.ModelSerializer):
    site = serializers.IntegerField(source="site_id")
    site_url = serializers.URLField(source="site.url")
    position = serializers.ChoiceField(choices=PlacementPosition.choices)
    ad_code = serializers.SerializerMethodField(
        help_text="The unified ad snippet; null until the webmaster and the site are approved."
    )
    click_url_template = serializers.SerializerMethodField()

    class Meta:
        model = Placement
        fields = [
            "code",
            "site",
            "site_url",
            "name",
            "position",
            "is_active",
            "ad_code",
            "click_url_template",
        ]
        read_only_fields = fields

    def get_ad_code(self, placement: Placement) -> str | None:
        return ad_code_for(placement=placement, base_url=self.context["base_url"])

    def get_click_url_template(self, placement: Placement) -> str:
        return click_url_template_for(placement=placement, base_url=self.context["base_url"])
