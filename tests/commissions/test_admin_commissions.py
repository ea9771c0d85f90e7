"""The money admin: rules edited by BD with history, read-only records, ledger balances with
a constant number of queries, roles."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.commissions.models import AccountKind, CommissionRule
from apps.commissions.services.ledger import ledger_account_for, merchant_compensation_credit
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantFactory
from tests.commissions.factories import CommissionFactory, CommissionRuleFactory
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


def test_bd_adds_a_rule_and_its_history_is_kept(tenant):
    bd = make_staff(tenant, "bd")
    client = client_for(tenant, bd)
    response = client.post(
        "/admin/commissions/commissionrule/add/",
        {
            "event": "order",
            "rate_type": "percent",
            "value": "5",
            "priority": "0",
            "is_active": "on",
            "customer_type": "new",
            "product_type": "electronics",
            "affiliate_kind": "",
            "valid_from": "2026-03-01",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    rule = CommissionRule.objects.get()
    assert (rule.value, rule.created_by, rule.tenant_id) == (Decimal("5.0000"), bd, tenant.pk)
    assert rule.history.count() == 1
    assert client.get(f"/admin/commissions/commissionrule/{rule.pk}/history/").status_code == 200


def test_a_percent_over_100_is_refused_with_a_message(tenant):
    client = client_for(tenant, make_staff(tenant, "tenant_admin"))
    response = client.post(
        "/admin/commissions/commissionrule/add/",
        {
            "event": "order",
            "rate_type": "percent",
            "value": "150",
            "priority": "0",
            "customer_type": "any",
            "valid_from": "2026-03-01",
        },
    )
    assert response.status_code == 200
    assert CommissionRule.objects.count() == 0


def test_finance_reads_rules_but_cannot_add(tenant):
    CommissionRuleFactory(tenant=tenant)
    client = client_for(tenant, make_staff(tenant, "finance"))
    assert client.get("/admin/commissions/commissionrule/").status_code == 200
    assert client.get("/admin/commissions/commissionrule/add/").status_code == 403


def test_commissions_are_read_only(tenant):
    commission = CommissionFactory(tenant=tenant)
    client = client_for(tenant, make_staff(tenant, "tenant_admin"))
    assert client.get("/admin/commissions/commission/").status_code == 200
    assert client.get("/admin/commissions/commission/add/").status_code == 403
    url = f"/admin/commissions/commission/{commission.pk}/change/"
    assert client.get(url).status_code == 200
    assert client.post(url, {"amount": "999.00"}).status_code == 403
    commission.refresh_from_db()
    assert commission.amount == Decimal("2.00")


def _credits(tenant, n):
    with tenant_scope(tenant):
        for i in range(n):
            merchant = MerchantFactory(tenant=tenant)
            merchant_compensation_credit(
                merchant=merchant,
                amount=Decimal("10.00") + i,
                idempotency_key=f"claim:{merchant.pk}",
                occurred_on=DAY,
            )


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_ledger_accounts_show_balances_in_constant_queries(tenant):
    client = client_for(tenant, make_staff(tenant, "finance"))
    _credits(tenant, 2)
    few, _ = _queries(client, "/admin/commissions/ledgeraccount/")
    _credits(tenant, 8)
    many, content = _queries(client, "/admin/commissions/ledgeraccount/")
    assert many == few
    assert "-129.00" in content  # network costs: (10 + 11) + (10 + 11 + ... + 17)
    cost = ledger_account_for(kind=AccountKind.NETWORK_COST)
    _, content = _queries(client, f"/admin/commissions/ledgerentry/?account__id__exact={cost.pk}")
    assert content.count("/change/") >= 10


def test_bd_does_not_see_the_ledger(tenant):
    client = client_for(tenant, make_staff(tenant, "bd"))
    assert client.get("/admin/commissions/ledgeraccount/").status_code == 403
    assert client.get("/admin/commissions/ledgertransaction/").status_code == 403


def test_commission_changelist_in_constant_queries(tenant):
    client = client_for(tenant, make_staff(tenant, "risk"))
    CommissionFactory.create_batch(2, tenant=tenant)
    few, _ = _queries(client, "/admin/commissions/commission/")
    CommissionFactory.create_batch(8, tenant=tenant)
    many, _ = _queries(client, "/admin/commissions/commission/")
    assert many == few
