"""Every changelist of the back office runs the same number of queries with 2 rows and with 20
(issue 19: a per-row query, a missing ``list_select_related`` or a count that depends on the
table's size shows up here, long before a network's millions of rows do). Rows are made with
the cross-tenant harness's builders (``tests/<app>/cross_tenant.py``), so a new admin is
covered as soon as it is registered there (``tests/tenancy/test_cross_tenant.py`` makes sure
it is)."""

import datetime
import importlib
import pkgutil
from pathlib import Path

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import tests
from apps.commissions.models import ReconcileRun
from apps.core.admin import EstimatedCountPaginator
from apps.fx.models import FxRate
from apps.tracking.models import DailyRun
from tests.commissions.factories import ReconcileRunFactory
from tests.conftest import client_for, make_staff
from tests.fx.factories import FxRateFactory
from tests.tenancy.harness import MODEL_CASES
from tests.tracking.factories import DailyRunFactory

pytestmark = pytest.mark.django_db

for _module in pkgutil.iter_modules([str(Path(tests.__file__).parent)]):
    if _module.ispkg:
        try:
            importlib.import_module(f"tests.{_module.name}.cross_tenant")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.{_module.name}.cross_tenant":
                raise

ADMIN_MODELS = sorted(admin.site._registry, key=lambda model: model._meta.label)
_DAY = datetime.date(2026, 3, 1)

#: models with one row per day or period: the harness's builder makes the same one each time
MAKE_NTH = {
    DailyRun: lambda t, n: DailyRunFactory(tenant=t, day=_DAY - datetime.timedelta(days=n)),
    FxRate: lambda t, n: FxRateFactory(tenant=t, day=_DAY - datetime.timedelta(days=n)),
    ReconcileRun: lambda t, n: ReconcileRunFactory(tenant=t, period=f"{2000 + n}-03"),
}


def _maker(model):
    if model in MAKE_NTH:
        counter = iter(range(1000))
        return lambda tenant: MAKE_NTH[model](tenant, next(counter))
    return MODEL_CASES[model].make


def _changelist_queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(captured), len(response.context["cl"].result_list)


@pytest.mark.parametrize("model", ADMIN_MODELS, ids=lambda model: model._meta.label)
def test_changelist_query_count_does_not_grow_with_rows(tenant, model):
    # given staff with every role and 2 rows of the model
    client = client_for(tenant, make_staff(tenant))
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    make = _maker(model)
    for _ in range(2):
        make(tenant)
    client.get(url)  # per-process caches (content types, site settings) filled first
    # when the list is read with 2 rows and then with 20
    small, small_rows = _changelist_queries(client, url)
    for _ in range(18):
        make(tenant)
    big, big_rows = _changelist_queries(client, url)
    # then it shows them all and asks the database the same number of times
    assert big_rows > small_rows >= 2
    assert big == small, f"{model._meta.label}: {small} queries with 2 rows, {big} with 20"


def test_every_changelist_counts_with_the_estimating_paginator():
    for model, model_admin in admin.site._registry.items():
        assert issubclass(model_admin.paginator, EstimatedCountPaginator), model._meta.label


def test_estimated_and_exact_counts_cost_the_same_queries(tenant, monkeypatch):
    # given a list counted exactly (2 rows) and the same list over the threshold (20 rows)
    model = next(m for m in ADMIN_MODELS if m._meta.label == "tracking.Click")
    client = client_for(tenant, make_staff(tenant))
    url = reverse("admin:tracking_click_changelist")
    make = _maker(model)
    for _ in range(2):
        make(tenant)
    client.get(url)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 10)
    exact, _ = _changelist_queries(client, url)
    for _ in range(18):
        make(tenant)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracking_click")
    # when both are read, then the big one says "estimated" and made no more queries
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.context["cl"].paginator.is_estimated is True
    assert "(estimated)" in response.content.decode()
    assert len(captured) == exact
