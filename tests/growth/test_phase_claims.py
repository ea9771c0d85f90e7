"""A claim evaluated on a phase (issue 18): its window starts with the phase's first spend and
ends within the phase, the phase's target is the one judged, and each phase can be claimed
once."""

import datetime
from decimal import Decimal

import pytest
import time_machine

from apps.campaigns.services.phases import campaign_phases_set
from apps.disputes.errors import ClaimError
from apps.disputes.models import Claim
from apps.disputes.services import claim_quote, claim_submit
from tests.disputes.factories import FullSitePlanFactory, spend_days

pytestmark = pytest.mark.django_db
D = datetime.date


@pytest.fixture
def phased(tenant):
    # a full-site plan from 1 March at target 3 (tiers 2 / 3 / 4 offered at start), with a
    # pre-heat at target 3 to 9 March and a burst at target 4 from 10 to 25 March
    plan = FullSitePlanFactory(tenant=tenant, target_roi=Decimal("3.00"))
    campaign_phases_set(
        campaign=plan,
        phases=[
            {"kind": "pre_heat", "first_day": "2026-03-01", "last_day": "2026-03-09",
             "daily_budget": "100", "target_roi": "3"},
            {"kind": "burst", "first_day": "2026-03-10", "last_day": "2026-03-25",
             "daily_budget": "1000", "target_roi": "4"},
        ],
        today=D(2026, 3, 1),
    )  # fmt: skip
    pre_heat, burst = plan.phases.order_by("first_day")
    # the pre-heat spends from 2 March at ROI 3 (met); the burst from 12 March at ROI 2.5
    spend_days(plan, [(D(2026, 3, 2 + i), "100.00", "300.00") for i in range(8)])
    spend_days(plan, [(D(2026, 3, 12 + i), "1000.00", "2500.00") for i in range(10)])
    return plan, pre_heat, burst


def test_a_claim_on_the_burst_phase_is_judged_on_its_days_and_target(phased):
    plan, _, burst = phased
    quote = claim_quote(campaign=plan, phase=burst, window_days=7, today=D(2026, 3, 19))
    # the window starts with the phase's first spend, 12 March, not the plan's (2 March)
    assert (quote.window_start, quote.window_end) == (D(2026, 3, 12), D(2026, 3, 18))
    assert (quote.spend, quote.gmv, quote.target_roi) == (
        Decimal("7000.00"), Decimal("17500.00"), Decimal("4.00"),
    )  # fmt: skip
    # 7,000 - 17,500 / 4 = 2,625.00
    assert quote.is_eligible
    assert quote.amount == Decimal("2625.00")
    claim = claim_submit(campaign=plan, phase=burst, window_days=7, today=D(2026, 3, 19))
    assert (claim.phase, claim.computed_amount) == (burst, Decimal("2625.00"))
    # the same phase cannot be claimed twice; the whole plan still can be
    with pytest.raises(ClaimError) as twice:
        claim_submit(campaign=plan, phase=burst, window_days=7, today=D(2026, 3, 19))
    assert twice.value.code == ClaimError.ALREADY_CLAIMED
    assert claim_quote(campaign=plan, window_days=7, today=D(2026, 3, 19)).refusal_code != (
        ClaimError.ALREADY_CLAIMED
    )


def test_a_window_ends_with_its_phase_and_a_met_target_is_nothing_to_compensate(phased):
    plan, pre_heat, _ = phased
    quote = claim_quote(campaign=plan, phase=pre_heat, window_days=15, today=D(2026, 3, 10))
    assert (quote.window_start, quote.window_end) == (D(2026, 3, 2), D(2026, 3, 9))
    assert (quote.spend, quote.gmv) == (Decimal("800.00"), Decimal("2400.00"))
    assert quote.refusal_code == ClaimError.NOTHING_TO_COMPENSATE
    assert Claim.objects.count() == 0


def test_a_phase_target_that_was_not_a_tier_is_not_eligible(tenant, phased):
    plan, *_ = phased
    other = FullSitePlanFactory(tenant=tenant, merchant=plan.merchant, target_roi=Decimal("3"))
    campaign_phases_set(
        campaign=other,
        phases=[{"kind": "burst", "first_day": "2026-03-02", "last_day": "2026-03-20",
                 "daily_budget": "100", "target_roi": "3.5"}],
        today=D(2026, 3, 1),
    )  # fmt: skip
    phase = other.phases.get()
    quote = claim_quote(campaign=other, phase=phase, window_days=7, today=D(2026, 3, 21))
    assert quote.refusal_code == ClaimError.NOT_ELIGIBLE
    assert quote.refusal_field == "phase"
    assert "3.50" in quote.refusal_message
    # and a phase of another plan is refused by name
    _, _, burst = phased
    foreign = claim_quote(campaign=other, phase=burst, window_days=7, today=D(2026, 3, 21))
    assert (foreign.refusal_code, foreign.refusal_field) == (ClaimError.NOT_ELIGIBLE, "phase")


def test_the_api_files_a_claim_on_a_phase_and_refuses_another_plans(tenant, phased):
    from tests.api.factories import bearer, issue_key
    from tests.conftest import client_for

    plan, _, burst = phased
    client = client_for(tenant)
    auth = bearer(issue_key(plan.merchant))
    with time_machine.travel(datetime.datetime(2026, 3, 19, 4, tzinfo=datetime.UTC), tick=False):
        foreign = client.post("/api/v1/claims", {"campaign": plan.pk, "phase": 999_999},
                              content_type="application/json", **auth)  # fmt: skip
        created = client.post("/api/v1/claims", {"campaign": plan.pk, "phase": burst.pk},
                              content_type="application/json", **auth)  # fmt: skip
    assert foreign.status_code == 400
    assert list(foreign.json()["extra"]["fields"]) == ["phase"]
    assert created.status_code == 201
    assert created.json()["amount"] == "2625.00"
