"""``/reports/daily`` pages its keys in SQL (issue 19): every page equals the same slice of
``daily_report``'s rows (which builds the whole range), with or without ``by=sub``, with
guaranteed days without clicks and a provisional day, and a page costs the same queries at any
range or page."""

import datetime
import itertools
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.commissions.selectors_reports import DailyReportRows, daily_report
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.commissions.factories import CommissionFactory, DailyEarningFactory
from tests.conftest import client_for
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory
from tests.tracking.factories import (
    PlacementDayStatsFactory,
    PlacementSubDayStatsFactory,
    ProvisionalPlacementDayFactory,
    ProvisionalPlacementSubDayFactory,
    ProvisionalRunFactory,
)

pytestmark = pytest.mark.django_db

D = datetime.date
FIRST, LAST = D(2026, 3, 1), D(2026, 3, 6)
PROVISIONAL_DAY = D(2026, 3, 6)


def _world(tenant, days=5, placements_per_site=3, prefix="", provisional=True):
    """Two sites of one webmaster (codes that sort differently by case and code point), days
    with traffic, a guaranteed day without clicks, commissions (one reversed) and a
    provisional last day; another webmaster's rows that must never show."""
    webmaster = AffiliateFactory(tenant=tenant)
    placements = []
    for site_name in ("Beta", "Alpha"):
        site = SiteFactory(tenant=tenant, affiliate=webmaster, name=site_name)
        for code in ("b-2", "B-1", "a_3")[:placements_per_site]:
            code = f"{prefix}{code}{site_name}"
            placement = PlacementFactory(tenant=tenant, site=site, code=code)
            ContractFactory(tenant=tenant, placement=placement)
            placements.append(placement)
    for n, (placement, day) in enumerate(
        itertools.product(placements, [FIRST + datetime.timedelta(days=i) for i in range(days)])
    ):
        if n % 4 == 3:  # a guaranteed day without a click: earnings, no roll-up
            DailyEarningFactory(
                tenant=tenant,
                placement=placement,
                day=day,
                valid_clicks=0,
                click_income=Decimal("0.00"),
                guarantee_topup=Decimal("500.00"),
                total=Decimal("500.00"),
            )
            continue
        valid = 100 + n * 37
        PlacementDayStatsFactory(
            tenant=tenant,
            placement=placement,
            day=day,
            clicks=valid + 11,
            valid_clicks=valid,
            bot_clicks=11,
            landings=valid - 3,
            registrations=n % 5,
            orders=n % 3,
        )
        for sub, share in (("mail", 1), ("", 2), ("Tw", 3)):
            PlacementSubDayStatsFactory(
                tenant=tenant,
                placement=placement,
                day=day,
                sub=sub,
                clicks=valid * share // 6 + 1,
                valid_clicks=valid * share // 6,
                landings=valid * share // 6,
                registrations=share,
                orders=share % 2,
            )
        income = (Decimal(valid) * Decimal("0.10")).quantize(Decimal("0.01"))
        DailyEarningFactory(
            tenant=tenant,
            placement=placement,
            day=day,
            valid_clicks=valid,
            click_income=income,
            guarantee_topup=Decimal("500.00") - income,
            total=Decimal("500.00"),
        )
        common = {"tenant": tenant, "affiliate": webmaster, "placement": placement, "day": day}
        CommissionFactory(**common, event="registration", amount=Decimal("1.00"))
        CommissionFactory(**common, event="order", amount=Decimal("2.35"))
        if n % 2:
            CommissionFactory(
                **common,
                event="order",
                amount=Decimal("2.00"),
                status="reversed",
                reversed_amount=Decimal("2.00"),
            )
    # the last day is not closed yet: provisional rows for some placements, none for others
    if provisional:
        ProvisionalRunFactory(tenant=tenant, day=PROVISIONAL_DAY)
    for placement in placements[:2]:
        ProvisionalPlacementDayFactory(
            tenant=tenant, placement=placement, day=PROVISIONAL_DAY, clicks=40, valid_clicks=30
        )
        ProvisionalPlacementSubDayFactory(
            tenant=tenant,
            placement=placement,
            day=PROVISIONAL_DAY,
            sub="mail",
            clicks=40,
            valid_clicks=30,
        )
    # someone else's traffic on the same days
    PlacementDayStatsFactory(tenant=tenant, day=FIRST)
    return webmaster


def _pages(rows_of, size):
    rows, start = [], 0
    while True:
        page = rows_of[start : start + size]
        if not page:
            return rows
        rows += page
        start += size


@pytest.mark.parametrize("by_sub", [False, True], ids=["placement", "sub"])
def test_every_page_is_the_same_slice_of_the_whole_report(tenant, by_sub):
    # given a range with traffic, guarantees and a provisional day
    webmaster = _world(tenant)
    # when the whole range is built at once and paged in SQL
    whole = daily_report(affiliate=webmaster, date_from=FIRST, date_to=LAST, by_sub=by_sub)
    paged = DailyReportRows(affiliate=webmaster, date_from=FIRST, date_to=LAST, by_sub=by_sub)
    # then the count and every page match, row for row, to the cent
    assert paged.count() == len(whole) > 20
    for size in (1, 7, 50):
        assert _pages(paged, size) == whole
    assert any(row["provisional"] for row in whole)
    if not by_sub:
        assert any(row["clicks"] == 0 and row["earnings"]["total"] for row in whole)


def test_site_and_placement_filters_page_the_same_rows(tenant):
    webmaster = _world(tenant)
    placement = webmaster.sites.order_by("name").first().placements.order_by("code").first()
    for filters in ({"site": placement.site}, {"placement": placement}):
        whole = daily_report(affiliate=webmaster, date_from=FIRST, date_to=LAST, **filters)
        paged = DailyReportRows(affiliate=webmaster, date_from=FIRST, date_to=LAST, **filters)
        assert _pages(paged, 4) == whole
        assert whole


def test_a_page_costs_the_same_queries_for_a_short_and_a_long_range(tenant):
    # given a webmaster with 2 placement-days and one with 18 times more
    small = _world(tenant, days=1, placements_per_site=1)
    big = _world(tenant, days=5, placements_per_site=3, prefix="x", provisional=False)
    counts = []
    for webmaster in (small, big):
        with CaptureQueriesContext(connection) as captured:
            rows = DailyReportRows(affiliate=webmaster, date_from=FIRST, date_to=LAST)
            rows.count()
            page = rows[0:50]
        counts.append(len(captured))
        assert page
    # then both pages took the same number of queries
    assert counts[0] == counts[1]


def test_the_api_pages_in_sql_with_the_same_shape(tenant):
    webmaster = _world(tenant)
    whole = daily_report(affiliate=webmaster, date_from=FIRST, date_to=LAST)
    key = issue_key(webmaster)
    client = client_for(tenant)
    query = {"from": FIRST.isoformat(), "to": LAST.isoformat(), "page_size": 10, "page": 2}
    body = client.get("/api/v1/reports/daily", query, **bearer(key)).json()
    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == len(whole)
    assert body["next"]
    assert body["previous"]
    got = [(r["date"], r["site"], r["placement"], r["earnings"]["total"]) for r in body["results"]]
    want = [
        (r["date"].isoformat(), r["site"], r["placement"], str(r["earnings"]["total"]))
        for r in whole[10:20]
    ]
    assert got == want
    assert {"provisional", "valid_clicks", "invalid_clicks"} <= set(body["results"][0])
