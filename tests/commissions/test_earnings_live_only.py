"""Issue 21: guarantee top-ups and click income only for days the placement was live, read as
of each day, so a rerun of a past day is stable."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.affiliates.services import affiliate_suspend
from apps.commissions.models import DailyEarning, LedgerEntry
from apps.commissions.services.earnings import earnings_compute_day
from apps.sites.services import site_transition
from tests.sites.factories import ContractFactory
from tests.tracking.factories import PlacementDayStatsFactory

pytestmark = pytest.mark.django_db


def _at(day, hour=4):
    return time_machine.travel(
        datetime.datetime(2026, 3, day, hour, 0, tzinfo=datetime.UTC), tick=False
    )


def _day(n):
    return datetime.date(2026, 3, n)


def test_a_webmaster_suspended_on_the_10th_gets_no_topup_from_the_10th_and_the_9th_stays(tenant):
    with _at(1):
        contract = ContractFactory(tenant=tenant, starts_on=_day(1))
    placement = contract.placement
    for n in (9, 10, 11):
        PlacementDayStatsFactory(
            tenant=tenant, placement=placement, day=_day(n), clicks=1000, valid_clicks=1000
        )
    with _at(9, 12):
        earnings_compute_day(day=_day(9))
    with _at(10):  # noon in Shanghai on the 10th
        affiliate_suspend(affiliate=placement.site.affiliate, actor=None, reason="fraud")
    with _at(12):
        for n in (9, 10, 11):
            earnings_compute_day(day=_day(n))
        legs = LedgerEntry.objects.count()
        earnings_compute_day(day=_day(9))  # a rerun of the 9th after the suspension
        rows = {
            e.day.day: (e.click_income, e.guarantee_topup)
            for e in DailyEarning.objects.filter(placement=placement)
        }
        assert LedgerEntry.objects.count() == legs

    assert rows == {
        9: (Decimal("100.00"), Decimal("400.00")),
        10: (Decimal("0.00"), Decimal("0.00")),
        11: (Decimal("0.00"), Decimal("0.00")),
    }


def test_a_site_suspended_then_approved_again_is_paid_from_the_day_it_is_back(tenant):
    with _at(1):
        contract = ContractFactory(tenant=tenant, starts_on=_day(1))
    site = contract.placement.site
    with _at(5):
        site_transition(site=site, to="suspended", reason="check")
    with _at(7):
        site_transition(site=site, to="approved", reason="ok")
    with _at(9):
        for n in (4, 5, 6, 7):
            earnings_compute_day(day=_day(n))
        topups = dict(
            DailyEarning.objects.filter(placement=contract.placement).values_list(
                "day", "guarantee_topup"
            )
        )
    assert [topups[_day(n)] for n in (4, 5, 6, 7)] == [
        Decimal("500.00"),
        Decimal("0.00"),
        Decimal("0.00"),
        Decimal("500.00"),
    ]
