"""``/api/v1/webhooks`` for merchant and webmaster keys (API.md v1.1 "Webhooks").

A key manages its own principal's endpoints only: another merchant's, webmaster's or
tenant's endpoint or delivery id is a 404. POST and rotate answer the secret, once.
"""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantReadApi
from apps.api.serializers.webhooks import (
    DeliveryOutput,
    WebhookInput,
    WebhookOutput,
    WebhookWithSecretOutput,
)
from apps.integrations.selectors import delivery_list, webhook_endpoint_list
from apps.integrations.services.deliveries import delivery_replay
from apps.integrations.services.webhooks import (
    IssuedEndpoint,
    target_delete,
    webhook_endpoint_create,
    webhook_endpoint_rotate,
)


def _with_secret(issued: IssuedEndpoint) -> dict[str, Any]:
    issued.endpoint.secret = issued.secret  # type: ignore[attr-defined]
    return WebhookWithSecretOutput(issued.endpoint).data


class _OwnWebhooksApi(TenantReadApi):
    """Either kind of key; the selector narrows to the key's own merchant or webmaster."""

    principal = None
    serializer_class = WebhookOutput

    def selector(self) -> QuerySet[Any]:
        return webhook_endpoint_list(merchant=self.merchant, affiliate=self.affiliate)


class WebhookListCreateApi(_OwnWebhooksApi):
    required_scopes = {"GET": ["webhooks:read"], "POST": ["webhooks:write"]}

    @extend_schema(summary="List your webhook endpoints", responses=WebhookOutput(many=True))
    def get(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(WebhookOutput(page, many=True).data)

    @extend_schema(
        summary="Add a webhook endpoint (answers its signing secret, once)",
        description=(
            'Each delivery is an HTTPS POST of `{"id", "type", "created_at", "data"}` '
            "signed `Alliance-Signature: t=UNIX_SECONDS,v1=HEX` (HEX = HMAC-SHA256 with the "
            'secret over `t + "." + body`). Answer 2xx within 10 s; anything else is retried '
            "with exponential back-off for 24 hours with the same event `id`. Redirects are "
            "not followed; URLs on private, loopback or link-local addresses are refused."
        ),
        request=WebhookInput,
        responses={201: WebhookWithSecretOutput},
    )
    def post(self, request: Request) -> Response:
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        issued = webhook_endpoint_create(
            merchant=self.merchant, affiliate=self.affiliate, **data.validated_data
        )
        return Response(_with_secret(issued), status=status.HTTP_201_CREATED)


class WebhookDetailApi(_OwnWebhooksApi):
    required_scopes = {"GET": ["webhooks:read"], "DELETE": ["webhooks:write"]}

    @extend_schema(summary="One of your webhook endpoints", responses=WebhookOutput)
    def get(self, request: Request, pk: int) -> Response:
        return Response(WebhookOutput(self.get_object()).data)

    @extend_schema(
        summary="Delete a webhook endpoint (nothing more is sent to it)", responses={204: None}
    )
    def delete(self, request: Request, pk: int) -> Response:
        target_delete(target=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateApi(_OwnWebhooksApi):
    required_scopes = {"POST": ["webhooks:write"]}

    @extend_schema(
        summary="Rotate the signing secret (the old one stops at once; answers the new one)",
        request=None,
        responses={200: WebhookWithSecretOutput},
    )
    def post(self, request: Request, pk: int) -> Response:
        return Response(_with_secret(webhook_endpoint_rotate(endpoint=self.get_object())))


class WebhookDeliveryListApi(_OwnWebhooksApi):
    required_scopes = {"GET": ["webhooks:read"]}
    serializer_class = DeliveryOutput

    @extend_schema(
        summary="The endpoint's deliveries and their log (response codes)",
        responses=DeliveryOutput(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        endpoint = self.get_object()
        page = self.paginate_queryset(delivery_list(endpoint=endpoint))
        return self.get_paginated_response(DeliveryOutput(page, many=True).data)


class WebhookDeliveryReplayApi(_OwnWebhooksApi):
    required_scopes = {"POST": ["webhooks:write"]}

    @extend_schema(
        summary="Send a delivery again now, with the same body and event id",
        request=None,
        responses={202: DeliveryOutput},
    )
    def post(self, request: Request, pk: int, delivery_id: int) -> Response:
        endpoint = self.get_object()
        delivery = get_object_or_404(delivery_list(endpoint=endpoint), pk=delivery_id)
        delivery_replay(delivery=delivery)
        fresh = delivery_list(endpoint=endpoint).get(pk=delivery.pk)
        return Response(DeliveryOutput(fresh).data, status=status.HTTP_202_ACCEPTED)
