"""``/api/v1/products`` and ``/api/v1/campaigns`` for merchant keys (API.md).

A key sees only its own merchant's products and plans; another merchant's or tenant's id or
sku answers 404. Refusals (quota, full-site exclusivity, missing target ROI or bid) come from
the campaign services as ``{"code", "message", "extra"}`` with status 400 (409 for a status
move the plan's state does not allow).
"""

import datetime
from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantReadApi
from apps.api.serializers.campaigns import (
    MAX_PRODUCTS_PER_POST,
    CampaignInput,
    CampaignOutput,
    CampaignStatusInput,
    PerformanceOutput,
    PerformanceQuery,
    ProductInput,
    ProductOutput,
    ProductUpsertOutput,
    RoiTiersOutput,
)
from apps.campaigns.models import CampaignStatus, CampaignType, Product
from apps.campaigns.selectors.campaigns import campaign_list
from apps.campaigns.selectors.products import product_list
from apps.campaigns.services.campaigns import campaign_create, campaign_transition
from apps.campaigns.services.products import product_upsert_many, roi_tiers
from apps.core.params import param_choice
from apps.tenants.clock import tenant_today
from apps.tracking.performance import campaign_performance

DEFAULT_PERFORMANCE_DAYS = 30


class ProductListCreateApi(TenantReadApi):
    """The key's merchant's products; POST upserts a list by sku, one result per item."""

    principal = "merchant"
    required_scopes = {"GET": ["products:read"], "POST": ["products:write"]}
    serializer_class = ProductOutput

    def selector(self) -> QuerySet[Any]:
        return product_list(merchant=self.merchant)

    @extend_schema(summary="List your products", responses=ProductOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ProductOutput(page, many=True).data)

    @extend_schema(
        summary="Create or update products by sku (at most 1000 per call)",
        request=ProductInput(many=True),
        responses={200: ProductUpsertOutput},
    )
    def post(self, request: Request) -> Response:
        items = request.data
        if not isinstance(items, list):
            raise exceptions.ValidationError(
                {"non_field_errors": ["Send a JSON list of products."]}
            )
        if len(items) > MAX_PRODUCTS_PER_POST:
            raise exceptions.ValidationError(
                {"non_field_errors": [f"At most {MAX_PRODUCTS_PER_POST} products per call."]}
            )
        # Each item is checked on its own so one bad item does not refuse the others.
        answers: list[dict[str, Any] | None] = []
        valid: list[dict[str, Any]] = []
        for item in items:
            data = ProductInput(data=item if isinstance(item, dict) else {})
            if data.is_valid():
                answers.append(None)
                valid.append(data.validated_data)
            else:
                sku = item.get("sku", "") if isinstance(item, dict) else ""
                answers.append({"sku": str(sku), "status": "rejected", "errors": data.errors})
        results = iter(product_upsert_many(merchant=self.merchant, items=valid))
        out = []
        for answer in answers:
            if answer is not None:
                out.append(answer)
                continue
            result = next(results)
            row: dict[str, Any] = {"sku": result.sku, "status": result.status}
            if result.errors:
                row["errors"] = result.errors
            out.append(row)
        return Response({"results": out}, status=status.HTTP_200_OK)


class ProductRoiTiersApi(TenantReadApi):
    """Whether the product is tagged, and its three recommended target-ROI tiers."""

    principal = "merchant"
    required_scopes = {"GET": ["products:read"]}
    serializer_class = RoiTiersOutput
    lookup_field = "sku"
    lookup_url_kwarg = "sku"

    def selector(self) -> QuerySet[Any]:
        return product_list(merchant=self.merchant)

    @extend_schema(summary="A product's recommended ROI tiers", responses=RoiTiersOutput)
    def get(self, request: Request, sku: str) -> Response:
        product: Product = self.get_object()
        return Response(
            RoiTiersOutput({"tagged": product.is_tagged, "tiers": roi_tiers(product)}).data
        )


