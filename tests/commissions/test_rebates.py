"""Tiered merchant rebates (DESIGN.md rule 9), credited monthly to the merchant's ledger."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from hypothesis import given
from hypothesis import strategies as st

from apps.commissions.errors import RebateError
from apps.commissions.models import RATE_CAPS, MerchantRebate, RebateTier
from apps.commissions.selectors import merchant_balance
from apps.commissions.services.rebates import (
    DEFAULT_TIERS,
    previous_period,
    rebate_for,
    rebates_credit_month,
)
from apps.commissions.tasks import rebates_credit_due
from apps.core.money import quantize_money
from apps.tenants.scope import current_tenant, tenant_scope
from apps.tenants.services import tenant_create
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
        # marginal: 100,000 x 2% + 400,000 x 3% + 100,000 x 3.8%
        ("brand", "600000.00", "0.0297", "17800.00"),
        ("brand", "500000.00", "0.0280", "14000.00"),
        ("brand", "499999.99", "0.0280", "14000.00"),  # 13999.9997: no cliff at 500,000
        ("brand", "1000.00", "0.0200", "20.00"),
        ("high_potential", "250000.00", "0.0240", "6000.00"),
        ("smb", "60000.00", "0.0125", "750.00"),
        ("smb", "50000.00", "0.0100", "500.00"),
        ("smb", "49999.99", "0.0100", "500.00"),
    ],
)
def test_each_bracket_pays_its_rate_on_the_spend_within_it(tiers, tier, amount, rate, rebate):
    merchant = MerchantFactory(tenant=current_tenant(), tier=tier)
    spend(merchant, Decimal(amount))
    assert rebates_credit_month(period="2026-03") == {"rebates": 1}
    row = MerchantRebate.objects.get()
    assert (row.spend, row.rate, row.amount) == (Decimal(amount), Decimal(rate), Decimal(rebate))
    assert merchant_balance(merchant) == Decimal(rebate)


@given(
    a=st.decimals(min_value=0, max_value=2_000_000, places=2),
    b=st.decimals(min_value=0, max_value=2_000_000, places=2),
)
def test_more_spend_never_earns_less_and_never_above_the_cap(a, b):
    tiers = [
        RebateTier(merchant_tier="brand", monthly_spend_from=Decimal(start), rate=Decimal(rate))
        for start, rate in BRACKETS["brand"]
    ]
    low, high = sorted([a, b])
    assert rebate_for(tiers, low)[0] <= rebate_for(tiers, high)[0]
    assert rebate_for(tiers, high)[0] <= quantize_money(high * RATE_CAPS["brand"])


def test_a_rate_above_the_tiers_cap_is_refused(scoped):
    tier = RebateTier(tenant=scoped, merchant_tier="smb", monthly_spend_from=0, rate="0.0260")
    with pytest.raises(ValidationError) as refused:
        tier.full_clean()
    assert "rate" in refused.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        RebateTier.objects.create(
            tenant=scoped, merchant_tier="brand", monthly_spend_from=0, rate=Decimal("0.0390")
        )


def test_a_new_tenant_gets_default_tiers_that_staff_can_change(db):
    tenant = tenant_create(slug="fresh", name="Fresh", host="fresh.localhost")
    with tenant_scope(tenant):
        tiers = list(RebateTier.objects.values_list("merchant_tier", "monthly_spend_from", "rate"))
        assert len(tiers) == len(DEFAULT_TIERS)
        assert max(r for t, _, r in tiers if t == "brand") == Decimal("0.0380")
        tier = RebateTier.objects.get(merchant_tier="smb", monthly_spend_from=0)
        tier.rate = Decimal("0.0150")
        tier.save()
        assert list(tier.history.values_list("rate", flat=True)) == [
            Decimal("0.0150"),
            Decimal("0.0100"),
        ]


def test_spend_is_summed_over_the_month_only(tiers):
    merchant = MerchantFactory(tenant=current_tenant(), tier="smb")
    spend(merchant, Decimal("30000.00"), day=datetime.date(2026, 3, 1))
    spend(merchant, Decimal("20000.00"), day=datetime.date(2026, 3, 31))
    spend(merchant, Decimal("99999.00"), day=datetime.date(2026, 4, 1))
    rebates_credit_month(period="2026-03")
    assert MerchantRebate.objects.get().amount == Decimal("500.00")


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
    assert rebates_credit_month(period="2026-03") == {"rebates": 0}
    assert MerchantRebate.objects.count() == 0
