"""The webmaster portal's money pages: funnel, earnings chart data, weights, statements."""

import csv
import datetime
import io
import json
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.commissions.models import Statement
from apps.commissions.services.statements import statements_generate
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.factories import DailyEarningFactory
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory, SiteFactory
from tests.tenants.factories import UserFactory
from tests.tracking.factories import PlacementDayStatsFactory

pytestmark = pytest.mark.django_db

D = datetime.date
RANGE = "?from=2026-03-01&to=2026-03-31"


@pytest.fixture
def webmaster(tenant):
    user = UserFactory(email="money@example.net")
    return AffiliateFactory(tenant=tenant, user=user, email=user.email, name="Sunrise Deals")


@pytest.fixture
def client(tenant, webmaster):
    return client_for(tenant, webmaster.user)


@pytest.fixture
def traffic(tenant, webmaster):
    site = SiteFactory(tenant=tenant, affiliate=webmaster, name="Sunrise", weight=7)
    placement = PlacementFactory(tenant=tenant, site=site, code="SUN-BR")
    PlacementDayStatsFactory(
        tenant=tenant,
        placement=placement,
        day=D(2026, 3, 2),
        clicks=6300,
        valid_clicks=6000,
        bot_clicks=200,
        duplicate_clicks=60,
        ip_cap_clicks=30,
        self_clicks=10,
        landings=5800,
        registrations=100,
        orders=50,
    )
    DailyEarningFactory(
        tenant=tenant,
        placement=placement,
        day=D(2026, 3, 2),
        valid_clicks=6000,
        click_income=Decimal("600.00"),
        guarantee_topup=Decimal("0.00"),
        total=Decimal("600.00"),
    )
    return placement


def test_earnings_page_shows_the_funnel_and_chart_data(client, traffic):
    response = client.get("/webmaster/earnings/" + RANGE)
    assert response.status_code == 200
    content = response.content.decode()
    assert "SUN-BR" in content
    assert "Lost" in content
    for number in ("6,300", "6,000", "200", "5,800", "600.00"):
        assert number in content
    # lost after the jump = valid clicks - landings
    assert '<td class="num">5,800</td><td class="num">200</td>' in content
    data = re.search(
        r'<script id="money-chart-data" type="application/json">(.*?)</script>', content
    )
    chart = json.loads(data.group(1))
    assert len(chart) == 31  # every day of the range, zeros included
    assert chart[1] == {
        "date": "2026-03-02",
        "partial": False,
        "clicks": 6300,
        "valid_clicks": 6000,
        "landings": 5800,
        "registrations": 100,
        "orders": 50,
        "earn_clicks": "600.00",
        "earn_guarantee_topup": "0.00",
        "earn_registrations": "0.00",
        "earn_orders": "0.00",
        "earn_total": "600.00",
    }
    assert "js/money.js" in content
    assert "<script>" not in content  # no inline script (CSP)
    assert "/webmaster/statements/" in content  # nav entry
    assert 'type="date"' not in content  # one date format: YYYY-MM-DD text inputs


def _csv(response):
    return list(csv.DictReader(io.StringIO(response.content.decode())))


def test_csv_has_the_rows_of_the_range_and_its_totals_are_the_pages(client, tenant, traffic):
    PlacementDayStatsFactory(tenant=tenant, placement=traffic, day=D(2026, 3, 5), clicks=40,
                             valid_clicks=30, landings=20, orders=2)  # fmt: skip
    page = client.get("/webmaster/earnings/" + RANGE).content.decode()
    response = client.get("/webmaster/earnings.csv" + RANGE)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="earnings-20260301-20260331.csv"' in response["Content-Disposition"]
    rows = _csv(response)
    assert [(r["date"], r["placement"], r["clicks"]) for r in rows] == [
        ("2026-03-02", "SUN-BR", "6300"),
        ("2026-03-05", "SUN-BR", "40"),
    ]
    assert rows[0]["earnings_total"] == "600.00"
    assert rows[0]["currency"] == "CNY"
    assert rows[0]["provisional"] == "no"
    footer = re.search(r'<tr id="funnel-total">(.*?)</tr>', page, re.S).group(1)
    shown = dict(re.findall(r'data-total="(\w+)">([^<]*)<', footer))
    for column in ("clicks", "valid_clicks", "landings", "lost_after_jump", "orders"):
        assert int(shown[column].replace(",", "")) == sum(int(r[column]) for r in rows)
    assert Decimal(shown["earnings_total"].replace(",", "")) == sum(
        Decimal(r["earnings_total"]) for r in rows
    )


