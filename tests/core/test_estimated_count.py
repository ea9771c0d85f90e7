"""Big changelists count exactly up to a threshold and say "estimated" above it (issue 14):
never a fake cap such as "10001 results"."""

import datetime

import pytest
from django.db import connection

from apps.core.admin import EstimatedCountPaginator, estimated_paginator
from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click
from tests.conftest import client_for, make_staff
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db


def _clicks(tenant, n):
    first = ClickFactory(tenant=tenant)
    with tenant_scope(tenant):
        Click.objects.bulk_create(
            Click(
                tenant=tenant,
                placement=first.placement,
                affiliate=first.affiliate,
                ip="198.51.100.7",
                clicked_at=first.clicked_at + datetime.timedelta(seconds=i),
            )
            for i in range(n - 1)
        )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tracking_click")


def test_small_lists_are_counted_exactly(tenant):
    _clicks(tenant, 12)
    paginator = EstimatedCountPaginator(Click.objects.order_by("-id"), 5)
    assert paginator.count == 12
    assert paginator.is_estimated is False


def test_big_lists_use_the_planners_estimate_above_the_threshold(tenant):
    _clicks(tenant, 40)
    paginator = estimated_paginator(10)(Click.objects.order_by("-id"), 5)
    assert paginator.is_estimated is True
    # the estimate of the analysed table, and never below what was counted exactly
    assert 11 <= paginator.count <= 400


def test_click_list_is_newest_first_and_says_estimated(tenant, monkeypatch):
    _clicks(tenant, 30)
    monkeypatch.setattr(EstimatedCountPaginator, "exact_up_to", 10)
    client = client_for(tenant, make_staff(tenant, "risk"))
    response = client.get("/admin/tracking/click/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'data-estimated="1"' in content
    assert "(estimated)" in content
    assert "10001" not in content
    assert "11 clicks" not in content
    newest = Click.objects.order_by("-clicked_at").first()
    rows = response.context["cl"].result_list
    assert rows[0].pk == newest.pk
