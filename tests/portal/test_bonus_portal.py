"""The webmaster sees the month's bonus tiers in the portal during the month (issue 17): GMV
so far, the tier reached and what it pays, how far the next one is; their own orders only."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from tests.affiliates.factories import AffiliateFactory
from tests.commissions.factories import BonusTierFactory
from tests.commissions.statement_helpers import commission
from tests.conftest import client_for
from tests.tenants.factories import UserFactory
from tests.tracking.factories import ConversionFactory

pytestmark = pytest.mark.django_db

D = datetime.date
DURING = datetime.datetime(2026, 3, 20, 4, 0, tzinfo=datetime.UTC)


def test_progress_to_the_next_tier_during_the_month(tenant):
    user = UserFactory(email="bonus@example.net")
    webmaster = AffiliateFactory(tenant=tenant, user=user, email=user.email)
    other = AffiliateFactory(tenant=tenant)
    BonusTierFactory(tenant=tenant, gmv_from=Decimal("100000.00"), percent=Decimal("1"))
    BonusTierFactory(tenant=tenant, gmv_from=Decimal("500000.00"), percent=Decimal("2"))
    ConversionFactory(tenant=tenant, affiliate=webmaster, amount=Decimal("150000.00"),
                      day=D(2026, 3, 5))  # fmt: skip
    ConversionFactory(tenant=tenant, affiliate=other, amount=Decimal("900000.00"),
                      day=D(2026, 3, 5))  # fmt: skip
    commission(webmaster, "3000.00", status="pending", day=D(2026, 3, 5))
    with time_machine.travel(DURING, tick=False):
        page = client_for(tenant, user).get("/webmaster/bonus/").content.decode()
    assert "150,000.00 CNY" in page
    assert "900,000.00" not in page
    assert "GMV from 100,000.00 CNY: 1 % of commissions, 30.00 CNY so far" in page
    assert "350,000.00 CNY to go (60.00 CNY at this month's commissions)" in page


def test_without_tiers_the_page_says_so(tenant):
    user = UserFactory(email="none@example.net")
    AffiliateFactory(tenant=tenant, user=user, email=user.email)
    page = client_for(tenant, user).get("/webmaster/bonus/").content.decode()
    assert 'id="bonus-none"' in page
