"""Public tracking endpoints (API.md "Tracking"; no login, no session, no CSRF).

Each view parses, looks up what it needs from the TTL cache, calls one service and answers.
None runs in a request transaction (``non_atomic_requests``): each write is a single
statement, atomic on its own. See docs/contract-notes.md "## Tracking" for the choices.
"""

from __future__ import annotations

import re
import uuid
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.db import transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotFound,
    HttpResponseRedirect,
    JsonResponse,
)
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from apps.core.clientip import client_ip
from apps.core.observability import CLICKS_RECORDED
from apps.tracking import selectors
from apps.tracking.selectors import PlacementRef, ProductRef
from apps.tracking.services import (
    click_record,
    impression_mark_rendered,
    impression_record,
    landing_mark,
)
from apps.tracking.serving import ad_select

CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
SKU_RE = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
SUB_MAX = 64
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
URL_MAX = 2000
#: a 1x1 transparent GIF
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
AD_JS = Path(__file__).resolve().parent / "static_js" / "ad.js"


class _RefusedError(Exception):
    def __init__(self, response: HttpResponse) -> None:
        self.response = response


def _not_found(message: str) -> _RefusedError:
    return _RefusedError(HttpResponseNotFound(message.encode(), content_type="text/plain"))


def _bad_request(message: str) -> _RefusedError:
    return _RefusedError(HttpResponseBadRequest(message.encode(), content_type="text/plain"))


def _uuid_or_none(value: str | None) -> uuid.UUID | None:
    if not value or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _live_placement(tenant_id: int, code: str) -> PlacementRef:
    if not CODE_RE.fullmatch(code):
        raise _not_found("Unknown placement.")
    placement = selectors.placement_for_code(tenant_id=tenant_id, code=code)
    if placement is None or not placement.is_live:
        raise _not_found("Unknown placement.")
    return placement


def _campaign_for(tenant_id: int, raw: str | None) -> tuple[int, int] | None:
    """``cid`` from an ad.js link: (campaign id, its merchant id), or None if absent/odd."""
    if not raw or not raw.isdigit() or len(raw) > 18:
        return None
    campaign_id = int(raw)
    merchant_id = selectors.campaign_merchant(tenant_id=tenant_id, campaign_id=campaign_id)
    return (campaign_id, merchant_id) if merchant_id is not None else None


def _product_for_sku(
    tenant_id: int, sku: str, merchant_id: int | None, campaign_merchant_id: int | None = None
) -> ProductRef:
    """``?sku=``: with a deep link, the product of the link's domain's merchant; else the
    product of the ``cid`` campaign's merchant if it sells that sku; else the only active
    product with that sku; several merchants' and no hint: 400 ("ambiguous")."""
    if not SKU_RE.fullmatch(sku):
        raise _not_found("Unknown sku.")
    candidates = selectors.products_for_sku(tenant_id=tenant_id, sku=sku)
    if merchant_id is not None:
        candidates = tuple(p for p in candidates if p.merchant_id == merchant_id)
    elif campaign_merchant_id is not None:
        # a hint, not a constraint: a cid of a merchant without this sku is ignored
        candidates = (
            tuple(p for p in candidates if p.merchant_id == campaign_merchant_id) or candidates
        )
    if not candidates:
        raise _not_found("Unknown sku.")
    if len(candidates) > 1:
        raise _bad_request(
            "Ambiguous sku: several merchants sell it; use the ad code's link (with cid)."
        )
    return candidates[0]


def _deep_link(tenant_id: int, url: str) -> tuple[str, int]:
    """``?url=``: (the URL, its merchant) when it is http(s) on a domain, or a subdomain of
    a domain, of an active merchant of this tenant; anything else is refused (400)."""
    refused = _bad_request("Deep links may only go to a domain of one of this network's merchants.")
    if len(url) > URL_MAX or CONTROL_RE.search(url) or "\\" in url or " " in url:
        raise refused
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise refused from None
    if parts.scheme not in {"http", "https"} or not host or "@" in parts.netloc:
        raise refused
    merchant_id = selectors.merchant_for_host(tenant_id=tenant_id, host=host)
    if merchant_id is None:
        raise refused
    return url, merchant_id


def _with_click_id(url: str, click_id: uuid.UUID) -> str:
    """``url`` with ``click_id`` added to its query; the rest of the query is kept as it was
    (an earlier ``click_id`` in it is replaced)."""
    parts = urlsplit(url)
    kept = [pair for pair in parts.query.split("&") if pair and pair.split("=", 1)[0] != "click_id"]
    kept.append(urlencode({"click_id": str(click_id)}))
    return urlunsplit(parts._replace(query="&".join(kept)))


