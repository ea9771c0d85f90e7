"""The ``commission_rules`` import (API.md "Import formats"): blank optional columns mean
"any"; bad rows are reported by line and column and nothing is imported; idempotent."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.models import CommissionRule
from apps.core.import_runner import run_import
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantFactory

pytestmark = pytest.mark.django_db

HEADER = (
    "merchant,affiliate_kind,affiliate_email,event,customer_type,product_type,rate_type,"
    "value,priority,valid_from,valid_to\n"
)


def load(tenant, body):
    with tenant_scope(tenant):
        return run_import(
            "commission_rules",
            filename="rules.csv",
            content=(HEADER + body).encode(),
            tenant=tenant,
        )


def test_rules_import_with_any_dimensions(tenant):
    MerchantFactory(tenant=tenant, code="ACME")
    affiliate = AffiliateFactory(tenant=tenant, email="Top@Example.net")
    body = (
        ",,,registration,any,,fixed,1.00,,2026-03-01,\n"
        "ACME,cashback,,order,new,electronics,percent,5,2,2026-03-01,2026-12-31\n"
        ",,top@example.net,order,any,,fixed,3,,2026-03-01,\n"
    )
    report = load(tenant, body)
    assert report.errors == []
    assert report.counts == {"rules created": 3}
    rows = {
        (r.event, r.merchant_id is not None, r.affiliate_id, r.affiliate_kind): r
        for r in CommissionRule.objects.all()
    }
    general = rows[("registration", False, None, "")]
    assert (general.customer_type, general.product_type, general.value) == (
        "any",
        "",
        Decimal("1.0000"),
    )
    kind = rows[("order", True, None, "cashback")]
    assert (kind.rate_type, kind.value, kind.priority, kind.valid_to) == (
        "percent",
        Decimal("5.0000"),
        2,
        datetime.date(2026, 12, 31),
    )
    assert rows[("order", False, affiliate.pk, "")].value == Decimal("3.0000")
    again = load(tenant, body)
    assert again.counts == {"rules unchanged": 3}
    assert CommissionRule.objects.count() == 3


def test_bad_rows_are_reported_and_nothing_is_imported(tenant):
    body = (
        ",,,registration,any,,fixed,1.00,,2026-03-01,\n"
        "NOPE,robot,nobody@example.net,sale,old,,percent,150,x,01/03/2026,\n"
        ",,,order,any,,fixed,-1,,2026-03-01,2026-02-01\n"
    )
    report = load(tenant, body)
    found = {(e.line, e.column) for e in report.errors}
    assert found == {
        (3, "merchant"),
        (3, "affiliate_kind"),
        (3, "affiliate_email"),
        (3, "event"),
        (3, "customer_type"),
        (3, "value"),
        (3, "priority"),
        (3, "valid_from"),
        (4, "value"),
        (4, "valid_to"),
    }
    assert CommissionRule.objects.count() == 0


def test_another_tenants_merchant_is_unknown(tenant, other_tenant):
    with tenant_scope(other_tenant):
        MerchantFactory(tenant=other_tenant, code="THEIRS")
    report = load(tenant, "THEIRS,,,order,any,,fixed,2,,2026-03-01,\n")
    assert [(e.line, e.column) for e in report.errors] == [(2, "merchant")]
    assert CommissionRule.objects.count() == 0
