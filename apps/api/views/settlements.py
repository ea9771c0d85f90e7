"""``GET /reports/daily``, ``GET /settlements``, ``GET /settlements/{id}`` for webmaster keys
(API.md). Aggregates only; another webmaster's or tenant's site, placement or statement is 404."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantApiView, TenantReadApi
from apps.api.pagination import Pagination
from apps.api.serializers.settlements import (
    DailyReportInput,
    DailyReportRowOutput,
    StatementOutput,
)
from apps.commissions.selectors_reports import DailyReportRows
from apps.commissions.selectors_statements import statement_list_for_affiliate
from apps.core.params import param_int
from apps.sites.models import Placement, Site
from apps.sites.selectors import placement_get_for_affiliate, site_get_for_affiliate


def _own_site(affiliate: Any, value: str) -> Site:
    site_id = param_int({"site": value}, "site", minimum=1)  # 400 naming site if not an id
    site = site_get_for_affiliate(affiliate=affiliate, pk=site_id)
    if site is None:
        raise Http404
    return site


def _own_placement(affiliate: Any, value: str) -> Placement:
    placement = placement_get_for_affiliate(affiliate=affiliate, ref=value)
    if placement is None:
        raise Http404
    return placement


# The report pages like every list (count/next/previous/results); a plain APIView does not tell
# drf-spectacular so, hence the page is spelled out.
DailyReportPage = inline_serializer(
    "PaginatedDailyReportRowList",
    {
        "count": serializers.IntegerField(),
        "next": serializers.URLField(allow_null=True),
        "previous": serializers.URLField(allow_null=True),
        "results": DailyReportRowOutput(many=True),
    },
)


class DailyReportApi(TenantApiView):
    """The funnel and earnings per day and placement (``by=sub``: per sub tag too)."""

    principal = "affiliate"
    required_scopes = {"GET": ["reports:read"]}

    @extend_schema(
        summary="Your daily funnel and earnings per site and placement",
        parameters=[
            OpenApiParameter("from", OpenApiTypes.DATE, required=True),
            OpenApiParameter("to", OpenApiTypes.DATE, required=True),
            OpenApiParameter("site", OpenApiTypes.INT, description="a site id of yours"),
            OpenApiParameter("placement", OpenApiTypes.STR, description="a placement code"),
            OpenApiParameter("by", OpenApiTypes.STR, enum=["sub"]),
        ],
        responses=DailyReportPage,
    )
    def get(self, request: Request) -> Response:
        query = request.query_params
        data = DailyReportInput(
            data={
                "date_from": query.get("from"),
                "date_to": query.get("to"),
                **{key: query[key] for key in ("site", "placement", "by") if key in query},
            }
        )
        if not data.is_valid():
            errors = {
                {"date_from": "from", "date_to": "to"}.get(key, key): value
                for key, value in data.errors.items()
            }
            raise ValidationError(errors)
        params = data.validated_data
        site = _own_site(self.affiliate, params["site"]) if "site" in params else None
        placement = (
            _own_placement(self.affiliate, params["placement"]) if "placement" in params else None
        )
        # paged in SQL: only the page's rows are built (issue 19)
        rows = DailyReportRows(
            affiliate=self.affiliate,
            date_from=params["date_from"],
            date_to=params["date_to"],
            site=site,
            placement=placement,
            by_sub=params.get("by") == "sub",
        )
        paginator = Pagination()
        page = paginator.paginate_queryset(rows, request, view=self)
        output = DailyReportRowOutput(page, many=True).data
        if params.get("by") != "sub":
            for row in output:
                row.pop("sub", None)
        return paginator.get_paginated_response(output)


class StatementListApi(TenantReadApi):
    """Your settlement statements, newest first, with lines and status."""

    principal = "affiliate"
    required_scopes = {"GET": ["settlements:read"]}
    serializer_class = StatementOutput

    def selector(self) -> QuerySet[Any]:
        return statement_list_for_affiliate(affiliate=self.affiliate)

    @extend_schema(summary="List your statements", responses=StatementOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(StatementOutput(page, many=True).data)


class StatementDetailApi(TenantReadApi):
    principal = "affiliate"
    required_scopes = {"GET": ["settlements:read"]}
    serializer_class = StatementOutput

    def selector(self) -> QuerySet[Any]:
        return statement_list_for_affiliate(affiliate=self.affiliate)

    @extend_schema(summary="One statement with its lines", responses=StatementOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(StatementOutput(self.get_object()).data)
