"""Budgets that stop at once: provisional spend kept with each charged event, pacing over the
day, campaign.budget_exhausted once per campaign-day (issue 12)."""

import datetime
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine

from apps.core import events
from apps.tenants.scope import tenant_scope
from apps.tracking import budget, propagation
from apps.tracking.models import BudgetExhaustion, CampaignSpend
from tests.campaigns.factories import CampaignFactory, CampaignProductFactory
from tests.conftest import client_for
from tests.tracking.conftest import make_shop

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 3, 2)
HEARD: list[events.DomainEvent] = []


def hear(event: events.DomainEvent) -> None:
    HEARD.append(event)


@pytest.fixture
def heard(monkeypatch):
    HEARD.clear()
    monkeypatch.setattr(events, "_sinks", [f"{__name__}.hear"])
    return HEARD


def at(hour, minute=0, day=DAY):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


@pytest.fixture
def shop(tenant):
    shop = make_shop(tenant)
    # a floor of 9.90: a lone CPM 10.00 bid clears at 10.00, 0.01 per impression
    shop.placement.floor_cpm = Decimal("9.90")
    with tenant_scope(tenant):
        shop.placement.save()
    return shop


def plan(shop, **fields):
    campaign = CampaignFactory(tenant=shop.tenant, merchant=shop.merchant, **fields)
    CampaignProductFactory(tenant=shop.tenant, campaign=campaign, product=shop.product)
    return campaign


def path_of(url):
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}"


def serve_and_render(client, code, limit):
    """Serve and render until nothing is served (or ``limit``): how many were shown."""
    for shown in range(limit):
        response = client.get(f"/serve/{code}")
        if response.status_code == 204:
            return shown
        assert response.status_code == 200
        client.post(response.json()["report_url"])
    return limit


def test_a_cpm_budget_of_5_at_10_stops_after_500_rendered_and_serves_next_day(tenant, shop, heard):
    campaign = plan(shop, type="cpm", bid=Decimal("10.0000"), daily_budget=Decimal("5.00"))
    client = client_for(tenant)
    with time_machine.travel(at(23, 0), tick=False):  # late: pacing lets the whole budget go
        shown = serve_and_render(client, shop.placement.code, limit=600)
        assert 495 <= shown <= 505
        assert client.get(f"/serve/{shop.placement.code}").status_code == 204
        spent = sum(CampaignSpend.objects.filter(day=DAY).values_list("amount", flat=True))
        assert spent == Decimal("5.00")
        propagation.tick(force=True)
        propagation.tick(force=True)
    assert [(e.type, e.data["campaign"], e.data["day"]) for e in heard] == [
        ("campaign.budget_exhausted", campaign.pk, "2026-03-02")
    ]
    assert heard[0].merchant_id == shop.merchant.pk
    with time_machine.travel(at(0, 30, DAY + datetime.timedelta(days=1)), tick=False):
        assert client.get(f"/serve/{shop.placement.code}").status_code == 200
    assert BudgetExhaustion.objects.filter(campaign=campaign).count() == 1


def test_another_process_spending_the_budget_stops_this_one_at_its_next_poll(tenant, shop):
    campaign = plan(shop, type="cpm", bid=Decimal("10.0000"), daily_budget=Decimal("5.00"))
    client = client_for(tenant)
    with time_machine.travel(at(23, 0), tick=False):
        assert client.get(f"/serve/{shop.placement.code}").status_code == 200
        # another worker's slot reaches the budget
        CampaignSpend.objects.create(
            tenant=tenant, campaign=campaign, day=DAY, slot=budget.SLOTS - 1, amount=5
        )
        propagation.tick()  # what this process's thread does every 0.5 s
        assert client.get(f"/serve/{shop.placement.code}").status_code == 204


def test_pacing_holds_spend_to_the_days_elapsed_share_plus_slack(tenant, shop):
    plan(shop, type="cpm", bid=Decimal("10.0000"), daily_budget=Decimal("1.00"))
    client = client_for(tenant)
    with time_machine.travel(at(6, 0), tick=False):  # a quarter of the day: 25% + 10% of 1.00
        assert serve_and_render(client, shop.placement.code, limit=100) == 35
    with time_machine.travel(at(12, 0), tick=False):  # half: up to 0.60
        assert serve_and_render(client, shop.placement.code, limit=100) == 25


def test_cpc_clicks_spend_the_budget_at_once(tenant, shop):
    # CPC 1.00 at the new-plan CTR of 1%: eCPM 10, clearing at 10.00 -> 1.00 a click
    plan(shop, type="cpc", bid=Decimal("1.0000"), daily_budget=Decimal("3.00"))
    client = client_for(tenant)
    with time_machine.travel(at(23, 0), tick=False):
        for _ in range(3):
            ad = client.get(f"/serve/{shop.placement.code}").json()["ad"]
            assert client.get(path_of(ad["click_url"])).status_code == 302
        assert client.get(f"/serve/{shop.placement.code}").status_code == 204


def test_a_charged_render_and_a_charged_click_are_one_round_trip_each(
    tenant, shop, settings, django_assert_num_queries
):
    settings.TENANT_HOST_CACHE_SECONDS = 60
    plan(shop, type="cpc", bid=Decimal("1.0000"), daily_budget=Decimal("30.00"))
    client = client_for(tenant)
    with time_machine.travel(at(23, 0), tick=False):
        ad = client.get(f"/serve/{shop.placement.code}").json()
        with django_assert_num_queries(1):
            client.post(ad["report_url"])
        with django_assert_num_queries(1) as captured:
            assert client.get(path_of(ad["ad"]["click_url"])).status_code == 302
    sql = captured.captured_queries[0]["sql"]
    assert 'INSERT INTO "tracking_click"' in sql
    assert "INSERT INTO tracking_campaignspend" in sql
