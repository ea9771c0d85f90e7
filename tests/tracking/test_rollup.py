"""run_daily's roll-ups: spend (CPM, CPC, the daily budget), conversions (refunds after a run
show on the rerun), the DailyRun record, and the Celery tasks."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from apps.core import pipeline
from apps.tenants.scope import tenant_scope
from apps.tracking.errors import ConversionError, ConversionStateError
from apps.tracking.models import (
    CampaignDayStats,
    Click,
    DailyRun,
    Impression,
    PlacementDayStats,
)
from apps.tracking.services import conversion_status_set, daily_run_execute, traffic_rollup_day
from apps.tracking.tasks import run_daily_due_task, run_daily_task
from tests.campaigns.factories import CampaignFactory, ProductFactory
from tests.sites.factories import PlacementFactory
from tests.tracking.factories import ClickFactory, ConversionFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 3, 2)
NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)


def impressions(tenant, *, placement, campaign, product, count, price_cpm, cpc_price=None,
                rendered=True, served_at=NOON):  # fmt: skip
    with tenant_scope(tenant):
        return Impression.objects.bulk_create(
            Impression(
                tenant=tenant, placement=placement, campaign=campaign, product=product,
                merchant=campaign.merchant, served_at=served_at, price_cpm=price_cpm,
                cpc_price=cpc_price, rendered_at=served_at if rendered else None,
            )
            for _ in range(count)
        )  # fmt: skip


def line(tenant, campaign, product=None):
    with tenant_scope(tenant):
        return CampaignDayStats.objects.get(campaign=campaign, product=product, day=DAY)


def run(tenant, day=DAY):
    with tenant_scope(tenant):
        return traffic_rollup_day(day=day)


class TestSpend:
    def test_cpm_pays_rendered_impressions_at_the_clearing_price(self, tenant):
        placement = PlacementFactory(tenant=tenant)
        campaign = CampaignFactory(tenant=tenant, type="cpm")
        product = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        common = {"placement": placement, "campaign": campaign, "product": product}
        impressions(tenant, **common, count=1000, price_cpm=Decimal("15.1000"))
        impressions(tenant, **common, count=7, price_cpm=Decimal("15.1000"), rendered=False)
        # served the day before, in Shanghai (23:30 on 1 March): not this day's
        impressions(tenant, **common, count=5, price_cpm=Decimal("15.1000"),
                    served_at=datetime.datetime(2026, 3, 1, 23, 30, tzinfo=SHANGHAI))  # fmt: skip
        counts = run(tenant)
        stats = line(tenant, campaign, product)
        assert (stats.impressions, stats.spend) == (1000, Decimal("15.10"))
        assert stats.merchant_id == campaign.merchant_id
        assert counts["spend_cents"] == 1510
        assert PlacementDayStats.objects.get(placement=placement).impressions == 1000

    def test_cpc_pays_one_valid_click_per_impression_at_its_cpc_price(self, tenant):
        placement = PlacementFactory(tenant=tenant)
        campaign = CampaignFactory(tenant=tenant, type="cpc", bid=Decimal("0.8000"))
        product = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        served = impressions(
            tenant, placement=placement, campaign=campaign, product=product, count=6,
            price_cpm=Decimal("5.0000"), cpc_price=Decimal("0.5000"),
        )  # fmt: skip

        def click(impression, ip, ua="Mozilla/5.0 Firefox/125.0", **extra):
            return ClickFactory(tenant=tenant, placement=placement, product=product,
                                campaign=campaign, impression_id=impression.impression_id,
                                ip=ip, user_agent=ua, clicked_at=NOON, **extra)  # fmt: skip

        for n, impression in enumerate(served[:3]):
            click(impression, f"198.51.100.{n + 1}")  # three valid clicks: 3 charges
        click(served[3], "198.51.100.10")
        click(served[3], "198.51.100.11")  # a second valid click on one impression: no charge
        click(served[4], "198.51.100.12", ua="Googlebot/2.1")  # a bot: no charge
        # a click that names an impression of another campaign is not charged to either
        other = CampaignFactory(tenant=tenant, type="cpc", merchant=campaign.merchant)
        ClickFactory(tenant=tenant, placement=placement, product=product, campaign=other,
                     impression_id=served[5].impression_id, ip="198.51.100.20",
                     clicked_at=NOON)  # fmt: skip
        run(tenant)
        stats = line(tenant, campaign, product)
        # CPC impressions are not charged per mille
        assert (stats.impressions, stats.clicks, stats.valid_clicks) == (6, 6, 5)
        assert stats.spend == Decimal("2.00")
        assert line(tenant, other, product).spend == Decimal("0.00")

    def test_spend_is_capped_at_the_daily_budget_shared_over_products(self, tenant):
        placement = PlacementFactory(tenant=tenant)
        campaign = CampaignFactory(tenant=tenant, type="cpm", daily_budget=Decimal("1.00"))
        first = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        second = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        impressions(
            tenant,
            placement=placement,
            campaign=campaign,
            product=first,
            count=80,
            price_cpm=Decimal("10.0000"),
        )  # fmt: skip  (0.80)
        impressions(
            tenant,
            placement=placement,
            campaign=campaign,
            product=second,
            count=40,
            price_cpm=Decimal("10.0000"),
        )  # fmt: skip  (0.40)
        run(tenant)
        # 1.00 shared 2:1 by largest remainder: 66.67 -> 67 cents, 33.33 -> 33 cents
        assert line(tenant, campaign, first).spend == Decimal("0.67")
        assert line(tenant, campaign, second).spend == Decimal("0.33")

    def test_under_budget_each_line_is_rounded_once_half_up(self, tenant):
        placement = PlacementFactory(tenant=tenant)
        campaign = CampaignFactory(tenant=tenant, type="cpm")
        product = ProductFactory(tenant=tenant, merchant=campaign.merchant)
        impressions(
            tenant,
            placement=placement,
            campaign=campaign,
            product=product,
            count=3,
            price_cpm=Decimal("1.5000"),
        )  # fmt: skip  (0.0045 -> 0.00)
        impressions(
            tenant,
            placement=placement,
            campaign=campaign,
            product=product,
            count=1,
            price_cpm=Decimal("0.5000"),
        )  # fmt: skip  (+0.0005 = 0.0050 -> 0.01)
        run(tenant)
        assert line(tenant, campaign, product).spend == Decimal("0.01")


class TestConversionsInRollups:
    def test_a_refund_after_run_daily_shows_on_the_rerun(self, tenant):
        click = ClickFactory(tenant=tenant, clicked_at=NOON - datetime.timedelta(hours=2))
        campaign = CampaignFactory(tenant=tenant, merchant=click.merchant)
        order = ConversionFactory(tenant=tenant, click=click, campaign=campaign,
                                  amount=Decimal("200.00"), occurred_at=NOON, day=DAY)  # fmt: skip
        ConversionFactory(tenant=tenant, click=click, campaign=campaign, type="registration",
                          amount=None, occurred_at=NOON, day=DAY)  # fmt: skip
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())

        def funnel():
            with tenant_scope(tenant):
                stats = PlacementDayStats.objects.get(placement=click.placement, day=DAY)
                line = CampaignDayStats.objects.get(campaign=campaign, day=DAY)
            return (stats.registrations, stats.orders, stats.gmv, line.orders, line.gmv)

        assert funnel() == (1, 1, Decimal("200.00"), 1, Decimal("200.00"))

        conversion_status_set(conversion=order, status="refunded",
                              refund_amount=Decimal("50.00"), reason="returned")  # fmt: skip
        assert funnel() == (1, 1, Decimal("200.00"), 1, Decimal("200.00"))  # not until rerun
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())
        # a refunded order still counts as an order; its GMV is what was kept
        assert funnel() == (1, 1, Decimal("150.00"), 1, Decimal("150.00"))

        conversion_status_set(conversion=order, status="cancelled", reason="fraud")
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())
        assert funnel() == (1, 0, Decimal("0.00"), 0, Decimal("0.00"))

    def test_rows_of_a_day_without_data_any_more_are_deleted(self, tenant):
        click = ClickFactory(tenant=tenant, clicked_at=NOON)
        run(tenant)
        assert PlacementDayStats.objects.filter(day=DAY).count() == 1
        Click.objects.filter(pk=click.pk).update(clicked_at=NOON + datetime.timedelta(days=3))
        counts = run(tenant)
        assert counts["placement_rows_deleted"] == 1
        assert PlacementDayStats.objects.filter(day=DAY).count() == 0


class TestConversionStatus:
    @pytest.fixture
    def order(self, tenant, scoped):
        return ConversionFactory(tenant=tenant, amount=Decimal("200.00"))

    def test_partial_then_full_refund_and_repeats_are_no_ops(self, order):
        first = conversion_status_set(conversion=order, status="refunded", refund_amount="50.00")
        assert (first.status, first.refund_amount) == ("refunded", Decimal("50.00"))
        stamp = first.status_changed_at
        again = conversion_status_set(conversion=order, status="refunded", refund_amount="50.00")
        assert again.status_changed_at == stamp
        full = conversion_status_set(conversion=order, status="refunded")
        assert full.refund_amount == Decimal("200.00")

    @pytest.mark.parametrize("amount", ["200.01", "0", "-1", "1.005", "x"])
    def test_a_refund_must_be_within_the_amount(self, order, amount):
        with pytest.raises(ConversionError, match="refund_amount"):
            conversion_status_set(conversion=order, status="refunded", refund_amount=amount)
        order.refresh_from_db()
        assert (order.status, order.refund_amount) == ("pending", Decimal("0.00"))

    def test_a_refund_total_never_goes_down(self, order):
        conversion_status_set(conversion=order, status="refunded", refund_amount="80.00")
        with pytest.raises(ConversionError, match="cannot go down"):
            conversion_status_set(conversion=order, status="refunded", refund_amount="10.00")
        order.refresh_from_db()
        assert order.refund_amount == Decimal("80.00")

    def test_cancelled_is_final_and_confirming_twice_is_a_no_op(self, order):
        conversion_status_set(conversion=order, status="confirmed")
        conversion_status_set(conversion=order, status="confirmed")
        conversion_status_set(conversion=order, status="cancelled", reason="fraud")
        with pytest.raises(ConversionStateError):
            conversion_status_set(conversion=order, status="confirmed")
        order.refresh_from_db()
        assert (order.status, order.status_reason) == ("cancelled", "fraud")

    def test_registrations_are_not_refunded_and_reasons_are_checked(self, tenant, order):
        registration = ConversionFactory(tenant=tenant, type="registration", amount=None)
        with pytest.raises(ConversionError, match="only orders"):
            conversion_status_set(conversion=registration, status="refunded")
        with pytest.raises(ConversionError, match="reason"):
            conversion_status_set(conversion=order, status="cancelled", reason="bored")
        order.refresh_from_db()
        assert order.status == "pending"


class TestDailyRun:
    def test_the_command_records_the_run_and_its_counts(self, tenant, capsys):
        ClickFactory(tenant=tenant, clicked_at=NOON)
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())
        run_row = DailyRun.objects.get(day=DAY)
        assert run_row.status == "done"
        assert run_row.counts["tracking.rollup.clicks"] == 1
        assert run_row.counts["tracking.rollup.valid_clicks"] == 1
        assert "tracking.rollup.valid_clicks: 1" in capsys.readouterr().out

    def test_a_failing_step_rolls_the_day_back_and_is_recorded(self, tenant, monkeypatch):
        ClickFactory(tenant=tenant, clicked_at=NOON)
        steps = dict(pipeline._STEPS)
        steps["zz.broken"] = pipeline.DailyStep(
            99, "zz.broken", "tests.tracking.test_rollup.broken"
        )
        monkeypatch.setattr(pipeline, "_STEPS", steps)
        with pytest.raises(RuntimeError, match="disk on fire"):
            daily_run_execute(day=DAY)
        run_row = DailyRun.objects.get(day=DAY)
        assert not PlacementDayStats.objects.exists()
        assert Click.objects.get().verdict == ""
        assert (run_row.status, run_row.step) == ("failed", "zz.broken")
        assert "disk on fire" in run_row.error

    def test_the_task_runs_the_same_service(self, tenant):
        ClickFactory(tenant=tenant, clicked_at=NOON)
        counts = run_daily_task.delay(tenant_id=tenant.pk, day=DAY.isoformat()).get()
        assert counts["tracking.rollup.valid_clicks"] == 1
        assert DailyRun.objects.get(day=DAY).status == "done"

    def test_the_beat_runs_yesterday_once_and_reruns_days_with_refunds(self, tenant):
        click = ClickFactory(tenant=tenant, clicked_at=NOON)
        order = ConversionFactory(tenant=tenant, click=click, amount=Decimal("80.00"),
                                  occurred_at=NOON, day=DAY)  # fmt: skip
        with time_machine.travel(datetime.datetime(2026, 3, 3, 0, 30, tzinfo=SHANGHAI)):
            assert run_daily_due_task.delay(tenant_id=tenant.pk).get() == ["2026-03-02"]
            assert run_daily_due_task.delay(tenant_id=tenant.pk).get() == []
        with time_machine.travel(datetime.datetime(2026, 3, 4, 0, 30, tzinfo=SHANGHAI)):
            conversion_status_set(conversion=order, status="refunded")
            done = run_daily_due_task.delay(tenant_id=tenant.pk).get()
        assert done == ["2026-03-02", "2026-03-03"]
        assert PlacementDayStats.objects.get(day=DAY).gmv == Decimal("0.00")


def broken(*, day):
    raise RuntimeError("disk on fire")


class TestCrossTenant:
    def test_a_tenants_run_never_touches_another_tenants_rows(self, tenant, other_tenant):
        mine = ClickFactory(tenant=tenant, clicked_at=NOON)
        theirs = ClickFactory(tenant=other_tenant, clicked_at=NOON)
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())
        with tenant_scope(other_tenant):
            assert Click.objects.get(pk=theirs.pk).verdict == ""
            assert not PlacementDayStats.objects.exists()
        assert Click.objects.get(pk=mine.pk).verdict == "valid"
        assert PlacementDayStats.objects.count() == 1
