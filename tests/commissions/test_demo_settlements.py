"""The settlements demo step: last month's statements in each state; a rerun changes nothing."""

import datetime

import pytest
import time_machine

from apps.commissions.models import Statement
from apps.demo.steps.settlements import seed
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.statement_helpers import earning
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db


@time_machine.travel(datetime.datetime(2026, 4, 2, 12, 0, tzinfo=datetime.UTC), tick=False)
def test_seed_moves_three_statements_and_is_idempotent(tenant):
    make_staff(tenant, "finance", email="finance@demo.localhost")
    make_staff(tenant, "finance", email="finance2@demo.localhost")
    for name in ("A", "B", "C", "D"):
        earning(AffiliateFactory(tenant=tenant, name=name), datetime.date(2026, 3, 3), "300.00")
    logs = []
    seed(tenant=tenant, days=30, result=None, log=logs.append)
    first = dict(Statement.objects.values_list("affiliate__name", "status"))
    seed(tenant=tenant, days=30, result=None, log=logs.append)
    second = dict(Statement.objects.values_list("affiliate__name", "status"))
    paid = Statement.objects.get(status="paid")
    assert first == {"A": "submitted", "B": "approved", "C": "paid", "D": "draft"}
    assert second == first
    assert paid.payout_reference == f"DEMO-2026-03-{paid.pk}"


def test_other_tenant_gets_nothing(tenant, other_tenant):
    earning(AffiliateFactory(tenant=tenant), datetime.date(2026, 3, 3), "300.00")
    with tenant_scope(other_tenant):
        seed(tenant=other_tenant, days=30, result=None, log=lambda _: None)
        assert Statement.objects.count() == 0
