"""The demo step: claims and disputes in each state, and a rerun changes nothing."""

import datetime

import pytest
from django.utils import timezone

from apps.commissions.models import Commission
from apps.demo.steps.disputes import MISSING_REFERENCE, WEBMASTER_LOGIN, seed
from apps.disputes.models import Claim, Dispute
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.factories import CommissionRuleFactory
from tests.conftest import make_staff
from tests.disputes.factories import FullSitePlanFactory, spread
from tests.tracking.factories import ConversionFactory

pytestmark = pytest.mark.django_db


def test_demo_step_seeds_each_state_and_is_idempotent(scoped, tenant):
    today = timezone.localdate(timezone=tenant.zone)
    start = today - datetime.timedelta(days=10)
    eligible = FullSitePlanFactory(tenant=tenant)
    spread(eligible, spend="10000.00", gmv="25000.00", start=start)
    untagged = FullSitePlanFactory(tenant=tenant, product_was_tagged=False)
    spread(untagged, spend="100.00", gmv="0.00", start=start)
    make_staff(tenant, "risk")
    AffiliateFactory(tenant=tenant, email=WEBMASTER_LOGIN)
    CommissionRuleFactory(tenant=tenant)
    ConversionFactory(tenant=tenant, day=today - datetime.timedelta(days=2))
    lines: list[str] = []

    seed(tenant=tenant, days=30, result=None, log=lines.append)
    seed(tenant=tenant, days=30, result=None, log=lines.append)

    assert list(Claim.objects.values_list("campaign_id", "status")) == [(eligible.pk, "approved")]
    disputes = list(Dispute.objects.order_by("pk").values_list("order_reference", "status"))
    assert disputes[1] == (MISSING_REFERENCE, "submitted")
    assert disputes[0][1] == "accepted"
    assert len(disputes) == 2
    assert Commission.objects.filter(source="dispute").count() == 1
    assert any("skipped (not_eligible)" in line for line in lines)
