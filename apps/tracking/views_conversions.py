"""Conversions without JSON (issue 16, API.md v1.1): a thank-you-page pixel and an S2S postback.

- ``GET /px/conv?token=PIXEL_TOKEN&type=order&external_id=...&click_id=...&amount=...``
  answers a 1x1 GIF whatever happens (a browser shows nothing); the outcome is in the status
  (200 recorded or duplicate, 400 rejected, 404 unknown token) and the ``Alliance-Result``
  header, for the merchant's tag debugger.
- ``GET|POST /postback?key=POSTBACK_KEY&type=...`` (POST: the same fields form-encoded in
  the body) answers JSON: the ``POST /conversions`` result of the one event (200, or 400 when
  rejected; 401 for an unknown key).

Both take the event fields of ``POST /conversions`` as parameters (``type, external_id,
click_id, amount, currency?, coupon?, customer_type?, customer_ref?, occurred_at?``; a
missing ``occurred_at`` is the time we receive it) and order lines as numbered parameters
``item1_sku, item1_quantity, item1_amount, item1_product_type?, item2_...``. They call
``conversions_record`` (one code path), so the idempotency on ``(type, external_id)``, the
attribution and the per-item rules are those of the JSON API: a pixel and a postback of the
same order count once. docs/integrations.md has examples.
"""

from __future__ import annotations

import json
from typing import Any

from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.params import NUL, nul_response_body
from apps.tracking.models import ConversionSource, TrackingKeyKind
from apps.tracking.services.conversions import CREATED, DUPLICATE, conversions_record
from apps.tracking.services.keys import tracking_key_merchant
from apps.tracking.views import PIXEL

EVENT_FIELDS = (
    "type", "external_id", "click_id", "amount", "currency", "coupon", "customer_type",
    "customer_ref", "occurred_at",
)  # fmt: skip
ITEM_FIELDS = ("sku", "quantity", "amount", "product_type")
MAX_ITEMS = 100


def _whole_number(value: str) -> Any:
    """``"2"`` -> 2 so the per-item rules see a number; anything else stays a string, which
    ``conversions_record`` rejects with its usual message."""
    return int(value) if value.isdigit() and len(value) < 10 else value


def event_from_params(params: QueryDict) -> dict[str, Any]:
    """One ``POST /conversions`` event from query (or form) parameters."""
    event: dict[str, Any] = {
        name: params.get(name) for name in EVENT_FIELDS if params.get(name) is not None
    }
    event.setdefault("occurred_at", timezone.now().isoformat())
    items = []
    for number in range(1, MAX_ITEMS + 2):
        item = {
            name: params.get(f"item{number}_{name}")
            for name in ITEM_FIELDS
            if params.get(f"item{number}_{name}") is not None
        }
        if not item:
            break
        if "quantity" in item:
            item["quantity"] = _whole_number(item["quantity"])
        items.append(item)
    if items:
        # one past MAX_ITEMS is sent on so the per-item rules refuse the event, not truncate it
        event["items"] = items
    return event


def _record(request: HttpRequest, params: QueryDict, merchant: Any, source: str) -> dict[str, Any]:
    return conversions_record(merchant=merchant, events=[event_from_params(params)], source=source)[
        0
    ]


def _status_of(result: dict[str, Any]) -> int:
    return 200 if result["status"] in (CREATED, DUPLICATE) else 400


@transaction.non_atomic_requests
@require_GET
def conversion_pixel(request: HttpRequest) -> HttpResponse:
    """``GET /px/conv?token=...&...``: records the conversion, answers a 1x1 GIF."""
    merchant = tracking_key_merchant(
        plaintext=request.GET.get("token", ""), kind=TrackingKeyKind.PIXEL
    )
    if merchant is None:
        status, result = 404, {"status": "rejected", "errors": {"token": "Unknown pixel token."}}
    else:
        result = _record(request, request.GET, merchant, ConversionSource.PIXEL)
        status = _status_of(result)
    response = HttpResponse(PIXEL, content_type="image/gif", status=status)
    response["Cache-Control"] = "no-store, max-age=0"
    response["Alliance-Result"] = result["status"]
    if result.get("errors"):
        # ASCII-only JSON: header values must be latin-1, and merchants read it in devtools
        response["Alliance-Errors"] = json.dumps(result["errors"], ensure_ascii=True)[:1000]
    return response


@csrf_exempt
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def conversion_postback(request: HttpRequest) -> HttpResponse:
    """``GET|POST /postback?key=...&...``: records the conversion, answers its result."""
    params = request.GET.copy()
    if request.method == "POST":
        # the middleware checks the query string for NUL; a form body is checked here
        for name, values in request.POST.lists():
            if NUL in name or any(NUL in value for value in values):
                body = nul_response_body(name if NUL not in name else "body")
                return HttpResponse(body, status=400, content_type="application/json")
        params.update(request.POST)
    merchant = tracking_key_merchant(plaintext=params.get("key", ""), kind=TrackingKeyKind.POSTBACK)
    if merchant is None:
        return JsonResponse(
            {"code": "not_authenticated", "message": "Unknown or revoked postback key."},
            status=401,
        )
    result = _record(request, params, merchant, ConversionSource.POSTBACK)
    response = JsonResponse(result, status=_status_of(result))
    response["Cache-Control"] = "no-store"
    return response
