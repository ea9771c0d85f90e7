"""``GET /api/v1/me``: which network, principal and scopes a key stands for."""

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantApiView


class MeOutput(serializers.Serializer):
    tenant = serializers.CharField()
    principal_kind = serializers.ChoiceField(choices=["merchant", "affiliate"])
    principal = inline_serializer(
        "MePrincipal", {"id": serializers.CharField(), "name": serializers.CharField()}
    )
    scopes = serializers.ListField(child=serializers.CharField())


class MeApi(TenantApiView):
    required_scopes = {"GET": []}

    @extend_schema(responses=MeOutput, summary="The key's network, principal and scopes")
    def get(self, request: Request) -> Response:
        key = self.api_key
        if key.merchant is not None:
            principal = {"id": key.merchant.code, "name": key.merchant.name}
        else:
            principal = {"id": key.affiliate.email, "name": key.affiliate.name}
        return Response(
            MeOutput(
                {
                    "tenant": request._request.tenant.slug,
                    "principal_kind": key.principal_kind,
                    "principal": principal,
                    "scopes": key.scopes,
                }
            ).data
        )
