"""``generate_settlements`` (API.md command) and its Celery tasks."""

import datetime
from io import StringIO

import pytest
import time_machine
from django.core.management import CommandError, call_command

from apps.commissions.models import Statement, StatementLine
from apps.commissions.tasks_statements import (
    generate_settlements_due_task,
    generate_settlements_task,
)
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.statement_helpers import earning

pytestmark = pytest.mark.django_db


def _run(*args):
    out = StringIO()
    call_command("generate_settlements", *args, stdout=out)
    return out.getvalue()


def test_command_drafts_statements_and_a_rerun_adds_nothing(tenant, other_tenant):
    earning(AffiliateFactory(tenant=tenant), datetime.date(2026, 3, 4), "150.00")
    earning(AffiliateFactory(tenant=other_tenant), datetime.date(2026, 3, 4), "150.00")
    first = _run("--tenant", "alpha", "--period", "2026-03")
    second = _run("--tenant", "alpha", "--period", "2026-03")
    assert "1 draft statement(s), 1 new" in first
    assert "0 new, 0 updated, 0 line(s) added" in second
    assert (Statement.objects.count(), StatementLine.objects.count()) == (1, 1)
    with tenant_scope(other_tenant):
        assert Statement.objects.count() == 0


def test_command_refuses_a_bad_period_or_tenant(tenant):
    with pytest.raises(CommandError, match="YYYY-MM"):
        _run("--tenant", "alpha", "--period", "March")
    with pytest.raises(CommandError, match="No tenant"):
        _run("--tenant", "nope", "--period", "2026-03")


def test_task_generates_the_period(tenant):
    earning(AffiliateFactory(tenant=tenant), datetime.date(2026, 3, 4), "150.00")
    result = generate_settlements_task.delay(tenant_id=tenant.pk, period="2026-03").get()
    assert result["created"] == 1
    again = generate_settlements_task.delay(tenant_id=tenant.pk, period="2026-03").get()
    assert again["lines_created"] == 0


def test_due_task_takes_the_previous_month_in_the_tenant_zone(tenant):
    # 2026-04-01 00:30 in Shanghai is still March 31 in UTC: the previous month is March.
    earning(AffiliateFactory(tenant=tenant), datetime.date(2026, 3, 4), "150.00")
    moment = datetime.datetime(2026, 3, 31, 16, 30, tzinfo=datetime.UTC)
    with time_machine.travel(moment, tick=False):
        result = generate_settlements_due_task.delay(tenant_id=tenant.pk).get()
    assert (result["period"], result["created"]) == ("2026-03", 1)
