"""The funnel's invalid reasons include ``blocked`` (issues 13, 14): a click the risk desk's block
list caught shows as blocked in the funnel row, ``/reports/daily``, the portal page and its CSV,
and on every row ``clicks = valid_clicks + sum(invalid_by_reason)``."""

import csv
import datetime
import io
import re
from zoneinfo import ZoneInfo

import pytest

from apps.commissions.selectors_reports import daily_report
from apps.tenants.scope import tenant_scope
from apps.tracking.funnel import INVALID_REASONS, funnel_adds_up, funnel_row
from apps.tracking.models import ClickVerdict, PlacementDayStats
from apps.tracking.services import traffic_rollup_day
from apps.tracking.services.blocklist import block_rule_add
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory, SiteFactory
from tests.tenants.factories import UserFactory
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 3, 2)
NOON = datetime.datetime(2026, 3, 2, 12, 0, tzinfo=SHANGHAI)
RANGE = {"from": "2026-03-01", "to": "2026-03-31"}
BROWSER = "Mozilla/5.0 (X11; Linux) Chrome/120"
#: (ip, user agent) -> the verdict run_daily gives once 198.51.100.0/24 is blocked
CLICKS = [
    ("192.0.2.1", BROWSER),  # valid
    ("192.0.2.2", "curl/8.0"),  # bot (bot is decided before the block list)
    ("198.51.100.4", BROWSER),  # blocked
    ("198.51.100.5", BROWSER),  # blocked
]
WANTED = {"bot": 1, "duplicate": 0, "ip_cap": 0, "self": 0, "blocked": 2}


def test_every_invalid_verdict_is_a_reason():
    # a verdict run_daily can give but the funnel does not list would make the reasons short
    invalid = {v for v in ClickVerdict.values if v not in (ClickVerdict.VALID, "")}
    assert set(INVALID_REASONS) == invalid


def _blocked_day(tenant, staff_user, *, email):
    user = UserFactory(email=email)
    webmaster = AffiliateFactory(tenant=tenant, user=user, email=email)
    site = SiteFactory(tenant=tenant, affiliate=webmaster, name="Blocked Deals")
    placement = PlacementFactory(tenant=tenant, site=site, code="BLK-1")
    for minute, (ip, agent) in enumerate(CLICKS):
        ClickFactory(
            tenant=tenant,
            placement=placement,
            ip=ip,
            user_agent=agent,
            clicked_at=NOON + datetime.timedelta(minutes=minute),
        )
    with tenant_scope(tenant):
        block_rule_add(
            kind="ip_range", value="198.51.100.0/24", reason="click farm", actor=staff_user
        )
        traffic_rollup_day(day=DAY)
    return webmaster, placement


@pytest.fixture
def blocked_day(tenant, staff_user):
    return _blocked_day(tenant, staff_user, email="blocked@example.net")


def test_blocked_clicks_are_a_reason_of_the_funnel_row(tenant, blocked_day):
    _, placement = blocked_day
    row = funnel_row(PlacementDayStats.objects.get(placement=placement, day=DAY))
    assert (row["clicks"], row["valid_clicks"], row["invalid_clicks"]) == (4, 1, 3)
    assert row["invalid_by_reason"] == WANTED
    assert funnel_adds_up(row)


def test_blocked_clicks_in_the_daily_report_api(tenant, blocked_day):
    webmaster, _ = blocked_day
    response = client_for(tenant).get(
        "/api/v1/reports/daily", RANGE, **bearer(issue_key(webmaster))
    )
    assert response.status_code == 200
    (row,) = response.json()["results"]
    assert row["invalid_by_reason"] == WANTED
    assert row["clicks"] == row["valid_clicks"] + sum(row["invalid_by_reason"].values())
    rows = daily_report(affiliate=webmaster, date_from=DAY, date_to=DAY)
    assert all(funnel_adds_up(r) for r in rows)


def test_blocked_clicks_on_the_earnings_page_and_its_csv(tenant, blocked_day):
    webmaster, _ = blocked_day
    client = client_for(tenant, webmaster.user)
    query = "?from=2026-03-01&to=2026-03-31"
    page = client.get("/webmaster/earnings/" + query).content.decode()
    assert "bot · dup · cap · self · block" in page
    cells = re.search(r'<table class="money-funnel".*?<tbody>(.*?)</tbody>', page, re.S).group(1)
    # the invalid cell: the total, then one count per reason in INVALID_REASONS' order
    assert '<td class="num">3 <span class="muted small">1 · 0 · 0 · 0 · 2</span></td>' in cells
    response = client.get("/webmaster/earnings.csv" + query)
    rows = list(csv.DictReader(io.StringIO(response.content.decode())))
    (row,) = rows
    assert {reason: int(row[f"invalid_{reason}"]) for reason in INVALID_REASONS} == WANTED
    for row in rows:
        reasons = sum(int(row[f"invalid_{reason}"]) for reason in INVALID_REASONS)
        assert int(row["clicks"]) == int(row["valid_clicks"]) + reasons


def test_another_tenants_blocked_clicks_stay_there(tenant, other_tenant, staff_user):
    # given: a blocked day in the other tenant only
    _blocked_day(other_tenant, None, email="other-blocked@example.net")
    webmaster = AffiliateFactory(tenant=tenant)
    # then: this tenant's report has no row of it
    response = client_for(tenant).get(
        "/api/v1/reports/daily", RANGE, **bearer(issue_key(webmaster))
    )
    assert response.status_code == 200
    assert response.json()["results"] == []