@transaction.non_atomic_requests
@require_GET
def click(request: HttpRequest, code: str) -> HttpResponse:
    """``GET /c/{code}?sku=|url=[&sub=][&cid=&imp=]``: one INSERT and a 302."""
    tenant_id = request.tenant.pk  # type: ignore[attr-defined]
    try:
        placement = _live_placement(tenant_id, code)
        sub = request.GET.get("sub", "")
        if len(sub) > SUB_MAX or CONTROL_RE.search(sub):
            raise _bad_request(f"sub is your own tag of at most {SUB_MAX} characters.")
        campaign = _campaign_for(tenant_id, request.GET.get("cid"))
        url = request.GET.get("url")
        sku = request.GET.get("sku")
        product: ProductRef | None = None
        if url:
            destination, merchant_id = _deep_link(tenant_id, url)
            if sku:
                product = _product_for_sku(tenant_id, sku, merchant_id)
        elif sku:
            product = _product_for_sku(tenant_id, sku, None, campaign[1] if campaign else None)
            destination, merchant_id = product.url, product.merchant_id
        else:
            raise _bad_request("Add sku= (a product) or url= (a page of a merchant's site).")
    except _RefusedError as refused:
        return refused.response
    # cid/imp only count when they belong to the link's merchant (a foreign cid is dropped).
    campaign_id = campaign[0] if campaign and campaign[1] == merchant_id else None
    impression = _uuid_or_none(request.GET.get("imp")) if campaign_id else None
    recorded = click_record(
        placement_id=placement.id,
        affiliate_id=placement.affiliate_id,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        sub=sub,
        merchant_id=merchant_id,
        product_id=product.id if product else None,
        campaign_id=campaign_id,
        impression_id=impression,
    )
    CLICKS_RECORDED.labels(tenant=request.tenant.slug).inc()  # type: ignore[attr-defined]
    response = HttpResponseRedirect(_with_click_id(destination, recorded.click_id))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


@transaction.non_atomic_requests
@require_GET
def land(request: HttpRequest) -> HttpResponse:
    """``GET /px/land?click_id=``: a 1x1 GIF whatever happens; marks the click landed."""
    click_id = _uuid_or_none(request.GET.get("click_id"))
    if click_id is not None:
        landing_mark(click_id=click_id)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    return response


def _cors(response: HttpResponse) -> HttpResponse:
    # ad.js runs on webmasters' pages: any origin may read these answers, without credentials.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


@transaction.non_atomic_requests
@require_GET
def serve(request: HttpRequest, code: str) -> HttpResponse:
    """``GET /serve/{code}``: runs the auction, records the impression, answers the ad (200),
    or 204 when nothing is eligible or the placement is not live; unknown placement 404."""
    tenant_id = request.tenant.pk  # type: ignore[attr-defined]
    placement = (
        selectors.placement_for_code(tenant_id=tenant_id, code=code)
        if CODE_RE.fullmatch(code)
        else None
    )
    if placement is None:
        return _cors(HttpResponseNotFound(b"Unknown placement.", content_type="text/plain"))
    if not placement.is_live:
        return _cors(HttpResponse(status=204))
    ad = ad_select(tenant_id=tenant_id, placement=placement, now=timezone.now())
    if ad is None:
        return _cors(HttpResponse(status=204))
    winner = ad.result.winner
    impression = impression_record(
        placement_id=placement.id,
        campaign_id=winner.campaign_id,
        product_id=ad.product.id,
        merchant_id=winner.merchant_id,
        price_cpm=ad.result.price_cpm,
        cpc_price=ad.result.cpc_price,
    )
    query = urlencode(
        {"sku": ad.product.sku, "cid": winner.campaign_id, "imp": str(impression.impression_id)}
    )
    body = {
        "ad": {
            "title": ad.product.title,
            "image_url": ad.product.image_url,
            "price": str(ad.product.price),
            "merchant": ad.product.merchant_name,
            "click_url": request.build_absolute_uri(f"/c/{placement.code}?{query}"),
        },
        "impression_id": str(impression.impression_id),
        "position": placement.position,
        "report_url": request.build_absolute_uri(f"/px/imp?imp={impression.impression_id}"),
    }
    return _cors(JsonResponse(body))


@csrf_exempt
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def impression_rendered(request: HttpRequest) -> HttpResponse:
    """``GET|POST /px/imp?imp=``: ad.js reports the ad as shown; 204 whatever happens."""
    impression_id = _uuid_or_none(request.GET.get("imp"))
    if impression_id is not None:
        impression_mark_rendered(impression_id=impression_id)
    return _cors(HttpResponse(status=204))


@lru_cache(maxsize=1)
def _ad_js() -> bytes:
    return AD_JS.read_bytes()


@transaction.non_atomic_requests
@require_GET
def ad_js(request: HttpRequest) -> HttpResponse:
    """``GET /ad.js``: the unified ad script (static, cached a day by browsers and CDNs)."""
    response = HttpResponse(_ad_js(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response
