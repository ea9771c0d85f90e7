"""Campaign phases in the serving path: the snapshot carries each plan's phases and each
/serve/ request (and the budget-exhaustion check) takes the terms of the phase in force on its
tenant-local day, so a phase starting at midnight in the tenant's zone takes effect with no
write at midnight, and a phase write reaches the snapshot through ``live_state_changed()``."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.campaigns.services.phases import campaign_phases_set
from apps.tracking import budget
from apps.tracking.models import BudgetExhaustion, CampaignSpend
from apps.tracking.snapshot import registry
from tests.campaigns.factories import CampaignFactory, CampaignProductFactory
from tests.conftest import client_for
from tests.tracking.conftest import make_shop

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date


def at(day, hour, minute=0, second=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute, second), tzinfo=SHANGHAI)


@pytest.fixture
def shop(tenant):
    return make_shop(tenant)


@pytest.fixture
def cpc_plan(tenant, shop):
    """A CPC plan at 2.00 a click with 50.00 a day of its own, from 1 March (Shanghai)."""
    campaign = CampaignFactory(
        tenant=tenant, merchant=shop.merchant, type="cpc", bid=Decimal("2.0000"),
        daily_budget=Decimal("50.00"), starts_at=at(D(2026, 3, 1), 0),
    )  # fmt: skip
    CampaignProductFactory(tenant=tenant, campaign=campaign, product=shop.product)
    return campaign


def test_a_burst_phase_starting_at_midnight_in_shanghai_serves_from_its_first_second(
    tenant, shop, cpc_plan
):
    # given a pre-heat phase (to 2 March) with no budget and a burst (from 3 March) with 100.00
    campaign_phases_set(
        campaign=cpc_plan,
        phases=[
            {"kind": "pre_heat", "first_day": "2026-03-01", "last_day": "2026-03-02",
             "daily_budget": "0.00"},
            {"kind": "burst", "first_day": "2026-03-03", "last_day": "2026-03-05",
             "daily_budget": "100.00"},
        ],
        today=D(2026, 3, 1),
    )  # fmt: skip
    client = client_for(tenant)
    serve = f"/serve/{shop.placement.code}"

    # when /serve/ is asked a second before and a second after midnight in Shanghai, with no
    # write or reload in between (one snapshot, loaded by the first request)
    with time_machine.travel(at(D(2026, 3, 2), 23, 59, 59), tick=False):
        before = client.get(serve)
        loaded = registry.loaded()[tenant.pk]
    with time_machine.travel(at(D(2026, 3, 3), 0, 0, 1), tick=False):
        after = client.get(serve)
    # and after the burst, back on the plan's own budget
    with time_machine.travel(at(D(2026, 3, 6), 12), tick=False):
        own = client.get(serve)

    # then the pre-heat's zero budget serves nothing, the burst serves the plan, and so does
    # the plan's own budget after it
    assert before.status_code == 204
    assert after.status_code == 200
    assert own.status_code == 200
    assert registry.loaded()[tenant.pk] is loaded
    # a zero-budget day is not "exhausted": no campaign.budget_exhausted for the pre-heat
    assert budget.exhaustion_check(tenant=tenant, snapshot=loaded, day=D(2026, 3, 2)) == 0


def test_the_burst_phases_bigger_budget_keeps_serving_past_the_plans_own(
    tenant, shop, cpc_plan, django_capture_on_commit_callbacks
):
    # given a plan whose snapshot is already loaded, then a burst phase on 3 March at 100.00
    # a day (twice the plan's 50.00), written while that snapshot serves
    client = client_for(tenant)
    serve = f"/serve/{shop.placement.code}"
    with time_machine.travel(at(D(2026, 3, 1), 12), tick=False):
        assert client.get(serve).status_code == 200
        with django_capture_on_commit_callbacks(execute=True):
            campaign_phases_set(
                campaign=cpc_plan,
                phases=[{"kind": "burst", "first_day": "2026-03-03", "last_day": "2026-03-03",
                         "daily_budget": "100.00"}],
            )  # fmt: skip
    # and 60.00 spent on the burst day and on the day after (another worker's counter)
    CampaignSpend.objects.bulk_create(
        CampaignSpend(tenant=tenant, campaign=cpc_plan, day=day, slot=budget.SLOTS - 1,
                      amount=Decimal("60.00"))
        for day in (D(2026, 3, 3), D(2026, 3, 4))
    )  # fmt: skip

    # when /serve/ is asked late on each day (pacing lets nearly the whole budget go)
    with time_machine.travel(at(D(2026, 3, 3), 23), tick=False):
        budget.spend_refresh(tenant=tenant, day=D(2026, 3, 3))  # the thread's poll
        burst = client.get(serve)
        snapshot = registry.loaded()[tenant.pk]
        burst_exhausted = budget.exhaustion_check(tenant=tenant, snapshot=snapshot,
                                                  day=D(2026, 3, 3))  # fmt: skip
    with time_machine.travel(at(D(2026, 3, 4), 23), tick=False):
        budget.spend_refresh(tenant=tenant, day=D(2026, 3, 4))  # the thread's poll
        after = client.get(serve)
        after_exhausted = budget.exhaustion_check(tenant=tenant, snapshot=snapshot,
                                                  day=D(2026, 3, 4))  # fmt: skip

    # then the phase write reloaded the snapshot with the phase; the burst's 100.00 keeps the
    # plan serving at 60.00 spent, where the plan's own 50.00 stops it the day after
    assert [p.kind for p in snapshot.campaigns[0].phases] == ["burst"]
    assert burst.status_code == 200
    assert burst_exhausted == 0
    assert after.status_code == 204
    assert after_exhausted == 1
    assert list(BudgetExhaustion.objects.values_list("day", "daily_budget")) == [
        (D(2026, 3, 4), Decimal("50.00"))
    ]
