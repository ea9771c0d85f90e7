"""Public tracking endpoints (API.md "Tracking"; no login, no session, no CSRF).

Requests for these paths are answered by ``apps.tracking.hot.TrackingFastPath`` before the
rest of the middleware; these views are the same handlers behind the URL resolver, for
``reverse()`` and for a stack without that middleware. None runs in a request transaction:
each write is a single statement, atomic on its own. See docs/click-path.md.
"""

from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from apps.tracking import hot
from apps.tracking.hot import PIXEL

__all__ = ["PIXEL", "ad_js", "click", "impression_rendered", "land", "serve"]


def _answer(request: HttpRequest, handler: hot.Handler, code: str = "") -> HttpResponse:
    return hot.answer(request, request.tenant, handler, True, code)  # type: ignore[attr-defined]


@transaction.non_atomic_requests
@require_GET
def click(request: HttpRequest, code: str) -> HttpResponse:
    return _answer(request, hot.click, code)


@transaction.non_atomic_requests
@require_GET
def serve(request: HttpRequest, code: str) -> HttpResponse:
    return _answer(request, hot.serve, code)


@transaction.non_atomic_requests
@require_GET
def land(request: HttpRequest) -> HttpResponse:
    return _answer(request, hot.land)


@csrf_exempt
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def impression_rendered(request: HttpRequest) -> HttpResponse:
    return _answer(request, hot.impression_rendered)


@transaction.non_atomic_requests
@require_GET
def ad_js(request: HttpRequest) -> HttpResponse:
    return hot.ad_js(request)
