"""Security middleware: NUL bytes refused up front, security headers that vary by area."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from apps.core.params import nul_message, nul_parameter, nul_response_body


class NulByteMiddleware:
    """A NUL anywhere in the path or query string is a 400, before any view, filter or query
    sees it (PostgreSQL refuses NUL in text: left alone it is a ``DataError`` and a 500).
    The API's paths answer its JSON error naming the parameter; others a short text.
    Early in ``MIDDLEWARE``: nothing before it reads the path or query. The lean WSGI path
    calls ``apps.core.params.nul_in_environ`` itself (issue 22)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        name = nul_parameter(request.path_info, request.META.get("QUERY_STRING", "") or "")
        if name is None:
            return self.get_response(request)
        if request.path_info.startswith("/api/"):
            return HttpResponse(
                nul_response_body(name), status=400, content_type="application/json"
            )
        return HttpResponse(
            nul_message(name).encode(), status=400, content_type="text/plain; charset=utf-8"
        )


class AdminAlpineCspMiddleware:
    """The back office (Unfold) runs Alpine.js, whose standard build evaluates its attribute
    expressions with ``new Function``: under ``script-src 'self'`` every Alpine component fails
    and Unfold's overlay covers the page, so nothing can be clicked. Under ``/admin/`` only, the
    policy also allows ``'unsafe-eval'``; scripts still come only from this origin and inline
    script stays blocked. The portal and the API keep the strict policy.

    Sits right after ``csp.middleware.CSPMiddleware`` so its response is seen first."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/admin/"):
            update = dict(getattr(response, "_csp_update", None) or {})
            sources = list(update.get("script-src", []))
            if "'unsafe-eval'" not in sources:
                sources.append("'unsafe-eval'")
            update["script-src"] = sources
            response._csp_update = update  # type: ignore[attr-defined]
        return response
