"""``reconcile`` (issue 13) on a tenant with two currencies, a bonus tier and income-tax
withholding (issue 17): a USD merchant's orders converted at their day's rate, a webmaster
paid in USD, the statement withheld, approved and paid; every figure still agrees."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.affiliates.models import Affiliate
from apps.commissions.models import Commission, Statement
from apps.commissions.services.statements import (
    statement_approve,
    statement_mark_paid,
    statement_submit,
    statements_generate,
)
from apps.tracking.models import Conversion
from apps.tracking.services.conversions import conversions_record
from apps.tracking.services.daily import daily_run_execute
from tests.affiliates.factories import give_payout_details
from tests.campaigns.factories import MerchantFactory, ProductFactory
from tests.commissions.factories import BonusTierFactory
from tests.commissions.test_reconcile import DAYS, PERIOD, at, build_month, reconcile
from tests.conftest import make_staff
from tests.fx.factories import FxRateFactory
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

PAID_ON = datetime.date(2026, 4, 3)


def test_two_currencies_bonuses_and_withholding_reconcile_to_zero(tenant):
    tenant.withholding_rule = "prc_labour"
    tenant.minimum_payout = Decimal("0.00")
    tenant.save(update_fields=["withholding_rule", "minimum_payout"])
    for day in [*DAYS, PAID_ON]:
        FxRateFactory(tenant=tenant, day=day, base="USD", quote="CNY", rate=Decimal("7.2"))
    usd = MerchantFactory(tenant=tenant, code="US1", currency="USD")
    usd_product = ProductFactory(tenant=tenant, merchant=usd)
    BonusTierFactory(tenant=tenant, gmv_from=Decimal("100.00"), percent=None,
                     fixed_amount=Decimal("5000.00"))  # fmt: skip
    # the issue-13 month (clicks, CNY orders, registrations, run_daily, statements), then USD
    # orders on the same days and the days run again (idempotent: the new orders accrue)
    placement = build_month(tenant)
    affiliate = placement.site.affiliate
    for day in DAYS:
        click = ClickFactory(tenant=tenant, placement=placement, product=usd_product,
                             clicked_at=at(day, 9))  # fmt: skip
        [result] = conversions_record(merchant=usd, events=[{
            "type": "order", "external_id": f"USD-{day}", "click_id": str(click.click_id),
            "occurred_at": at(day, 13).isoformat(), "amount": "100.00",
        }])  # fmt: skip
        assert result["status"] == "created"
    assert Conversion.objects.filter(currency="USD").count() == 2
    Affiliate.objects.filter(pk=affiliate.pk).update(payout_currency="USD")
    give_payout_details(affiliate)
    for day in DAYS:
        with time_machine.travel(at(day + datetime.timedelta(days=1)), tick=False):
            daily_run_execute(day=day)
    with time_machine.travel(at(PAID_ON), tick=False):
        statements_generate(period=PERIOD)
        statement = Statement.objects.get(affiliate=affiliate, period=PERIOD)
        assert statement.lines.filter(kind="bonus").get().amount == Decimal("5000.00")
        assert statement.tax_withheld > 0
        assert Commission.objects.filter(conversion__currency="USD").count() == 2
        statement_submit(statement=statement, actor=make_staff(tenant, "finance", email="a@x.t"))
        approver = make_staff(tenant, "finance", email="b@x.t")
        statement_approve(statement=statement, actor=approver)
        statement_mark_paid(statement=statement, actor=approver, payout_reference="B-1")
        paid = Statement.objects.get(pk=statement.pk)
        assert paid.payout_currency == "USD"
    code, lines = reconcile(tenant)
    assert lines == ["reconcile: 0 differences"]
    assert code == 0
