"""Security headers that vary by area."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


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