class _MerchantCampaignApi(TenantReadApi):
    principal = "merchant"
    serializer_class = CampaignOutput

    def selector(self) -> QuerySet[Any]:
        return campaign_list(merchant=self.merchant)


class CampaignListCreateApi(_MerchantCampaignApi):
    """The key's merchant's plans; POST creates one (active unless ``status`` is draft)."""

    required_scopes = {"GET": ["campaigns:read"], "POST": ["campaigns:write"]}

    @extend_schema(
        summary="List your campaigns",
        parameters=[
            OpenApiParameter("status", str, enum=["draft", "active", "paused", "ended"]),
            OpenApiParameter("type", str, enum=["cps", "cpc", "cpm", "full_site"]),
        ],
        responses=CampaignOutput(many=True),
    )
    def get(self, request: Request) -> Response:
        queryset = self.get_queryset()
        status_ = param_choice(request.query_params, "status", CampaignStatus.values)
        if status_:
            queryset = queryset.filter(status=status_)
        type_ = param_choice(request.query_params, "type", CampaignType.values)
        if type_:
            queryset = queryset.filter(type=type_)
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(CampaignOutput(page, many=True).data)

    @extend_schema(
        summary="Create a campaign (quota, exclusivity and target-ROI rules apply)",
        request=CampaignInput,
        responses={201: CampaignOutput},
    )
    def post(self, request: Request) -> Response:
        data = CampaignInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = dict(data.validated_data)
        skus = list(dict.fromkeys(values.pop("products")))
        products = {p.sku: p for p in product_list(merchant=self.merchant).filter(sku__in=skus)}
        unknown = [sku for sku in skus if sku not in products]
        if unknown:
            raise exceptions.ValidationError(
                {"products": [f"Unknown sku(s) for your merchant: {', '.join(unknown)}."]}
            )
        campaign = campaign_create(
            merchant=self.merchant, products=[products[sku] for sku in skus], **values
        )
        campaign = self.get_queryset().get(pk=campaign.pk)
        return Response(CampaignOutput(campaign).data, status=status.HTTP_201_CREATED)


class CampaignDetailApi(_MerchantCampaignApi):
    required_scopes = {"GET": ["campaigns:read"]}

    @extend_schema(summary="One of your campaigns", responses=CampaignOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(CampaignOutput(self.get_object()).data)


class CampaignStatusApi(_MerchantCampaignApi):
    """Added to the contract: activate, pause or end a plan (the same rules as the portal)."""

    required_scopes = {"POST": ["campaigns:write"]}

    @extend_schema(
        summary="Activate, pause or end a campaign",
        request=CampaignStatusInput,
        responses={200: CampaignOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        campaign = self.get_object()
        data = CampaignStatusInput(data=request.data)
        data.is_valid(raise_exception=True)
        campaign_transition(campaign=campaign, to=data.validated_data["status"])
        return Response(CampaignOutput(self.get_queryset().get(pk=campaign.pk)).data)


class CampaignPerformanceApi(_MerchantCampaignApi):
    required_scopes = {"GET": ["campaigns:read"]}
    serializer_class = PerformanceOutput

    @extend_schema(
        summary="Spend, GMV, ROI and attainment over tenant-local days [from, to]",
        parameters=[
            OpenApiParameter("from", datetime.date, description="Default: to - 29 days."),
            OpenApiParameter("to", datetime.date, description="Default: today (tenant-local)."),
        ],
        responses=PerformanceOutput,
    )
    def get(self, request: Request, pk: int) -> Response:
        campaign = self.get_object()
        query = PerformanceQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        today = tenant_today(request._request.tenant)
        date_to = query.validated_data.get("to") or today
        date_from = query.validated_data.get("from") or date_to - datetime.timedelta(
            days=DEFAULT_PERFORMANCE_DAYS - 1
        )
        if date_from > date_to:
            raise exceptions.ValidationError({"from": ["'from' must be on or before 'to'."]})
        result = campaign_performance(campaign=campaign, date_from=date_from, date_to=date_to)
        return Response(PerformanceOutput({"campaign": campaign.pk, **result}).data)