def test_csv_is_formula_safe(client, tenant, webmaster):
    site = SiteFactory(tenant=tenant, affiliate=webmaster, name="=HYPERLINK(1)")
    placement = PlacementFactory(tenant=tenant, site=site, code="SAFE-1")
    PlacementDayStatsFactory(tenant=tenant, placement=placement, day=D(2026, 3, 2))
    rows = _csv(client.get("/webmaster/earnings.csv" + RANGE))
    assert rows[0]["site"] == "'=HYPERLINK(1)"


def test_a_bad_range_names_the_parameter(client, traffic):
    response = client.get("/webmaster/earnings/?from=03/01/2026")
    assert response.status_code == 400
    assert "from must be a day as YYYY-MM-DD" in response.content.decode()
    response = client.get("/webmaster/earnings.csv?from=2026-03-05&to=2026-03-01")
    assert response.status_code == 400
    assert response.content.decode() == "from must be on or before to."
    assert client.get("/webmaster/earnings/?site=abc").status_code == 404


def test_another_webmasters_or_tenants_rows_never_reach_the_csv(
    tenant, other_tenant, client, traffic
):
    stranger_site = SiteFactory(tenant=tenant)
    PlacementDayStatsFactory(tenant=tenant, placement__site=stranger_site, day=D(2026, 3, 2))
    with tenant_scope(other_tenant):
        PlacementDayStatsFactory(tenant=other_tenant, day=D(2026, 3, 2))
    rows = _csv(client.get("/webmaster/earnings.csv" + RANGE))
    assert [r["placement"] for r in rows] == ["SUN-BR"]
    assert client.get(f"/webmaster/earnings.csv{RANGE}&site={stranger_site.pk}").status_code == 404
    # B's webmaster on B's host sees none of A's rows
    theirs = AffiliateFactory(tenant=other_tenant, user=UserFactory())
    other = client_for(other_tenant, theirs.user)
    assert _csv(other.get("/webmaster/earnings.csv" + RANGE)) == []


def test_earnings_page_query_count_is_constant(client, tenant, webmaster, traffic):
    client.get("/webmaster/earnings/" + RANGE)
    with CaptureQueriesContext(connection) as few:
        client.get("/webmaster/earnings/" + RANGE)
    for day in range(3, 20):
        PlacementDayStatsFactory(tenant=tenant, placement=traffic, day=D(2026, 3, day))
    with CaptureQueriesContext(connection) as many:
        client.get("/webmaster/earnings/" + RANGE)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_site_filter_of_another_webmaster_is_404(client, tenant, traffic):
    stranger_site = SiteFactory(tenant=tenant)
    assert client.get(f"/webmaster/earnings/{RANGE}&site={stranger_site.pk}").status_code == 404
    assert client.get(f"/webmaster/earnings/{RANGE}&site={traffic.site.pk}").status_code == 200


def test_weights_page(client, traffic):
    response = client.get("/webmaster/weights/")
    assert response.status_code == 200
    assert 'value="7"' in response.content.decode()


def test_statements_list_detail_and_print(client, tenant, webmaster, traffic):
    statements_generate(period="2026-03")
    statement = Statement.objects.get(affiliate=webmaster)
    listing = client.get("/webmaster/statements/")
    assert "2026-03" in listing.content.decode()
    detail = client.get(f"/webmaster/statements/{statement.pk}/")
    assert detail.status_code == 200
    assert "600.00" in detail.content.decode()
    printable = client.get(f"/webmaster/statements/{statement.pk}/print/")
    content = printable.content.decode()
    assert printable.status_code == 200
    assert "data-money-print" in content
    assert "css/money.css" in content


def test_another_webmasters_statement_is_404(tenant, other_tenant, webmaster, traffic):
    statements_generate(period="2026-03")
    statement = Statement.objects.get(affiliate=webmaster)
    stranger = AffiliateFactory(tenant=tenant, user=UserFactory())
    other = client_for(tenant, stranger.user)
    assert other.get(f"/webmaster/statements/{statement.pk}/").status_code == 404
    assert other.get(f"/webmaster/statements/{statement.pk}/print/").status_code == 404
    foreign = AffiliateFactory(tenant=other_tenant, user=UserFactory())
    foreign_client = client_for(other_tenant, foreign.user)
    assert foreign_client.get(f"/webmaster/statements/{statement.pk}/").status_code == 404


def test_anonymous_is_sent_to_sign_in(tenant):
    response = client_for(tenant).get("/webmaster/statements/")
    assert response.status_code == 302
    assert "login" in response["Location"]
