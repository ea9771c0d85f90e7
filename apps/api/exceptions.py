"""One error body for the whole API: ``{"code", "message", "extra"}``."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.defaults import page_not_found
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from apps.core.errors import DomainError


def _error(code: str, message: str, http_status: int, **extra: Any) -> Response:
    return Response({"code": code, "message": message, "extra": extra}, status=http_status)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        extra = dict(exc.extra)
        if exc.fields:
            extra["fields"] = exc.fields
        return _error(exc.code, exc.message, exc.http_status, **extra)
    if isinstance(exc, DjangoValidationError):
        fields = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return _error("invalid", "The request has invalid fields.", 400, fields=fields)
    if isinstance(exc, Http404):
        return _error("not_found", "Not found.", 404)
    if isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {
            "code": "invalid",
            "message": "The request has invalid fields.",
            "extra": {"fields": exc.detail},
        }
        return response
    if isinstance(exc, exceptions.APIException):
        detail = exc.detail
        message = str(detail) if not isinstance(detail, (dict, list)) else "Request refused."
        response.data = {
            "code": exc.get_codes() if isinstance(exc.get_codes(), str) else exc.default_code,
            "message": message,
            "extra": {},
        }
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            response.data["extra"]["retry_after_seconds"] = int(exc.wait)
    if response.status_code == status.HTTP_404_NOT_FOUND:
        response.data = {"code": "not_found", "message": "Not found.", "extra": {}}
    return response


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: under ``/api/`` a URL that matches no endpoint (``/campaigns/abc``)
    answers the API's JSON 404 like every other not-found; elsewhere Django's page."""
    if request.path_info.startswith("/api/"):
        return JsonResponse({"code": "not_found", "message": "Not found.", "extra": {}}, status=404)
    return page_not_found(request, exception or Http404())
