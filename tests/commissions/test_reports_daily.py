"""``GET /api/v1/reports/daily`` and ``/settlements`` (API.md, webmaster keys)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.commissions.models import Commission
from apps.commissions.selectors_reports import daily_report
from apps.commissions.services.statements import statements_generate
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.commissions.factories import CommissionFactory, DailyEarningFactory
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory, SiteFactory
from tests.tracking.factories import PlacementDayStatsFactory, PlacementSubDayStatsFactory

pytestmark = pytest.mark.django_db

D = datetime.date
REPORT = "/api/v1/reports/daily"


@pytest.fixture
def world(tenant):
    """One webmaster, one placement: March 2 with traffic, March 3 with only a guarantee."""
    webmaster = AffiliateFactory(tenant=tenant)
    site = SiteFactory(tenant=tenant, affiliate=webmaster, name="Deals Daily")
    placement = PlacementFactory(tenant=tenant, site=site, code="BR-1")
    PlacementDayStatsFactory(
        tenant=tenant,
        placement=placement,
        day=D(2026, 3, 2),
        clicks=3200,
        valid_clicks=3000,
        bot_clicks=120,
        duplicate_clicks=50,
        ip_cap_clicks=20,
        self_clicks=10,
        landings=2900,
        registrations=100,
        orders=51,
    )
    for sub, clicks, valid, regs, orders in (
        ("mail", 1200, 1000, 40, 20),
        ("tw", 2000, 2000, 60, 31),
    ):
        PlacementSubDayStatsFactory(
            tenant=tenant,
            placement=placement,
            day=D(2026, 3, 2),
            sub=sub,
            clicks=clicks,
            valid_clicks=valid,
            landings=valid - 50,
            registrations=regs,
            orders=orders,
        )
    DailyEarningFactory(
        tenant=tenant,
        placement=placement,
        day=D(2026, 3, 2),
        click_income=Decimal("300.00"),
        guarantee_topup=Decimal("200.00"),
        registration_commission=Decimal("100.00"),
        order_commission=Decimal("102.00"),
        total=Decimal("702.00"),
    )
    DailyEarningFactory(
        tenant=tenant,
        placement=placement,
        day=D(2026, 3, 3),
        valid_clicks=0,
        click_income=Decimal("0.00"),
        guarantee_topup=Decimal("500.00"),
        total=Decimal("500.00"),
    )
    common = {
        "tenant": tenant,
        "affiliate": webmaster,
        "placement": placement,
        "day": D(2026, 3, 2),
    }
    for _ in range(100):
        CommissionFactory(**common, event="registration", amount=Decimal("1.00"))
    for _ in range(50):
        CommissionFactory(**common, event="order", amount=Decimal("2.00"))
    # the 51st order was refunded: counted in orders, left out of earnings
    CommissionFactory(
        **common,
        event="order",
        amount=Decimal("2.00"),
        status="reversed",
        reversed_amount=Decimal("2.00"),
    )
    return {"webmaster": webmaster, "site": site, "placement": placement}


def _get(tenant, webmaster, **query):
    key = issue_key(webmaster)
    return client_for(tenant).get(REPORT, query, **bearer(key))


def test_report_rows_match_the_worked_numbers(tenant, world):
    response = _get(tenant, world["webmaster"], **{"from": "2026-03-01", "to": "2026-03-31"})
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    first, second = body["results"]
    assert first == {
        "date": "2026-03-02",
        "site": world["site"].pk,
        "site_name": "Deals Daily",
        "placement": "BR-1",
        "clicks": 3200,
        "valid_clicks": 3000,
        "invalid_clicks": 200,
        "invalid_by_reason": {
            "bot": 120,
            "duplicate": 50,
            "ip_cap": 20,
            "self": 10,
            "blocked": 0,
        },
        "landings": 2900,
        "lost_after_jump": 100,
        "registrations": 100,
        "orders": 51,
        "earnings": {
            "clicks": "300.00",
            "guarantee_topup": "200.00",
            "registrations": "100.00",
            "orders": "100.00",
            "total": "700.00",
        },
        # a day the nightly run closed (issue 15: today's rows say true)
        "provisional": False,
    }
    assert (second["date"], second["clicks"], second["earnings"]["total"]) == (
        "2026-03-03",
        0,
        "500.00",
    )


def test_report_by_sub_splits_earnings_to_the_cent(tenant, world):
    response = _get(
        tenant, world["webmaster"], **{"from": "2026-03-02", "to": "2026-03-02", "by": "sub"}
    )
    rows = response.json()["results"]
    assert [(r["sub"], r["clicks"], r["valid_clicks"]) for r in rows] == [
        ("mail", 1200, 1000),
        ("tw", 2000, 2000),
    ]
    assert rows[0]["earnings"] == {
        "clicks": "100.00",
        "guarantee_topup": "66.67",
        "registrations": "40.00",
        "orders": "39.22",
        "total": "245.89",
    }
    total = sum(Decimal(r["earnings"]["total"]) for r in rows)
    assert total == Decimal("700.00")


def test_report_filters_by_site_and_placement(tenant, world):
    other_placement = PlacementFactory(tenant=tenant, site=world["site"], code="BL-2")
    PlacementDayStatsFactory(tenant=tenant, placement=other_placement, day=D(2026, 3, 2))
    webmaster = world["webmaster"]
    everything = _get(tenant, webmaster, **{"from": "2026-03-02", "to": "2026-03-02"})
    assert everything.json()["count"] == 2
    by_code = _get(
        tenant, webmaster, **{"from": "2026-03-02", "to": "2026-03-02", "placement": "BL-2"}
    )
    assert [r["placement"] for r in by_code.json()["results"]] == ["BL-2"]
    by_site = _get(
        tenant, webmaster, **{"from": "2026-03-02", "to": "2026-03-02", "site": world["site"].pk}
    )
    assert by_site.json()["count"] == 2


def test_report_validation(tenant, world):
    webmaster = world["webmaster"]
    missing = _get(tenant, webmaster, **{"from": "2026-03-01"})
    assert missing.status_code == 400
    assert "to" in missing.json()["extra"]["fields"]
    too_long = _get(tenant, webmaster, **{"from": "2025-01-01", "to": "2026-03-01"})
    assert too_long.status_code == 400
    backwards = _get(tenant, webmaster, **{"from": "2026-03-05", "to": "2026-03-01"})
    assert backwards.status_code == 400
    assert (
        _get(tenant, webmaster, **{"from": "2026-03-01", "to": "2026-03-02", "by": "x"}).status_code
        == 400
    )


def test_report_needs_scope(tenant, world):
    key = issue_key(world["webmaster"], scopes=["sites:read"])
    response = client_for(tenant).get(
        REPORT, {"from": "2026-03-01", "to": "2026-03-02"}, **bearer(key)
    )
    assert response.status_code == 403


def test_someone_elses_site_or_placement_is_404(tenant, other_tenant, world):
    stranger = AffiliateFactory(tenant=tenant)
    query = {"from": "2026-03-01", "to": "2026-03-31"}
    assert _get(tenant, stranger, **query, placement="BR-1").status_code == 404
    assert _get(tenant, stranger, **query, site=world["site"].pk).status_code == 404
    assert _get(tenant, stranger, **query).json()["count"] == 0
    foreign = AffiliateFactory(tenant=other_tenant)
    assert _get(other_tenant, foreign, **query, placement="BR-1").status_code == 404


def test_report_query_count_is_constant(tenant, world):
    with CaptureQueriesContext(connection) as one:
        daily_report(affiliate=world["webmaster"], date_from=D(2026, 3, 1), date_to=D(2026, 3, 31))
    for day in range(4, 20):
        placement = PlacementFactory(tenant=tenant, site=world["site"])
        PlacementDayStatsFactory(tenant=tenant, placement=placement, day=D(2026, 3, day))
    with CaptureQueriesContext(connection) as many:
        rows = daily_report(
            affiliate=world["webmaster"], date_from=D(2026, 3, 1), date_to=D(2026, 3, 31)
        )
    assert len(rows) == 18
    # earnings, commissions, orders on invalid clicks, the roll-up, and which days are still
    # provisional (issue 15)
    assert len(many.captured_queries) == len(one.captured_queries) == 5


def test_settlements_list_and_detail(tenant, other_tenant, world):
    webmaster = world["webmaster"]
    Commission.objects.filter(status="pending").update(status="approved")
    statements_generate(period="2026-03")
    key = issue_key(webmaster)
    client = client_for(tenant)
    listing = client.get("/api/v1/settlements", **bearer(key)).json()
    assert listing["count"] == 1
    (statement,) = listing["results"]
    assert (statement["period"], statement["status"], statement["total"]) == (
        "2026-03",
        "draft",
        "1200.00",
    )
    kinds = sorted({line["kind"] for line in statement["lines"]})
    assert kinds == ["commission", "earning"]
    detail = client.get(f"/api/v1/settlements/{statement['id']}", **bearer(key))
    assert detail.json()["total"] == "1200.00"
    stranger = issue_key(AffiliateFactory(tenant=tenant))
    assert (
        client.get(f"/api/v1/settlements/{statement['id']}", **bearer(stranger)).status_code == 404
    )
    assert client.get("/api/v1/settlements", **bearer(stranger)).json()["count"] == 0
