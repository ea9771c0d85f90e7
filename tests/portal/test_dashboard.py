"""The webmaster dashboard (issue 15): today's earnings and funnel so far (provisional), this
month's earnings, the 30-day chart, the top placements and what needs action."""

import datetime
import json
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.tracking.services.intraday import provisional_rollup_day
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.factories import DailyEarningFactory, StatementFactory
from tests.conftest import client_for
from tests.disputes.factories import DisputeFactory
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory
from tests.tenants.factories import UserFactory
from tests.tracking.factories import ClickFactory, PlacementDayStatsFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
TODAY = datetime.date(2026, 3, 20)
NOW = datetime.datetime(2026, 3, 20, 14, 5, tzinfo=SHANGHAI)


@pytest.fixture
def webmaster(tenant):
    user = UserFactory()
    return AffiliateFactory(tenant=tenant, user=user, email=user.email, name="Sunrise Deals")


@pytest.fixture
def placement(tenant, webmaster):
    site = SiteFactory(tenant=tenant, affiliate=webmaster, name="Sunrise",
                       verified_at=NOW, status="approved")  # fmt: skip
    return PlacementFactory(tenant=tenant, site=site, code="SUN-BR")


def test_today_and_this_month_with_the_funnel_so_far(tenant, webmaster, placement):
    ContractFactory(tenant=tenant, placement=placement, daily_guarantee=Decimal("50.00"))
    for day in (3, 19):  # two closed days of this month, one of last month
        on = datetime.date(2026, 3, day)
        PlacementDayStatsFactory(
            tenant=tenant, placement=placement, day=on, clicks=100, valid_clicks=90
        )
        DailyEarningFactory(tenant=tenant, placement=placement, day=datetime.date(2026, 3, day),
                            click_income=Decimal("9.00"), guarantee_topup=Decimal("41.00"),
                            total=Decimal("50.00"))  # fmt: skip
    DailyEarningFactory(tenant=tenant, placement=placement, day=datetime.date(2026, 2, 28),
                        total=Decimal("77.00"), click_income=Decimal("77.00"),
                        guarantee_topup=Decimal("0.00"))  # fmt: skip
    for minute in range(12):
        ClickFactory(tenant=tenant, placement=placement, ip=f"198.51.100.{minute + 1}",
                     clicked_at=NOW - datetime.timedelta(minutes=minute + 10))  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        provisional_rollup_day(day=TODAY)
        page = client_for(tenant, webmaster.user).get("/webmaster/dashboard/").content.decode()
    today = re.search(r'id="today-earnings">([^<]*)<', page).group(1)
    assert today == "50.00 CNY"  # 12 valid x 0.10 = 1.20, topped up to the guarantee so far
    assert re.search(r'id="month-earnings">([^<]*)<', page).group(1) == "150.00 CNY"
    assert 'data-today="clicks">12<' in page
    assert 'data-today="valid_clicks">12<' in page
    assert "as of 2026-03-20 14:05 UTC+8" in page
    chart = json.loads(
        re.search(r'id="money-chart-data" type="application/json">(.*?)<', page).group(1)
    )
    assert len(chart) == 30
    assert (chart[-1]["date"], chart[-1]["partial"], chart[-1]["clicks"]) == (
        "2026-03-20",
        True,
        12,
    )
    assert chart[-2]["partial"] is False
    assert "SUN-BR" in re.search(r'id="top-placements">(.*?)</section>', page, re.S).group(1)


def test_what_needs_action(tenant, webmaster, placement):
    decider = UserFactory()
    unverified = SiteFactory(tenant=tenant, affiliate=webmaster, name="New blog")
    StatementFactory(
        tenant=tenant,
        affiliate=webmaster,
        period="2026-02",
        status="approved",
        approved_at=NOW - datetime.timedelta(days=3),
        opening_balance=Decimal("1234.50"),
        total=Decimal("1234.50"),
    )
    DisputeFactory(tenant=tenant, affiliate=webmaster, order_reference="Z-77", status="accepted",
                   decided_at=NOW - datetime.timedelta(days=1), decided_by=decider)  # fmt: skip
    DisputeFactory(tenant=tenant, affiliate=webmaster, order_reference="OLD-1", status="rejected",
                   decided_at=NOW - datetime.timedelta(days=90), decided_by=decider)  # fmt: skip
    DisputeFactory(tenant=tenant, order_reference="NOT-MINE", status="accepted", decided_at=NOW,
                   decided_by=decider)  # fmt: skip
    with time_machine.travel(NOW, tick=False):
        page = client_for(tenant, webmaster.user).get("/webmaster/dashboard/").content.decode()
    actions = re.search(r'id="actions">(.*?)</section>', page, re.S).group(1)
    assert "Verify New blog" in actions
    assert f"/webmaster/sites/{unverified.pk}/" in actions
    assert "Statement for February 2026 is approved: 1,234.50 CNY." in actions
    assert "Z-77" in actions
    assert "OLD-1" not in actions
    assert "NOT-MINE" not in actions
    assert "Verify Sunrise" not in actions  # verified


def test_another_tenants_or_webmasters_figures_never_show(
    tenant, other_tenant, webmaster, placement
):
    stranger = PlacementFactory(tenant=tenant, code="STRANGER")
    PlacementDayStatsFactory(
        tenant=tenant, placement=stranger, day=TODAY - datetime.timedelta(days=1)
    )
    theirs = PlacementFactory(tenant=other_tenant, code="BETA-1")
    PlacementDayStatsFactory(
        tenant=other_tenant, placement=theirs, day=TODAY - datetime.timedelta(days=1)
    )
    with time_machine.travel(NOW, tick=False):
        page = client_for(tenant, webmaster.user).get("/webmaster/dashboard/").content.decode()
    assert "STRANGER" not in page
    assert "BETA-1" not in page
