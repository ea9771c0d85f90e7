"""Operations: request ids, tenant-tagged logs, Prometheus metrics."""

import json
import logging

import pytest
from django.test import Client, override_settings

from apps.core.observability import ContextFilter, JsonFormatter
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_every_response_carries_a_request_id(tenant):
    response = client_for(tenant).get("/")
    assert len(response["X-Request-ID"]) == 32


def test_a_plain_caller_request_id_is_kept_and_a_forged_one_replaced(tenant):
    client = client_for(tenant)
    assert client.get("/", HTTP_X_REQUEST_ID="lb-1234")["X-Request-ID"] == "lb-1234"
    forged = client.get("/", HTTP_X_REQUEST_ID='x"\n{"level":"ERROR"}')["X-Request-ID"]
    assert forged != 'x"\n{"level":"ERROR"}'
    assert forged.isalnum()


def test_log_lines_inside_a_tenant_scope_name_the_tenant(tenant):
    record = logging.LogRecord("alliance", logging.INFO, __file__, 1, "hello %s", ("x",), None)
    ContextFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["tenant"] == "alpha"
    assert line["message"] == "hello x"
    assert line["level"] == "INFO"


def test_metrics_answer_on_any_host_in_prometheus_format():
    response = Client(headers={"host": "probe.internal"}).get("/metrics")
    assert response.status_code == 200
    body = response.content.decode()
    assert "django_http_requests_total_by_method_total" in body
    assert "alliance_clicks_recorded_total" in body


@override_settings(METRICS_TOKEN="s3cret-scrape-token")
def test_metrics_with_a_token_refuse_a_scraper_without_it():
    client = Client(headers={"host": "probe.internal"})
    assert client.get("/metrics").status_code == 401
    ok = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-scrape-token")
    assert ok.status_code == 200


def test_a_database_outage_answers_503_with_retry_after():
    from django.db import OperationalError

    from apps.core.observability import DatabaseUnavailableMiddleware

    middleware = DatabaseUnavailableMiddleware(lambda request: None)
    answer = middleware.process_exception(None, OperationalError("connection refused"))
    assert answer.status_code == 503
    assert answer["Retry-After"] == "5"
    # anything else is left to Django's normal handling
    assert middleware.process_exception(None, ValueError("not a db error")) is None


def test_every_recorded_click_counts_in_the_metrics(tenant):
    from apps.core.observability import CLICKS_RECORDED
    from tests.campaigns.factories import ProductFactory
    from tests.sites.factories import PlacementFactory

    placement = PlacementFactory(tenant=tenant)
    product = ProductFactory(tenant=tenant)
    before = CLICKS_RECORDED.labels(tenant="alpha")._value.get()
    response = client_for(tenant).get(f"/c/{placement.code}?sku={product.sku}")
    assert response.status_code == 302
    assert CLICKS_RECORDED.labels(tenant="alpha")._value.get() == before + 1
