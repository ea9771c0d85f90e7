"""``/api/v1/claims`` (merchant keys) and ``/api/v1/disputes`` (webmaster keys), API.md.

POST /claims files a compensation claim on one of the key's merchant's plans: 201
``{"id", "status": "submitted", "amount"}``, or 400 ``{"code", "message", "extra"}`` whose
code names the refusal (not_eligible, bad_window, too_early, too_late,
nothing_to_compensate, already_claimed). Another merchant's or tenant's plan id is a 404.
POST /disputes files a missing-commission dispute against a merchant (by its code).
"""

from typing import Any

from django.db.models import QuerySet
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantReadApi
from apps.api.serializers.disputes import (
    ClaimCreatedOutput,
    ClaimInput,
    ClaimOutput,
    DisputeInput,
    DisputeOutput,
)
from apps.campaigns.selectors.campaigns import campaign_get, campaign_phase_get
from apps.campaigns.selectors.merchants import merchant_get_by_code
from apps.disputes.selectors import claim_list, dispute_list
from apps.disputes.services import claim_submit, dispute_file


class ClaimListCreateApi(TenantReadApi):
    principal = "merchant"
    required_scopes = {"GET": ["claims:read"], "POST": ["claims:write"]}
    serializer_class = ClaimOutput

    def selector(self) -> QuerySet[Any]:
        return claim_list(merchant=self.merchant)

    @extend_schema(summary="List your compensation claims", responses=ClaimOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClaimOutput(page, many=True).data)

    @extend_schema(
        summary="File a compensation claim on a full-site plan",
        request=ClaimInput,
        responses={201: ClaimCreatedOutput},
    )
    def post(self, request: Request) -> Response:
        data = ClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_get(merchant=self.merchant, pk=data.validated_data["campaign"])
        if campaign is None:
            raise Http404
        phase = None
        if data.validated_data["phase"] is not None:
            phase = campaign_phase_get(campaign=campaign, pk=data.validated_data["phase"])
            if phase is None:
                raise ValidationError({"phase": ["Not a phase of this campaign."]})
        claim = claim_submit(
            campaign=campaign,
            window_days=data.validated_data["window_days"],
            note=data.validated_data["note"],
            phase=phase,
        )
        return Response(ClaimCreatedOutput(claim).data, status=status.HTTP_201_CREATED)


class DisputeListCreateApi(TenantReadApi):
    principal = "affiliate"
    required_scopes = {"GET": ["disputes:read"], "POST": ["disputes:write"]}
    serializer_class = DisputeOutput

    def selector(self) -> QuerySet[Any]:
        return dispute_list(affiliate=self.affiliate)

    @extend_schema(
        summary="List your missing-commission disputes", responses=DisputeOutput(many=True)
    )
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(DisputeOutput(page, many=True).data)

    @extend_schema(
        summary="Dispute a missing commission on an order (within 90 days of it)",
        request=DisputeInput,
        responses={201: DisputeOutput},
    )
    def post(self, request: Request) -> Response:
        data = DisputeInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        merchant = merchant_get_by_code(code=values["merchant"])
        if merchant is None:
            raise ValidationError(
                {"merchant": [f"No merchant has the code {values['merchant']!r}."]}
            )
        dispute = dispute_file(
            affiliate=self.affiliate,
            merchant=merchant,
            order_reference=values["order_reference"],
            order_date=values["order_date"],
            amount=values["amount"],
            note=values["note"],
        )
        return Response(DisputeOutput(dispute).data, status=status.HTTP_201_CREATED)
