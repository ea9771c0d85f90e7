"""``POST /api/v1/conversions`` for merchant keys (API.md "Partner API").

The body is ``{"events": [...]}`` (at most 1000). The answer is one result per event, in
order: ``created``, ``duplicate`` (the same ``(type, external_id)`` was already recorded) or
``rejected`` with ``errors``. Malformed JSON, a body that is not ``{"events": [...]}`` or more
than 1000 events: 400 and nothing is recorded.
"""

import json
from decimal import Decimal
from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from apps.api.base import TenantApiView
from apps.api.serializers.tracking import (
    ConversionsInput,
    ConversionsOutput,
    ConversionsSchemaInput,
)
from apps.tracking.services import conversions_record


class DecimalJSONParser(JSONParser):
    """JSON with numbers that have a fraction read as ``Decimal``, never float: an amount
    of 199.99 stays exactly 199.99."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.loads(stream.read().decode(encoding), parse_float=Decimal)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ParseError(f"Malformed JSON: {exc}") from None


class ConversionsCreateApi(TenantApiView):
    principal = "merchant"
    required_scopes = {"POST": ["conversions:write"]}
    parser_classes = [DecimalJSONParser]

    @extend_schema(
        summary="Record registrations and orders (at most 1000 events per call)",
        request=ConversionsSchemaInput,
        responses={200: ConversionsOutput},
    )
    def post(self, request: Request) -> Response:
        data = ConversionsInput(data=request.data)
        data.is_valid(raise_exception=True)
        results = conversions_record(merchant=self.merchant, events=data.validated_data["events"])
        return Response({"results": results})
