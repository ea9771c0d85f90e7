"""Today's provisional funnel (issue 15): the nightly rules every few minutes, replaced by the
nightly run, shown in /reports/daily with ``provisional: true``."""

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.tracking.models import (
    CampaignDayStats,
    Click,
    PlacementDayStats,
    PlacementSubDayStats,
    ProvisionalCampaignDay,
    ProvisionalPlacementDay,
    ProvisionalPlacementSubDay,
    ProvisionalRun,
)
from apps.tracking.services import daily_run_execute
from apps.tracking.services.intraday import (
    provisional_days_due,
    provisional_rollup_day,
)
from apps.tracking.tasks import provisional_rollup_due_task
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.conftest import client_for
from tests.sites.factories import ContractFactory, PlacementFactory
from tests.tracking.factories import BlockRuleFactory, ClickFactory, ConversionFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 3, 2)
UA = "Mozilla/5.0 (X11; Linux x86_64) Firefox/125.0"
FUNNEL = (
    "impressions", "clicks", "valid_clicks", "bot_clicks", "duplicate_clicks", "ip_cap_clicks",
    "self_clicks", "blocked_clicks", "landings", "registrations", "orders", "gmv",
)  # fmt: skip
SUB = ("clicks", "valid_clicks", "landings", "registrations", "orders")
ADDRESSES = itertools.count()  # every generated visitor is a new one
CAMPAIGN = ("impressions", "clicks", "valid_clicks", "registrations", "orders", "gmv", "spend")


def at(hour, minute=0, day=DAY):
    return datetime.datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


@pytest.fixture
def world(tenant):
    tenant.ip_daily_cap = 3
    tenant.save(update_fields=["ip_daily_cap"])
    placement = PlacementFactory(tenant=tenant, code="BR-1")
    ContractFactory(tenant=tenant, placement=placement)
    campaign = CampaignFactory(tenant=tenant, type="cpc", bid=Decimal("0.8000"))
    product = ProductFactory(tenant=tenant, merchant=campaign.merchant)
    return {"placement": placement, "campaign": campaign, "product": product}


def clicks(tenant, world, moments, *, ip=None, ua=UA, sub="", landed=False):
    common = {"tenant": tenant, "placement": world["placement"], "product": world["product"],
              "campaign": world["campaign"], "user_agent": ua, "sub": sub}  # fmt: skip
    made = []
    for moment in moments:
        n = next(ADDRESSES)
        address = ip or f"10.0.{n // 250}.{n % 250 + 1}"
        made.append(ClickFactory(**common, ip=address, clicked_at=moment,
                                 landed_at=moment if landed else None))  # fmt: skip
    return made


def morning(tenant, world):
    """Traffic up to noon: valid clicks (some landed), a bot, a repeat of yesterday evening's
    visitor, four clicks of one address (cap 3), registrations and orders."""
    clicks(tenant, world, [at(8, m) for m in range(10)], landed=True, sub="mail")
    clicks(tenant, world, [at(9, m) for m in range(5)])
    clicks(tenant, world, [at(10)], ua="Googlebot/2.1")
    # yesterday 22:00 and again today 07:00 (dedupe window 24 h): a duplicate
    clicks(tenant, world, [at(22, day=DAY - datetime.timedelta(days=1)), at(7)], ip="192.0.2.7")
    for n in range(4):
        clicks(tenant, world, [at(11, n)], ip="192.0.2.9", ua=f"{UA} n{n}")
    paid = clicks(tenant, world, [at(11, 30)])[0]
    ConversionFactory(tenant=tenant, click=paid, type="registration", amount=None, day=DAY)
    ConversionFactory(tenant=tenant, click=paid, day=DAY, amount=Decimal("120.00"))


def afternoon(tenant, world):
    """More traffic after the noon count: a repeat of a morning visitor, a fifth click of the
    capped address, more valid clicks and an order."""
    clicks(tenant, world, [at(8, 1), at(15)], ip="192.0.2.30")  # 8:01 repeated at 15:00
    clicks(tenant, world, [at(16)], ip="192.0.2.9", ua=f"{UA} n9")
    clicks(tenant, world, [at(17, m) for m in range(6)], sub="mail", landed=True)
    paid = clicks(tenant, world, [at(18)])[0]
    ConversionFactory(tenant=tenant, click=paid, day=DAY, amount=Decimal("80.00"))


def snapshot(model, fields):
    return sorted(
        (row.placement_id if hasattr(row, "placement_id") else row.campaign_id,
         getattr(row, "sub", ""), *(getattr(row, f) for f in fields))
        for row in model.objects.filter(day=DAY)
    )  # fmt: skip


