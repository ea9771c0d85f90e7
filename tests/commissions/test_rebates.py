"""Tiered merchant rebates (DESIGN.md rule 9), credited monthly to the merchant's ledger."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.errors import RebateError
from apps.commissions.models import MerchantRebate
from apps.commissions.selectors import merchant_balance
from apps.commissions.services.rebates import previous_period, rebates_credit_month
from apps.commissions.tasks import rebates_credit_due
from apps.tenants.scope import current_tenant, tenant_scope
from tests.campaigns.factories import CampaignFactory, MerchantFactory
from tests.commissions.factories import RebateTierFactory
from tests.tracking.factories import CampaignDayStatsFactory

pytestmark = pytest.mark.django_db

BRACKETS = {
    "brand": [("0", "0.0200"), ("100000", "0.0300"), ("500000", "0.0380")],
    "high_potential": [("0", "0.0150"), ("100000", "0.0300")],
    "smb": [("0", "0.0100"), ("50000", "0.0250")],
}


@pytest.fixture
def tiers(scoped):
    for tier, rows in BRACKETS.items():
        for start, rate in rows:
            RebateTierFactory(
                tenant=scoped,
                merchant_tier=tier,
                monthly_spend_from=Decimal(start),
                rate=Decimal(rate),
            )


def spend(merchant, amount, day=datetime.date(2026, 3, 15)):
    campaign = CampaignFactory(tenant=merchant.tenant, merchant=merchant)
    CampaignDayStatsFactory(
        tenant=merchant.tenant, campaign=campaign, merchant=merchant, day=day, spend=amount
    )


@pytest.mark.parametrize(
    ("tier", "amount", "rate", "rebate"),
    [
        ("brand", "600000.00", "0.0380", "22800.00"),
        ("brand", "500000.00", "0.0380", "19000.00"),
        ("brand", "499999.99", "0.0300", "15000.00"),  # 14999.9997
        ("brand", "1000.00", "0.0200", "20.00"),
        ("high_potential", "250000.00", "0.0300", "7500.00"),
        ("smb", "50000.00", "0.0250", "1250.00"),
        ("smb", "49999.99", "0.0100", "500.00"),
    ],
)
def test_highest_bracket_reached_pays_on_the_whole_spend(tiers, tier, amount, rate, rebate):
    merchant = MerchantFactory(tenant=current_tenant(), tier=tier)
    spend(merchant, Decimal(amount))
    assert rebates_credit_month(period="2026-03") == {"rebates": 1}
    row = MerchantRebate.objects.get()
    assert (row.spend, row.rate, row.amount) == (Decimal(amount), Decimal(rate), Decimal(rebate))
    assert merchant_balance(merchant) == Decimal(rebate)


def test_spend_is_summed_over_the_month_only(tiers):
    merchant = MerchantFactory(tenant=current_tenant(), tier="smb")
    spend(merchant, Decimal("30000.00"), day=datetime.date(2026, 3, 1))
    spend(merchant, Decimal("20000.00"), day=datetime.date(2026, 3, 31))
    spend(merchant, Decimal("99999.00"), day=datetime.date(2026, 4, 1))
    rebates_credit_month(period="2026-03")
    assert MerchantRebate.objects.get().amount == Decimal("1250.00")


def test_idempotent(tiers):
    merchant = MerchantFactory(tenant=current_tenant(), tier="brand")
    spend(merchant, Decimal("1000.00"))
    rebates_credit_month(period="2026-03")
    assert rebates_credit_month(period="2026-03") == {"rebates": 0}
    assert MerchantRebate.objects.count() == 1
    assert merchant_balance(merchant) == Decimal("20.00")


def test_no_bracket_no_rebate(scoped):
    merchant = MerchantFactory(tenant=scoped, tier="smb")
    spend(merchant, Decimal("1000.00"))
    assert rebates_credit_month(period="2026-03") == {"rebates": 0}
    assert MerchantRebate.objects.count() == 0


def test_bad_period_is_refused(scoped):
    with pytest.raises(RebateError, match="YYYY-MM"):
        rebates_credit_month(period="2026-13")


def test_monthly_task_credits_last_month(tiers, time_machine):
    time_machine.move_to(datetime.datetime(2026, 4, 1, 12, 0, tzinfo=datetime.UTC), tick=False)
    merchant = MerchantFactory(tenant=current_tenant(), tier="brand")
    spend(merchant, Decimal("1000.00"))
    assert previous_period(datetime.date(2026, 4, 1)) == "2026-03"
    assert rebates_credit_due.delay(tenant_id=current_tenant().pk).get() == {"rebates": 1}


def test_rebates_are_per_tenant(tenant, other_tenant):
    with tenant_scope(other_tenant):
        RebateTierFactory(tenant=other_tenant, merchant_tier="smb", monthly_spend_from=0)
        spend(MerchantFactory(tenant=other_tenant, tier="smb"), Decimal("100.00"))
    with tenant_scope(tenant):
        assert rebates_credit_month(period="2026-03") == {"rebates": 0}
        assert MerchantRebate.objects.count() == 0
