"""The lean path of the public tracking endpoints (API.md "Tracking"): ``/c/``, ``/serve/``,
``/px/land``, ``/px/imp`` and ``/ad.js``.

``TrackingFastPath`` is the first middleware. For exactly those paths (on a tenant host) it
answers itself and the request never reaches the other sixteen middlewares (Prometheus,
sessions, CSRF, auth, messages, CSP, allauth, history, the request transaction...): none is
needed by a public, cookieless endpoint. Every other request passes straight through, so no
other page loses anything. What it keeps of the stack, cheaply:

- host → tenant (``tenant_for_host``; platform hosts fall through, an unknown host is 404);
- the RLS tenant for the one statement of the request (``apps.tracking.services.events``);
- the click metric (``alliance_clicks_recorded_total``, the labelled child cached);
- a NUL in the path or query is a 400 (as ``NulByteMiddleware``);
- 503 + Retry-After while the database is unreachable (as ``DatabaseUnavailableMiddleware``);
- the HTTPS redirect: with ``SECURE_SSL_REDIRECT`` a plain-HTTP request falls through to the
  full stack, which redirects it.

The views in ``apps.tracking.views`` call the same handlers, so a deployment without this
middleware answers the same (only slower).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.db import InterfaceError, OperationalError, connections
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone

from apps.core.clientip import client_ip
from apps.core.observability import CLICKS_RECORDED, database_unavailable_response
from apps.core.params import nul_message, nul_parameter
from apps.tenants.selectors import normalize_host, tenant_for_host
from apps.tracking import budget
from apps.tracking.destinations import CONTROL_RE, Destination, click_destination, uuid_or_none
from apps.tracking.errors import TrackingError
from apps.tracking.services.events import (
    click_record,
    impression_mark_rendered,
    impression_record,
    landing_mark,
)
from apps.tracking.serving import ad_select
from apps.tracking.snapshot import TenantSnapshot, registry

log = logging.getLogger("alliance.tracking")

CODE_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
SUB_MAX = 64
#: a 1x1 transparent GIF
PIXEL = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00"
    b"\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
AD_JS = Path(__file__).resolve().parent / "static_js" / "ad.js"
CHARGED_PER_CLICK = frozenset({"cpc", "full_site"})


def _text(status: int, message: str) -> HttpResponse:
    return HttpResponse(message.encode(), status=status, content_type="text/plain")


def _cors(response: HttpResponse) -> HttpResponse:
    # ad.js runs on webmasters' pages: any origin may read these answers, without credentials.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "no-store"
    return response


@lru_cache(maxsize=64)
def _clicks_counter(slug: str) -> Any:
    return CLICKS_RECORDED.labels(tenant=slug)


def _with_click_id(url: str, click_id: Any) -> str:
    """``url`` with ``click_id`` added to its query; the rest of the query is kept as it was
    (an earlier ``click_id`` in it is replaced)."""
    parts = urlsplit(url)
    kept = [pair for pair in parts.query.split("&") if pair and pair.split("=", 1)[0] != "click_id"]
    kept.append(urlencode({"click_id": str(click_id)}))
    return urlunsplit(parts._replace(query="&".join(kept)))


# -- handlers: (request, snapshot, code) -> response ---------------------------------------


def click(request: HttpRequest, snapshot: TenantSnapshot, code: str) -> HttpResponse:
    """``GET /c/{code}?sku=|url=[&sub=][&cid=&imp=]``: one INSERT and a 302."""
    placement = snapshot.placements.get(code) if CODE_RE.fullmatch(code) else None
    if placement is None or not placement.is_live:
        return _text(404, "Unknown placement.")
    query = request.GET
    sub = query.get("sub", "")
    if len(sub) > SUB_MAX or CONTROL_RE.search(sub):
        return _text(400, f"sub is your own tag of at most {SUB_MAX} characters.")
    try:
        destination: Destination = click_destination(
            snapshot=snapshot,
            sku=query.get("sku"),
            url=query.get("url"),
            cid=query.get("cid"),
            imp=query.get("imp"),
        )
    except TrackingError as refused:
        return _text(refused.http_status, refused.message)
    charged = destination.campaign_type in CHARGED_PER_CLICK and destination.impression_id
    click_id, charge = click_record(
        tenant_id=snapshot.tenant_id,
        placement_id=placement.id,
        affiliate_id=placement.affiliate_id,
        ip=client_ip(request),
        user_agent=request.META.get("HTTP_USER_AGENT", ""),
        sub=sub,
        merchant_id=destination.merchant_id,
        product_id=destination.product.id if destination.product else None,
        campaign_id=destination.campaign_id,
        impression_id=destination.impression_id,
        charge_day=snapshot.local_today() if charged else None,
    )
    if charge is not None:
        budget.book(snapshot.tenant_id).note(
            campaign_id=charge.campaign_id, slot=charge.slot, amount=charge.amount, day=charge.day
        )
    _clicks_counter(snapshot.slug).inc()
    response = HttpResponseRedirect(_with_click_id(destination.url, click_id))
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer-when-downgrade"
    return response


def serve(request: HttpRequest, snapshot: TenantSnapshot, code: str) -> HttpResponse:
    """``GET /serve/{code}``: runs the auction, records the impression, answers the ad (200),
    or 204 when nothing is eligible or the placement is not live; unknown placement 404."""
    placement = snapshot.placements.get(code) if CODE_RE.fullmatch(code) else None
    if placement is None:
        return _cors(_text(404, "Unknown placement."))
    if not placement.is_live:
        return _cors(HttpResponse(status=204))
    ad = ad_select(snapshot=snapshot, placement=placement, now=timezone.now())
    if ad is None:
        return _cors(HttpResponse(status=204))
    winner = ad.result.winner
    impression_id = impression_record(
        tenant_id=snapshot.tenant_id,
        placement_id=placement.id,
        campaign_id=winner.campaign_id,
        product_id=ad.product.id,
        merchant_id=winner.merchant_id,
        price_cpm=ad.result.price_cpm,
        cpc_price=ad.result.cpc_price,
    )
    query = urlencode({"sku": ad.product.sku, "cid": winner.campaign_id, "imp": str(impression_id)})
    body = {
        "ad": {
            "title": ad.product.title,
            "image_url": ad.product.image_url,
            "price": str(ad.product.price),
            "merchant": ad.product.merchant_name,
            "click_url": request.build_absolute_uri(f"/c/{placement.code}?{query}"),
        },
        "impression_id": str(impression_id),
        "position": placement.position,
        "report_url": request.build_absolute_uri(f"/px/imp?imp={impression_id}"),
    }
    return _cors(JsonResponse(body))


def land(request: HttpRequest, snapshot: TenantSnapshot, code: str = "") -> HttpResponse:
    """``GET /px/land?click_id=``: a 1x1 GIF whatever happens; marks the click landed."""
    click_id = uuid_or_none(request.GET.get("click_id"))
    if click_id is not None:
        landing_mark(tenant_id=snapshot.tenant_id, click_id=click_id)
    response = HttpResponse(PIXEL, content_type="image/gif")
    response["Cache-Control"] = "no-store, max-age=0"
    return response


def impression_rendered(
    request: HttpRequest, snapshot: TenantSnapshot, code: str = ""
) -> HttpResponse:
    """``GET|POST /px/imp?imp=``: ad.js reports the ad as shown; 204 whatever happens. A CPM
    impression's first report is charged to its campaign's spend today at once."""
    impression_id = uuid_or_none(request.GET.get("imp"))
    if impression_id is not None:
        charge = impression_mark_rendered(
            tenant_id=snapshot.tenant_id, impression_id=impression_id, day=snapshot.local_today()
        )
        if charge is not None:
            budget.book(snapshot.tenant_id).note(
                campaign_id=charge.campaign_id,
                slot=charge.slot,
                amount=charge.amount,
                day=charge.day,
            )
    return _cors(HttpResponse(status=204))


@lru_cache(maxsize=1)
def _ad_js() -> bytes:
    return AD_JS.read_bytes()


def ad_js(request: HttpRequest, snapshot: TenantSnapshot | None = None, code: str = "") -> Any:
    """``GET /ad.js``: the unified ad script (static, cached a day by browsers and CDNs)."""
    response = HttpResponse(_ad_js(), content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400"
    response["Access-Control-Allow-Origin"] = "*"
    return response


Handler = Callable[[HttpRequest, Any, str], HttpResponse]
#: exact paths: (handler, methods, needs the snapshot)
EXACT: dict[str, tuple[Handler, frozenset[str], bool]] = {
    "/px/land": (land, frozenset({"GET"}), True),
    "/px/imp": (impression_rendered, frozenset({"GET", "POST"}), True),
    "/ad.js": (ad_js, frozenset({"GET"}), False),
}
#: "/prefix/{code}" paths
PREFIXED: dict[str, Handler] = {"c": click, "serve": serve}
_HINTS = ("/c/", "/serve/", "/px/", "/ad.js")


def route(path: str) -> tuple[Handler, frozenset[str], bool, str] | None:
    """The tracking handler of ``path`` (and its code), or None for any other path."""
    found = EXACT.get(path)
    if found is not None:
        return (*found, "")
    head, _, code = path[1:].partition("/")
    handler = PREFIXED.get(head)
    if handler is None or not code or "/" in code:
        return None
    return handler, frozenset({"GET"}), True, code


def _unavailable(exc: Exception) -> HttpResponse:
    for conn in connections.all(initialized_only=True):
        conn.close_if_unusable_or_obsolete()
    log.warning("database unavailable: %s", exc)
    return database_unavailable_response()


def answer(
    request: HttpRequest, tenant: Any, handler: Handler, needs_snapshot: bool, code: str
) -> HttpResponse:
    """Run one tracking handler; a database outage is a 503 with Retry-After."""
    try:
        snapshot = registry.get(tenant) if needs_snapshot else None
        return handler(request, snapshot, code)
    except (OperationalError, InterfaceError) as exc:
        return _unavailable(exc)


class TrackingFastPath:
    """First middleware: the tracking endpoints answered without the rest of the stack."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        path = request.path_info
        if not path.startswith(_HINTS):
            return self.get_response(request)
        found = route(path)
        if found is None or (settings.SECURE_SSL_REDIRECT and not request.is_secure()):
            return self.get_response(request)
        handler, methods, needs_snapshot, code = found
        nul = nul_parameter(path, request.META.get("QUERY_STRING", "") or "")
        if nul is not None:  # as NulByteMiddleware: PostgreSQL text refuses NUL
            return _text(400, nul_message(nul))
        try:
            host = normalize_host(request.get_host())
        except DisallowedHost:
            return self.get_response(request)  # the full stack answers it (400)
        if host in settings.PLATFORM_HOSTS:
            return self.get_response(request)
        try:
            tenant = tenant_for_host(host)
        except (OperationalError, InterfaceError) as exc:
            return _unavailable(exc)
        if tenant is None:
            return _text(404, "Unknown host: no network is served here.")
        if request.method not in methods:
            response = _text(405, "Method not allowed.")
            response["Allow"] = ", ".join(sorted(methods))
            return response
        request.tenant = tenant  # type: ignore[attr-defined]
        return answer(request, tenant, handler, needs_snapshot, code)