class TestProvisionalEqualsNightly:
    def test_todays_figures_are_what_the_nightly_run_then_computes(self, tenant, world):
        # given the morning's traffic, counted at 12:05
        morning(tenant, world)
        with time_machine.travel(at(12, 5), tick=False):
            provisional_rollup_day(day=DAY)
        noon_verdicts = dict(
            Click.objects.filter(clicked_at__gte=at(0)).values_list("id", "verdict")
        )
        noon = ProvisionalPlacementDay.objects.get(day=DAY)
        assert (noon.clicks, noon.valid_clicks, noon.bot_clicks) == (22, 19, 1)
        assert (noon.duplicate_clicks, noon.ip_cap_clicks, noon.landings) == (1, 1, 10)
        assert (noon.registrations, noon.orders, noon.gmv) == (1, 1, Decimal("120.00"))
        # when the afternoon's traffic comes, is counted at 23:59, and the night closes the day
        afternoon(tenant, world)
        with time_machine.travel(at(23, 59), tick=False):
            provisional_rollup_day(day=DAY)
        provisional = {
            "placement": snapshot(ProvisionalPlacementDay, FUNNEL),
            "sub": snapshot(ProvisionalPlacementSubDay, SUB),
            "campaign": snapshot(ProvisionalCampaignDay, CAMPAIGN),
        }  # fmt: skip
        with time_machine.travel(at(0, 30, day=DAY + datetime.timedelta(days=1)), tick=False):
            daily_run_execute(day=DAY)
        # then the nightly roll-ups equal the last provisional count, column by column
        assert snapshot(PlacementDayStats, FUNNEL) == provisional["placement"]
        assert snapshot(PlacementSubDayStats, SUB) == provisional["sub"]
        assert snapshot(CampaignDayStats, CAMPAIGN) == provisional["campaign"]
        final = PlacementDayStats.objects.get(day=DAY)
        assert (final.clicks, final.valid_clicks, final.duplicate_clicks) == (32, 27, 2)
        assert (final.ip_cap_clicks, final.orders) == (2, 2)
        # and every click counted at noon kept its noon verdict (verdicts look backwards)
        now = dict(Click.objects.filter(pk__in=noon_verdicts).values_list("id", "verdict"))
        assert now == noon_verdicts
        # and the nightly figures replaced the provisional ones
        assert not ProvisionalPlacementDay.objects.exists()
        assert not ProvisionalPlacementSubDay.objects.exists()
        assert not ProvisionalCampaignDay.objects.exists()
        assert not ProvisionalRun.objects.exists()

    def test_a_block_rule_added_later_in_the_day_is_where_verdicts_differ(self, tenant, world):
        # given a click counted valid at noon
        early = clicks(tenant, world, [at(9)], ip="203.0.113.66")[0]
        clicks(tenant, world, [at(9, 5)])
        with time_machine.travel(at(12), tick=False):
            provisional_rollup_day(day=DAY)
        assert ProvisionalPlacementDay.objects.get().valid_clicks == 2
        # when risk blocks its address in the afternoon
        BlockRuleFactory(tenant=tenant, kind="ip_range", value="203.0.113.0/24")
        daily_run_execute(day=DAY)
        # then the nightly run, which recounts the whole day, blocks it
        early.refresh_from_db()
        assert early.verdict == "blocked"
        assert PlacementDayStats.objects.get().valid_clicks == 1

    def test_a_rerun_counts_the_same(self, tenant, world):
        morning(tenant, world)
        first = provisional_rollup_day(day=DAY)
        again = provisional_rollup_day(day=DAY)
        assert {k: v for k, v in again.items() if k != "reclassified"} == {
            k: v for k, v in first.items() if k != "reclassified"
        }
        assert again["reclassified"] == 0  # nothing changed: no click row was written again
        assert ProvisionalPlacementDay.objects.count() == 1

    def test_a_closed_day_is_never_counted_again(self, tenant, world):
        morning(tenant, world)
        daily_run_execute(day=DAY)
        assert provisional_rollup_day(day=DAY) is None
        assert not ProvisionalPlacementDay.objects.exists()
        assert not ProvisionalRun.objects.exists()


class TestBeat:
    def test_due_days_are_today_and_an_unclosed_yesterday_counted_before_its_end(self, tenant):
        today = DAY + datetime.timedelta(days=1)
        with time_machine.travel(at(0, 10, day=today), tick=False):
            assert provisional_days_due() == [today]
            ProvisionalRun.objects.create(tenant=tenant, day=DAY, counted_at=at(23, 55))
            assert provisional_days_due() == [DAY, today]
            ProvisionalRun.objects.filter(day=DAY).update(counted_at=at(0, 5, day=today))
            assert provisional_days_due() == [today]

    def test_the_task_counts_today_in_the_tenants_zone(self, tenant, world):
        clicks(tenant, world, [at(9), at(9, 1)])
        with time_machine.travel(at(9, 5), tick=False):
            done = provisional_rollup_due_task.delay(tenant_id=tenant.pk).get()
        assert done[DAY.isoformat()]["clicks"] == 2
        run = ProvisionalRun.objects.get(day=DAY)
        assert run.counted_at == at(9, 5)


class TestReport:
    def test_todays_rows_say_provisional_with_the_guarantee_so_far(self, tenant, world):
        clicks(tenant, world, [at(9, m) for m in range(30)])
        with time_machine.travel(at(9, 45), tick=False):
            provisional_rollup_day(day=DAY)
            key = issue_key(world["placement"].site.affiliate)
            response = client_for(tenant).get(
                "/api/v1/reports/daily",
                {"from": DAY.isoformat(), "to": DAY.isoformat()},
                **bearer(key),
            )
        assert response.status_code == 200
        (row,) = response.json()["results"]
        assert (row["date"], row["clicks"], row["valid_clicks"]) == ("2026-03-02", 30, 30)
        assert row["provisional"] is True
        # rule 1 on the clicks so far: 30 x 0.10 = 3.00, topped up to the 500.00 guarantee
        assert row["earnings"]["clicks"] == "3.00"
        assert row["earnings"]["guarantee_topup"] == "497.00"
        assert row["earnings"]["total"] == "500.00"
