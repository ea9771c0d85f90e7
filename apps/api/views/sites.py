"""``/api/v1/sites`` and ``/api/v1/placements`` for webmaster keys (API.md)."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantReadApi
from apps.api.serializers.sites import PlacementOutput, SiteInput, SiteOutput
from apps.sites.selectors import placement_list_for_affiliate, site_list_for_affiliate
from apps.sites.services import site_register


def _base_url(request: Request) -> str:
    return f"{request.scheme}://{request.get_host()}"


class SiteListCreateApi(TenantReadApi):
    """The key's webmaster's sites; POST registers one (it starts ``pending``)."""

    principal = "affiliate"
    required_scopes = {"GET": ["sites:read"], "POST": ["sites:write"]}
    serializer_class = SiteOutput

    def selector(self) -> QuerySet[Any]:
        return site_list_for_affiliate(affiliate=self.affiliate)

    @extend_schema(summary="List your sites", responses=SiteOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(SiteOutput(page, many=True).data)

    @extend_schema(
        summary="Register a site (it starts pending review)",
        request=SiteInput,
        responses={201: SiteOutput},
    )
    def post(self, request: Request) -> Response:
        data = SiteInput(data=request.data)
        data.is_valid(raise_exception=True)
        site = site_register(affiliate=self.affiliate, **data.validated_data)
        return Response(SiteOutput(site).data, status=status.HTTP_201_CREATED)


class PlacementListApi(TenantReadApi):
    """The key's webmaster's placements with their ad code and click-URL template."""

    principal = "affiliate"
    required_scopes = {"GET": ["placements:read"]}
    serializer_class = PlacementOutput

    def selector(self) -> QuerySet[Any]:
        return placement_list_for_affiliate(affiliate=self.affiliate)

    @extend_schema(
        summary="List your placements and their ad code", responses=PlacementOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        context = {"base_url": _base_url(request)}
        return self.get_paginated_response(PlacementOutput(page, many=True, context=context).data)
