"""DESIGN.md rule 1's worked examples end to end: clicks through ``/c/``, conversions through
``POST /api/v1/conversions``, then ``run_daily``; the placement's day pays 800.00 with 6,000
valid clicks and 700.00 with 3,000 (500/day guarantee, 0.10 per valid click, registration
1.00 and order 2.00 by commission rules).

``SAMPLE`` clicks go through the ``/c/`` view one request each; the rest are bulk-inserted as
identical rows (same placement, product, merchant, user agent, one fresh IP each), because
test-client requests to ``/c/`` measured about 36 ms each here (6,000 would take over
3 minutes). ``run_daily`` then classifies every click the same way.
"""

import datetime
import json
import time
from decimal import Decimal
from urllib.parse import parse_qs, urlparse

import pytest
import time_machine
from django.core.management import call_command

from apps.commissions.models import Commission, DailyEarning
from apps.commissions.selectors import affiliate_payable_balance, affiliate_pending_balance
from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click, PlacementDayStats
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import ProductFactory
from tests.commissions.money_helpers import rule
from tests.conftest import client_for
from tests.sites.factories import ContractFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)
# 10:00 in Asia/Shanghai (the tenant's zone) on DAY
AT = datetime.datetime(2026, 3, 2, 2, 0, tzinfo=datetime.UTC)
UA = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/120.0 Safari/537.36"
SAMPLE = 150  # every conversion needs a click that went through /c/


def ip(n):
    return f"100.{64 + n // 62500}.{n // 250 % 250}.{n % 250 + 1}"


def run_example(tenant, valid_clicks):
    with tenant_scope(tenant):
        contract = ContractFactory(tenant=tenant, starts_on=datetime.date(2026, 1, 1))
        placement = contract.placement
        product = ProductFactory(tenant=tenant)
        rule(event="registration", rate_type="fixed", value=1)
        rule(event="order", rate_type="fixed", value=2)
    client = client_for(tenant)
    click_ids = []
    started = time.monotonic()
    with time_machine.travel(AT, tick=False):
        for n in range(min(SAMPLE, valid_clicks)):
            response = client.get(
                f"/c/{placement.code}", {"sku": product.sku}, REMOTE_ADDR=ip(n), HTTP_USER_AGENT=UA
            )
            assert response.status_code == 302, response.content
            click_ids.append(parse_qs(urlparse(response["Location"]).query)["click_id"][0])
    view_seconds = time.monotonic() - started
    with tenant_scope(tenant):
        template = Click.objects.filter(placement=placement).first()
        Click.objects.bulk_create(
            [
                Click(
                    tenant=tenant,
                    placement=placement,
                    affiliate_id=template.affiliate_id,
                    product_id=template.product_id,
                    merchant_id=template.merchant_id,
                    clicked_at=AT,
                    ip=ip(n),
                    user_agent=UA,
                )
                for n in range(SAMPLE, valid_clicks)
            ],
            batch_size=2000,
        )
    key = issue_key(product.merchant, scopes=["conversions:write"])
    occurred = (AT + datetime.timedelta(minutes=5)).isoformat()
    events = [
        {
            "type": "registration",
            "external_id": f"REG-{n}",
            "click_id": click_ids[n],
            "occurred_at": occurred,
        }
        for n in range(100)
    ] + [
        {
            "type": "order",
            "external_id": f"ORD-{n}",
            "click_id": click_ids[100 + n],
            "occurred_at": occurred,
            "amount": "80.00",
            "items": [{"sku": product.sku, "quantity": 1, "amount": "80.00"}],
        }
        for n in range(50)
    ]
    with time_machine.travel(AT + datetime.timedelta(hours=1), tick=False):
        response = client.post(
            "/api/v1/conversions",
            data=json.dumps({"events": events}),
            content_type="application/json",
            **bearer(key),
        )
    assert response.status_code == 200, response.content
    assert {r["status"] for r in response.json()["results"]} == {"created"}
    with time_machine.travel(AT + datetime.timedelta(days=1), tick=False):
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())  # idempotent
    return placement, view_seconds


@pytest.mark.parametrize(
    ("valid", "income", "topup", "total"),
    [(6000, "600.00", "0.00", "800.00"), (3000, "300.00", "200.00", "700.00")],
)
def test_worked_example_end_to_end(tenant, valid, income, topup, total):
    placement, _ = run_example(tenant, valid)
    stats = PlacementDayStats.objects.get(placement=placement, day=DAY)
    assert (stats.valid_clicks, stats.registrations, stats.orders) == (valid, 100, 50)
    row = DailyEarning.objects.get(placement=placement, day=DAY)
    assert (row.valid_clicks, row.click_income, row.guarantee_topup) == (
        valid,
        Decimal(income),
        Decimal(topup),
    )
    assert (row.registrations, row.registration_commission) == (100, Decimal("100.00"))
    assert (row.orders, row.order_commission) == (50, Decimal("100.00"))
    assert row.total == Decimal(total)
    assert Commission.objects.count() == 150
    affiliate = placement.site.affiliate
    assert affiliate_payable_balance(affiliate) == Decimal(income) + Decimal(topup)
    assert affiliate_pending_balance(affiliate) == Decimal("200.00")
