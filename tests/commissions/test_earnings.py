"""DESIGN.md rule 1, the worked examples: 6,000 valid clicks, 100 registrations, 50 orders at
500/0.10/1/2 pay 800.00; 3,000 valid clicks pay 700.00."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.models import AccountKind, DailyEarning, LedgerEntry, LedgerTransaction
from apps.commissions.services.accrual import commissions_accrue_day
from apps.commissions.services.earnings import earnings_compute_day
from apps.tenants.scope import current_tenant, tenant_scope
from apps.tracking.models import PlacementDayStats
from tests.campaigns.factories import ProductFactory
from tests.commissions.money_helpers import DAY, conversion, rule
from tests.sites.factories import ContractFactory, PlacementFactory
from tests.tracking.factories import PlacementDayStatsFactory

pytestmark = pytest.mark.django_db


def payable(affiliate):
    legs = LedgerEntry.objects.filter(
        account__kind=AccountKind.WEBMASTER_PAYABLE, account__affiliate=affiliate
    )
    return sum((e.amount for e in legs), Decimal("0.00"))


def worked_day(valid_clicks):
    tenant = current_tenant()
    contract = ContractFactory(tenant=tenant)  # 500/day guarantee, 0.10 per valid click
    placement = contract.placement
    rule(event="registration", rate_type="fixed", value=1)
    rule(event="order", rate_type="fixed", value=2)
    PlacementDayStatsFactory(
        tenant=tenant, placement=placement, valid_clicks=valid_clicks, clicks=valid_clicks
    )
    product = ProductFactory(tenant=tenant)
    for _ in range(100):
        conversion(placement, type="registration", amount=None, product=product)
    for _ in range(50):
        conversion(placement, amount=Decimal("80.00"), product=product)
    commissions_accrue_day(day=DAY)
    earnings_compute_day(day=DAY)
    return placement


@pytest.mark.parametrize(
    ("valid", "income", "topup", "total"),
    [(6000, "600.00", "0.00", "800.00"), (3000, "300.00", "200.00", "700.00")],
)
def test_worked_examples(scoped, valid, income, topup, total):
    placement = worked_day(valid)
    row = DailyEarning.objects.get(placement=placement, day=DAY)
    assert (row.valid_clicks, row.click_income, row.guarantee_topup) == (
        valid,
        Decimal(income),
        Decimal(topup),
    )
    assert (row.registrations, row.registration_commission) == (100, Decimal("100.00"))
    assert (row.orders, row.order_commission) == (50, Decimal("100.00"))
    assert row.total == Decimal(total)
    # the contract part is payable now; the commissions are pending until approved
    assert payable(placement.site.affiliate) == Decimal(income) + Decimal(topup)


def test_rerun_gives_identical_rows_and_no_new_postings(scoped):
    placement = worked_day(3000)
    before = list(DailyEarning.objects.values())
    tx_count = LedgerTransaction.objects.count()
    earnings_compute_day(day=DAY)
    assert list(DailyEarning.objects.values()) == [
        {**row, "updated_at": after["updated_at"]}
        for row, after in zip(before, DailyEarning.objects.values(), strict=True)
    ]
    assert LedgerTransaction.objects.count() == tx_count
    assert payable(placement.site.affiliate) == Decimal("500.00")


def test_changed_clicks_post_the_difference(scoped):
    placement = worked_day(3000)
    PlacementDayStats.objects.filter(placement=placement).update(valid_clicks=6000)
    earnings_compute_day(day=DAY)
    assert DailyEarning.objects.get().total == Decimal("800.00")
    keys = sorted(
        LedgerTransaction.objects.filter(kind="contract_earning").values_list(
            "idempotency_key", flat=True
        )
    )
    assert keys == [f"earning:{placement.pk}:{DAY}", f"earning:{placement.pk}:{DAY}:1"]
    assert payable(placement.site.affiliate) == Decimal("600.00")


def test_guarantee_only_on_contract_days(scoped):
    tenant = current_tenant()
    contract = ContractFactory(tenant=tenant, ends_on=DAY)
    next_day = DAY + datetime.timedelta(days=1)
    for day in (DAY, next_day):
        PlacementDayStatsFactory(
            tenant=tenant, placement=contract.placement, day=day, valid_clicks=100
        )
        earnings_compute_day(day=day)
    on, off = DailyEarning.objects.order_by("day")
    assert (on.click_income, on.guarantee_topup, on.total) == (
        Decimal("10.00"),
        Decimal("490.00"),
        Decimal("500.00"),
    )
    assert (off.contract_id, off.click_income, off.guarantee_topup, off.total) == (
        None,
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("0.00"),
    )


def test_a_contract_day_without_traffic_still_gets_its_guarantee(scoped):
    ContractFactory(tenant=current_tenant())
    earnings_compute_day(day=DAY)
    assert DailyEarning.objects.get().total == Decimal("500.00")


def test_no_contract_pays_only_commissions(scoped):
    placement = PlacementFactory(tenant=current_tenant())
    rule(event="order", rate_type="fixed", value=2)
    PlacementDayStatsFactory(tenant=current_tenant(), placement=placement, valid_clicks=900)
    conversion(placement)
    commissions_accrue_day(day=DAY)
    earnings_compute_day(day=DAY)
    row = DailyEarning.objects.get()
    assert (row.valid_clicks, row.click_income, row.guarantee_topup, row.total) == (
        900,
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("2.00"),
    )


def test_earnings_are_per_tenant(tenant, other_tenant):
    with tenant_scope(other_tenant):
        ContractFactory(tenant=other_tenant)
    assert earnings_compute_day(day=DAY)["earnings"] == 0
    assert DailyEarning.objects.count() == 0
