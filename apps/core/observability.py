"""Operations: structured logs carrying the tenant and request id, and Prometheus metrics.

- Every log record gets ``request_id`` and ``tenant`` (from context variables set by
  ``RequestContextMiddleware`` and by ``tenant_scope``), so one request or one task can be
  followed across lines, and one tenant's lines filtered out.
- ``JsonFormatter`` writes one JSON object per line (production); development keeps plain text.
- Metrics (prometheus_client, via django-prometheus for the HTTP side): requests and latencies
  by view (django-prometheus middleware), clicks recorded, Celery task durations and failures.
"""

import json
import logging
import time
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram

request_id_var: ContextVar[str] = ContextVar("request_id", default="-")
tenant_var: ContextVar[str] = ContextVar("log_tenant", default="-")

CLICKS_RECORDED = Counter("alliance_clicks_recorded_total", "Raw clicks stored by /c/", ["tenant"])
TASK_DURATION = Histogram(
    "alliance_task_duration_seconds",
    "Celery task run time",
    ["task"],
    buckets=(0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 900, 3600),
)
TASK_FAILURES = Counter("alliance_task_failures_total", "Celery task failures", ["task"])
_REQUEST_ID_HEADER = "HTTP_X_REQUEST_ID"


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.tenant = tenant_var.get()
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, Any] = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S%z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "-"),
            "tenant": getattr(record, "tenant", "-"),
        }
        if record.exc_info:
            payload["exception"] = self.formatException(record.exc_info)
        return json.dumps(payload, ensure_ascii=False)


def _clean_request_id(value: str | None) -> str:
    # A caller's id is kept only if it is short and plain, so it cannot forge log lines.
    if value and len(value) <= 64 and value.replace("-", "").replace("_", "").isalnum():
        return value
    return uuid.uuid4().hex


class RequestContextMiddleware:
    """Give every request an id (``X-Request-ID`` in and out) and put the tenant in the log
    context. Sits right after ``TenantMiddleware``."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = _clean_request_id(request.META.get(_REQUEST_ID_HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        token = request_id_var.set(request_id)
        tenant = getattr(request, "tenant", None)
        tenant_token = tenant_var.set(tenant.slug if tenant is not None else "-")
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
            tenant_var.reset(tenant_token)
        response["X-Request-ID"] = request_id
        return response


def connect_celery_metrics() -> None:
    """Time every task and count its failures (called once from config/celery.py)."""
    from celery import signals

    started: dict[str, float] = {}

    @signals.task_prerun.connect(weak=False)
    def _prerun(task_id: str | None = None, **kwargs: Any) -> None:
        if task_id:
            started[task_id] = time.monotonic()
            request_id_var.set(task_id)

    @signals.task_postrun.connect(weak=False)
    def _postrun(task_id: str | None = None, task: Any = None, **kwargs: Any) -> None:
        begun = started.pop(task_id or "", None)
        if begun is not None and task is not None:
            TASK_DURATION.labels(task=task.name).observe(time.monotonic() - begun)

    @signals.task_failure.connect(weak=False)
    def _failure(sender: Any = None, **kwargs: Any) -> None:
        TASK_FAILURES.labels(task=getattr(sender, "name", "unknown")).inc()


def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition. With ``METRICS_TOKEN`` set, a bearer token is required; with
    ``PROMETHEUS_MULTIPROC_DIR`` set (several gunicorn workers), all workers are aggregated."""
    import hmac
    import os

    from django.conf import settings
    from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
    from prometheus_client import REGISTRY as DEFAULT_REGISTRY

    expected = settings.METRICS_TOKEN
    if expected != "-":
        given = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        if not hmac.compare_digest(given.encode(), expected.encode()):
            return HttpResponse(b"metrics need a token", status=401, content_type="text/plain")
    registry = DEFAULT_REGISTRY
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    return HttpResponse(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)


def database_unavailable_response() -> HttpResponse:
    """503 with Retry-After: what a request gets while the database cannot be reached."""
    response = HttpResponse(
        b"The service is briefly unavailable; try again shortly.",
        status=503,
        content_type="text/plain",
    )
    response["Retry-After"] = "5"
    return response


class DatabaseUnavailableMiddleware:
    """While the database is unreachable (restart, failover), answer 503 with Retry-After
    instead of a 500 traceback: the request changed nothing (its transaction never committed)
    and clients, load balancers and ad scripts know to try again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        from django.db import InterfaceError, OperationalError, connections

        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        # A broken connection must not be reused by the next request in this worker.
        for connection in connections.all(initialized_only=True):
            connection.close_if_unusable_or_obsolete()
        logging.getLogger("alliance.db").warning("database unavailable: %s", exception)
        return database_unavailable_response()


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: an outage of the database (caught in a middleware, where
    ``process_exception`` does not reach) is a 503 with Retry-After; anything else a 500."""
    import sys

    from django.db import InterfaceError, OperationalError

    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        return database_unavailable_response()
    return HttpResponse(
        b"Something went wrong on our side; it has been logged.",
        status=500,
        content_type="text/plain",
    )
