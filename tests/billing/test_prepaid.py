"""Prepaid balances (issue 21): deposits, the low-balance warning, serving stops at zero."""

import datetime
from decimal import Decimal

import pytest

from apps.billing.errors import DepositError
from apps.billing.selectors import merchant_prepaid_positions
from apps.billing.services.prepaid import (
    is_low,
    merchant_deposit_record,
    merchants_prepaid_refresh_day,
)
from apps.campaigns.models import Merchant
from apps.commissions.services.ledger import merchant_spend_charge_day
from apps.tenants.live import _listeners, register_live_state_listener
from tests.campaigns.factories import CampaignFactory, CampaignProductFactory, MerchantFactory
from tests.commissions.factories import CommissionFactory
from tests.tracking.factories import CampaignDayStatsFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)


@pytest.fixture
def told():
    seen: list[int] = []
    register_live_state_listener(seen.append)
    yield seen
    _listeners.remove(seen.append)


@pytest.fixture
def prepaid(scoped):
    scoped.prepayment_required = True
    scoped.low_balance_warning = Decimal("50.00")
    scoped.save()
    return scoped


def charge(merchant, amount, day):
    campaign = CampaignFactory(tenant=merchant.tenant, merchant=merchant)
    CampaignDayStatsFactory(tenant=merchant.tenant, campaign=campaign, day=day, spend=amount)
    merchant_spend_charge_day(day=day)
    return merchants_prepaid_refresh_day(day=day)


def test_serving_stops_at_zero_and_resumes_after_a_deposit(
    prepaid, told, django_capture_on_commit_callbacks
):
    merchant = MerchantFactory(tenant=prepaid)
    with django_capture_on_commit_callbacks(execute=True):
        merchant_deposit_record(
            merchant=merchant, amount=Decimal("100.00"), received_on=DAY, reference="BANK-1"
        )
        first = charge(merchant, Decimal("60.00"), DAY)
    position = merchant_prepaid_positions(merchant_ids=[merchant.pk])[merchant.pk]
    assert position.available == Decimal("40.00")
    assert is_low(position)
    assert first == {"prepaid_exhausted": 0, "prepaid_changed": 0, "prepaid_low": 1}
    assert not Merchant.objects.get(pk=merchant.pk).prepaid_exhausted

    with django_capture_on_commit_callbacks(execute=True):
        second = charge(merchant, Decimal("50.00"), DAY + datetime.timedelta(days=1))
    assert second["prepaid_changed"] == 1
    assert Merchant.objects.get(pk=merchant.pk).prepaid_exhausted
    assert told == [prepaid.pk]

    with django_capture_on_commit_callbacks(execute=True):
        merchant_deposit_record(
            merchant=merchant, amount=Decimal("20.00"), received_on=DAY, reference="BANK-2"
        )
    assert not Merchant.objects.get(pk=merchant.pk).prepaid_exhausted
    assert told == [prepaid.pk, prepaid.pk]


def test_commissions_not_yet_invoiced_count_against_the_prepaid_money(prepaid):
    prepaid.network_fee_percent = Decimal("20")
    prepaid.save()
    merchant = MerchantFactory(tenant=prepaid)
    merchant_deposit_record(
        merchant=merchant, amount=Decimal("100.00"), received_on=DAY, reference="BANK-1"
    )
    CommissionFactory(tenant=prepaid, merchant=merchant, amount=Decimal("50.00"))
    CommissionFactory(tenant=prepaid, merchant=merchant, status="reversed", amount=Decimal("9.00"))
    position = merchant_prepaid_positions(merchant_ids=[merchant.pk])[merchant.pk]
    assert position.unbilled == Decimal("60.00")
    assert position.available == Decimal("40.00")


def test_without_the_requirement_nobody_is_stopped(scoped):
    merchant = MerchantFactory(tenant=scoped)
    charge(merchant, Decimal("60.00"), DAY)
    assert not Merchant.objects.get(pk=merchant.pk).prepaid_exhausted


def test_a_deposit_needs_a_reference_and_is_recorded_once(prepaid):
    merchant = MerchantFactory(tenant=prepaid)
    with pytest.raises(DepositError) as missing:
        merchant_deposit_record(
            merchant=merchant, amount=Decimal("5"), received_on=DAY, reference=""
        )
    assert "reference" in missing.value.fields
    merchant_deposit_record(merchant=merchant, amount=Decimal("5"), received_on=DAY, reference="B")
    with pytest.raises(DepositError):
        merchant_deposit_record(
            merchant=merchant, amount=Decimal("5"), received_on=DAY, reference="B"
        )
    position = merchant_prepaid_positions(merchant_ids=[merchant.pk])[merchant.pk]
    assert position.balance == Decimal("5.00")


def test_an_exhausted_merchants_campaigns_are_not_candidates_for_serving(prepaid):
    from django.utils import timezone

    from apps.tracking.snapshot import _campaigns

    def _load_candidates():
        return _campaigns(timezone.now())

    merchant = MerchantFactory(tenant=prepaid)
    campaign = CampaignProductFactory(tenant=prepaid, campaign__merchant=merchant).campaign
    assert campaign.pk in {c.id for c in _load_candidates()}
    merchants_prepaid_refresh_day(day=DAY)  # no money at all: exhausted
    assert Merchant.objects.get(pk=merchant.pk).prepaid_exhausted
    assert campaign.pk not in {c.id for c in _load_candidates()}
