"""``/api/v1/products/{sku}/forecast`` for merchant keys (API.md v1.1): what a daily budget
and a target ROI would buy one of the key's products per day, from aggregates only
(``apps.growth.forecast``). Another merchant's or tenant's sku is a 404; a missing or bad
parameter is a 400 naming it."""

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantReadApi
from apps.api.serializers.growth import ForecastOutput, ForecastQuery
from apps.campaigns.models import Product
from apps.campaigns.selectors.products import product_list
from apps.growth.forecast import product_forecast


class ProductForecastApi(TenantReadApi):
    """What ``daily_budget`` and ``target_roi`` would buy the product per day, the chance that
    the ROI over 7 days reaches the target, and what the estimate reads (``basis``)."""

    principal = "merchant"
    required_scopes = {"GET": ["products:read"]}
    serializer_class = ForecastOutput
    lookup_field = "sku"
    lookup_url_kwarg = "sku"

    def selector(self) -> QuerySet[Any]:
        return product_list(merchant=self.merchant)

    @extend_schema(
        summary="Forecast a plan's day before launch: spend, clicks, orders, GMV, ROI, chance",
        parameters=[
            OpenApiParameter("daily_budget", str, required=True, description="e.g. 200.00"),
            OpenApiParameter("target_roi", str, required=True, description="e.g. 3.1"),
        ],
        responses=ForecastOutput,
    )
    def get(self, request: Request, sku: str) -> Response:
        product: Product = self.get_object()
        query = ForecastQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        forecast = product_forecast(
            product=product,
            daily_budget=query.validated_data["daily_budget"],
            target_roi=query.validated_data["target_roi"],
        )
        body = {
            "daily": {
                "spend": forecast.spend,
                "clicks": forecast.clicks,
                "orders": forecast.orders,
                "gmv": forecast.gmv,
                "roi": forecast.roi,
            },
            "chance_of_target": forecast.chance_of_target,
            "basis": forecast.basis,
        }
        return Response(ForecastOutput(body).data)
