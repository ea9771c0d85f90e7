"""``/api/v1/coupons`` for merchant keys (API.md v1.1): register a coupon code for a
webmaster; an order with that coupon and no usable click is theirs (docs/integrations.md)."""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantReadApi
from apps.api.serializers.coupons import CouponInput, CouponOutput
from apps.tracking.selectors import coupon_list
from apps.tracking.services.coupons import coupon_delete, coupon_register


class _MerchantCouponsApi(TenantReadApi):
    principal = "merchant"
    serializer_class = CouponOutput

    def selector(self) -> QuerySet[Any]:
        return coupon_list(merchant=self.merchant)


class CouponListCreateApi(_MerchantCouponsApi):
    required_scopes = {"GET": ["coupons:read"], "POST": ["coupons:write"]}

    @extend_schema(summary="List your coupon codes", responses=CouponOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(CouponOutput(page, many=True).data)

    @extend_schema(
        summary="Register a coupon code for a webmaster",
        description=(
            "An order sent with `coupon` and no usable `click_id` is attributed to the "
            "coupon's webmaster (and placement, if given). With both, the network's setting "
            "decides: click first (default) or coupon first. Codes compare case-insensitively."
        ),
        request=CouponInput,
        responses={201: CouponOutput},
    )
    def post(self, request: Request) -> Response:
        data = CouponInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        coupon = coupon_register(
            merchant=self.merchant,
            code=values["code"],
            webmaster_email=values["webmaster"],
            placement_code=values.get("placement"),
            valid_from=values.get("valid_from"),
            valid_to=values.get("valid_to"),
        )
        return Response(CouponOutput(coupon).data, status=status.HTTP_201_CREATED)


class CouponDeleteApi(_MerchantCouponsApi):
    required_scopes = {"DELETE": ["coupons:write"]}

    @extend_schema(
        summary="Delete a coupon code (it attributes nothing more)", responses={204: None}
    )
    def delete(self, request: Request, code: str) -> Response:
        coupon = self.get_queryset().filter(code__iexact=code).first()
        if coupon is None:
            raise Http404
        coupon_delete(coupon=coupon)
        return Response(status=status.HTTP_204_NO_CONTENT)
