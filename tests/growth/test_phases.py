"""Campaign phases: the rule for the day's terms, the writes and their refusals, and a phase
change at midnight in the tenant's zone taking effect in run_daily's spend."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from apps.campaigns.errors import CampaignError
from apps.campaigns.models import CampaignPhase
from apps.campaigns.phases import PhaseTerms, terms_on
from apps.campaigns.services.phases import campaign_phases_set, phase_terms
from apps.tenants import live
from apps.tracking.models import CampaignDayStats, Impression
from apps.tracking.services import traffic_rollup_day
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.sites.factories import PlacementFactory
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
D = datetime.date


def _phase(kind, first, last, budget, target=None):
    return {"kind": kind, "first_day": first, "last_day": last, "daily_budget": budget,
            "target_roi": target}  # fmt: skip


class TestTerms:
    PHASES = (
        PhaseTerms("pre_heat", D(2026, 3, 1), D(2026, 3, 2), Decimal("100"), Decimal("3")),
        PhaseTerms("burst", D(2026, 3, 3), D(2026, 3, 4), Decimal("500"), None),
    )

    @pytest.mark.parametrize(
        ("day", "budget", "target", "kind"),
        [
            (D(2026, 2, 28), "50", "4", None),
            (D(2026, 3, 2), "100", "3", "pre_heat"),
            (D(2026, 3, 3), "500", "4", "burst"),  # no target of its own: the plan's
            (D(2026, 3, 5), "50", "4", None),
        ],
    )
    def test_the_phase_in_force_sets_the_days_terms(self, day, budget, target, kind):
        terms = terms_on(daily_budget=Decimal("50"), target_roi=Decimal("4"),
                         phases=self.PHASES, day=day)  # fmt: skip
        assert (terms.daily_budget, terms.target_roi) == (Decimal(budget), Decimal(target))
        assert (terms.phase.kind if terms.phase else None) == kind


@pytest.fixture
def plan(tenant):
    return CampaignFactory(
        tenant=tenant, type="full_site", bid=None, target_roi=Decimal("4"),
        daily_budget=Decimal("50.00"),
        starts_at=datetime.datetime(2026, 3, 1, tzinfo=SHANGHAI),
    )  # fmt: skip


class TestWrites:
    def test_phases_are_set_in_day_order_and_tell_the_serving_snapshot(self, plan, monkeypatch):
        told = []
        monkeypatch.setattr(live, "live_state_changed", lambda **kw: told.append(kw))
        monkeypatch.setattr(
            "apps.campaigns.services.phases.live_state_changed", lambda **kw: told.append(kw)
        )
        campaign_phases_set(
            campaign=plan,
            phases=[_phase("burst", "2026-03-05", "2026-03-07", "500", "3"),
                    _phase("pre_heat", "2026-03-02", "2026-03-04", "100.00", "4.5")],
            today=D(2026, 3, 1),
        )  # fmt: skip
        assert [(p.kind, p.first_day, p.daily_budget) for p in phase_terms(plan)] == [
            ("pre_heat", D(2026, 3, 2), Decimal("100.00")),
            ("burst", D(2026, 3, 5), Decimal("500.00")),
        ]
        assert told == [{}]

    @pytest.mark.parametrize(
        ("phases", "words"),
        [
            ([_phase("burst", "2026-03-02", "2026-03-05", "1", "3"),
              _phase("steady", "2026-03-05", "2026-03-09", "1", "3")], "overlap"),
            ([_phase("burst", "2026-03-02", "2026-03-05", "1")], "needs a target ROI"),
            ([_phase("burst", "2026-03-06", "2026-03-05", "1", "3")], "before its first day"),
            ([_phase("boom", "2026-03-02", "2026-03-05", "1", "3")], "kind must be"),
            ([_phase("burst", "2026-02-20", "2026-03-05", "1", "3")], "outside the plan's days"),
            ([_phase("burst", "2026-03-02", "2026-03-05", "-1", "3")], "0 or more"),
        ],
    )  # fmt: skip
    def test_refusals_name_the_phases_and_change_nothing(self, plan, phases, words):
        with pytest.raises(CampaignError) as refused:
            campaign_phases_set(campaign=plan, phases=phases, today=D(2026, 3, 1))
        assert words in refused.value.message
        assert list(refused.value.fields) == ["phases"]
        assert CampaignPhase.objects.count() == 0

    def test_only_full_site_and_cpc_plans_have_phases(self, tenant):
        cps = CampaignFactory(tenant=tenant, type="cps", bid=None)
        with pytest.raises(CampaignError, match="Only full-site and CPC"):
            campaign_phases_set(campaign=cps, phases=[], today=D(2026, 3, 1))

    def test_a_phase_that_has_run_keeps_its_terms(self, plan):
        pre_heat = _phase("pre_heat", "2026-03-02", "2026-03-04", "100", "4")
        campaign_phases_set(campaign=plan, phases=[pre_heat], today=D(2026, 3, 1))
        on_the_3rd = D(2026, 3, 3)
        with pytest.raises(CampaignError, match="has run"):
            campaign_phases_set(campaign=plan, phases=[{**pre_heat, "daily_budget": "900"}],
                                today=on_the_3rd)  # fmt: skip
        with pytest.raises(CampaignError, match="has run"):
            campaign_phases_set(campaign=plan, phases=[], today=on_the_3rd)
        with pytest.raises(CampaignError, match="starts today or later"):
            campaign_phases_set(
                campaign=plan,
                phases=[pre_heat, _phase("burst", "2026-03-01", "2026-03-01", "1", "3")],
                today=on_the_3rd,
            )
        # it may end early (from yesterday on), and later phases follow it
        campaign_phases_set(
            campaign=plan,
            phases=[{**pre_heat, "last_day": "2026-03-02"},
                    _phase("burst", "2026-03-03", "2026-03-06", "500", "3")],
            today=on_the_3rd,
        )  # fmt: skip
        assert [(p.first_day, p.last_day) for p in phase_terms(plan)] == [
            (D(2026, 3, 2), D(2026, 3, 2)), (D(2026, 3, 3), D(2026, 3, 6)),
        ]  # fmt: skip
        assert plan.phases.first().history.count() == 2  # created, then shortened


class TestRunDailySpend:
    def test_a_phase_change_at_midnight_in_shanghai_changes_the_budget_cap(self, tenant):
        # given a CPC plan at 2.00 a day, a pre-heat phase at 3.00 to 2 March and a burst at
        # 4.00 from 3 March (tenant-local days)
        campaign = CampaignFactory(
            tenant=tenant, type="cpc", bid=Decimal("0.8000"), daily_budget=Decimal("2.00"),
            starts_at=datetime.datetime(2026, 3, 1, tzinfo=SHANGHAI),
        )  # fmt: skip
        campaign_phases_set(
            campaign=campaign,
            phases=[_phase("pre_heat", "2026-03-01", "2026-03-02", "3.00"),
                    _phase("burst", "2026-03-03", "2026-03-04", "4.00")],
            today=D(2026, 3, 1),
        )  # fmt: skip
        placement = PlacementFactory(tenant=tenant)
        product = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        # ten valid clicks at 0.50 just before midnight and ten just after, in Shanghai
        for n, at in enumerate(
            [datetime.datetime(2026, 3, 2, 23, 59, tzinfo=SHANGHAI)] * 10
            + [datetime.datetime(2026, 3, 3, 0, 1, tzinfo=SHANGHAI)] * 10
        ):
            impression = Impression.objects.create(
                tenant=tenant, placement=placement, campaign=campaign, product=product,
                merchant=campaign.merchant, served_at=at, price_cpm=Decimal("5.0000"),
                cpc_price=Decimal("0.5000"), rendered_at=at,
            )  # fmt: skip
            ClickFactory(tenant=tenant, placement=placement, product=product, campaign=campaign,
                         impression_id=impression.impression_id, ip=f"198.51.100.{n + 1}",
                         user_agent="Mozilla/5.0 Firefox/125.0", clicked_at=at)  # fmt: skip

        # when run_daily rolls up both days
        traffic_rollup_day(day=D(2026, 3, 2))
        traffic_rollup_day(day=D(2026, 3, 3))

        # then each day's 5.00 of clicks is capped at the budget of the phase in force
        spend = dict(CampaignDayStats.objects.filter(campaign=campaign).values_list("day", "spend"))
        assert spend == {D(2026, 3, 2): Decimal("3.00"), D(2026, 3, 3): Decimal("4.00")}
