"""The back office as a desk (issue 14): a home per role whose figures link to the lists
behind them, in a constant number of queries at any size; the risk desk and its actions; the
webmaster and merchant 360 pages; the sidebar in each role's working order."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.affiliates.models import Affiliate
from apps.commissions.models import ReconcileRun
from apps.sites.models import Placement
from apps.tenants.scope import tenant_scope
from apps.tracking.models import BlockRule
from tests.affiliates.factories import AffiliateFactory, give_payout_details
from tests.campaigns.factories import CampaignFactory, MerchantFactory, ProductFactory
from tests.commissions.factories import DailyEarningFactory, StatementFactory
from tests.conftest import client_for, make_staff
from tests.disputes.factories import ClaimFactory, DisputeFactory
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory
from tests.tenancy.harness import rows_unchanged
from tests.tracking.factories import CampaignDayStatsFactory, PlacementDayStatsFactory

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 15)
NOW = datetime.datetime(2026, 3, 15, 4, 0, tzinfo=datetime.UTC)  # noon in Shanghai


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


def _webmaster(tenant, n, *, status="active"):
    affiliate = AffiliateFactory(tenant=tenant, name=f"Publisher {n:02d}", status=status)
    site = SiteFactory(tenant=tenant, affiliate=affiliate, status="pending")
    placement = PlacementFactory(tenant=tenant, site=site)
    ContractFactory(tenant=tenant, placement=placement, ends_on=TODAY + datetime.timedelta(days=9))
    for day, total in (
        (TODAY - datetime.timedelta(days=3), "120.00"),
        (TODAY - datetime.timedelta(days=40), "300.00"),
    ):
        DailyEarningFactory(
            tenant=tenant,
            placement=placement,
            day=day,
            total=Decimal(total),
            click_income=Decimal(total),
            guarantee_topup=Decimal("0.00"),
        )
    for offset in range(3):
        PlacementDayStatsFactory(
            tenant=tenant,
            placement=placement,
            day=TODAY - datetime.timedelta(days=offset),
            clicks=200,
            valid_clicks=150,
            bot_clicks=30,
            blocked_clicks=20,
        )
    StatementFactory(
        tenant=tenant,
        affiliate=affiliate,
        period="2026-02",
        status="submitted",
        period_start=datetime.date(2026, 2, 1),
        period_end=datetime.date(2026, 2, 28),
    )
    DisputeFactory(tenant=tenant, affiliate=affiliate)
    return affiliate


def _world(tenant, count, start=0):
    for n in range(start, start + count):
        _webmaster(tenant, n)
        AffiliateFactory(tenant=tenant, name=f"Lead {n:02d}", status="lead")
        AffiliateFactory(tenant=tenant, name=f"Pending {n:02d}", status="pending")
        ClaimFactory(tenant=tenant)


class TestHomes:
    def test_each_role_sees_its_home_with_figures_that_link_to_their_lists(self, tenant):
        _world(tenant, 2)
        bd = client_for(tenant, make_staff(tenant, "bd"))
        page = bd.get("/admin/").content.decode()
        assert 'id="home-bd"' in page
        assert 'id="home-finance"' not in page
        assert "/admin/affiliates/affiliate/?status__exact=pending" in page
        assert "/admin/affiliates/affiliate/?bd_owner=none&amp;status__in=lead%2Ccontacted" in page
        assert "/admin/websites/site/?status__exact=pending" in page
        assert "Publisher 00" in page  # top and falling webmasters by earnings
        finance = client_for(tenant, make_staff(tenant, "finance"))
        page = finance.get("/admin/").content.decode()
        assert 'id="panel-statements"' in page
        assert "/admin/commissions/statement/?approval=mine" in page
        assert "2 · 0.00 CNY" in page  # two submitted statements waiting for this person
        assert "Last reconciliation" in page
        assert "Not run yet" in page
        ReconcileRun.objects.create(
            tenant=tenant, period="2026-02", ran_at=NOW, differences=3, report="x"
        )
        page = finance.get("/admin/").content.decode()
        assert 'data-figure="Differences"' in page
        assert "February 2026" in page
        risk = client_for(tenant, make_staff(tenant, "risk"))
        page = risk.get("/admin/").content.decode()
        assert 'id="panel-invalid"' in page
        assert "25.0%" in page  # 400 invalid of 1,200 clicks... today 100 of 400
        assert "/admin/tracking/click/?verdict__exact=bot" in page
        assert "Claims waiting" in page
        assert "<svg" in page

    def test_the_filtered_list_behind_a_figure_holds_what_it_counts(self, tenant):
        _world(tenant, 2)
        client = client_for(tenant, make_staff(tenant, "bd"))
        listing = client.get("/admin/affiliates/affiliate/?status__exact=pending")
        names = {a.name for a in listing.context["cl"].result_list}
        assert names == {"Pending 00", "Pending 01"}
        finance = make_staff(tenant, "finance")
        listing = client_for(tenant, finance).get("/admin/commissions/statement/?approval=mine")
        assert len(listing.context["cl"].result_list) == 2

    def test_homes_run_a_constant_number_of_queries(self, tenant, django_assert_max_num_queries):
        staff = make_staff(tenant)  # every role: every panel
        client = client_for(tenant, staff)
        _world(tenant, 2)
        client.get("/admin/")  # per-process caches
        with CaptureQueriesContext(connection) as small:
            assert client.get("/admin/").status_code == 200
        _world(tenant, 10, start=2)
        with django_assert_max_num_queries(len(small)):
            assert client.get("/admin/").status_code == 200

    def test_another_tenants_data_never_shows_on_a_home(self, tenant, other_tenant):
        _webmaster(other_tenant, 77)
        page = client_for(tenant, make_staff(tenant)).get("/admin/").content.decode()
        assert "Publisher 77" not in page


class TestNavigation:
    def test_bd_sees_webmasters_first_and_names_are_consistent(self, tenant):
        response = client_for(tenant, make_staff(tenant, "bd")).get("/admin/")
        apps = response.context["available_apps"]
        assert [a["name"] for a in apps[:2]] == ["Desk", "Webmasters"]
        assert str(apps[1]["models"][0]["name"]) == "Webmasters"
        finance = client_for(tenant, make_staff(tenant, "finance")).get("/admin/")
        money = finance.context["available_apps"][1]
        assert str(money["models"][0]["name"]) == "Statements"
        assert "Ledger entries" in [str(m["name"]) for m in money["models"]]


class TestRiskDesk:
    def test_summary_and_actions(self, tenant):
        affiliate = _webmaster(tenant, 1)
        risk = make_staff(tenant, "risk")
        client = client_for(tenant, risk)
        page = client.get("/admin/desk/risk/").content.decode()
        assert "Invalid traffic: 25.0% (150 of 600 clicks)" in page
        assert f"/admin/commissions/webmasterpaymenthold/add/?affiliate={affiliate.pk}" in page
        # block an IP range
        response = client.post(
            "/admin/desk/risk/",
            {"do": "block", "kind": "ip_range", "value": "203.0.113.0/24", "reason": "farm"},
            follow=True,
        )
        assert "classified blocked from the next run" in response.content.decode()
        assert BlockRule.objects.get().value == "203.0.113.0/24"
        placement = Placement.objects.get(site__affiliate=affiliate)
        # a refusal is a message, nothing written
        response = client.post(
            "/admin/desk/risk/",
            {"do": "block", "kind": "ip_range", "value": "nonsense", "reason": "x"},
            follow=True,
        )
        assert "is not an IP address" in response.content.decode()
        # suspend a placement
        client.post("/admin/desk/risk/", {"do": "suspend", "placement": placement.pk})
        placement.refresh_from_db()
        assert placement.is_active is False
        assert placement.history.first().history_user == risk

    def test_bd_may_not_open_it_and_other_tenants_ids_do_nothing(self, tenant, other_tenant):
        assert (
            client_for(tenant, make_staff(tenant, "bd")).get("/admin/desk/risk/").status_code == 403
        )
        theirs = PlacementFactory(tenant=other_tenant)
        client = client_for(tenant, make_staff(tenant, "risk"))
        with rows_unchanged(tenant, other_tenant):
            client.post("/admin/desk/risk/", {"do": "suspend", "placement": theirs.pk})
        with tenant_scope(other_tenant):
            assert Placement.objects.get(pk=theirs.pk).is_active is True
        page = client.get(f"/admin/desk/risk/?webmaster={theirs.site.affiliate_id}")
        assert page.status_code == 200
        assert theirs.code not in page.content.decode()


class TestProfiles:
    def test_webmaster_360(self, tenant):
        affiliate = _webmaster(tenant, 3)
        give_payout_details(affiliate)
        page = client_for(tenant, make_staff(tenant, "bd")).get(
            f"/admin/desk/webmaster/{affiliate.pk}/"
        )
        assert page.status_code == 200
        content = page.content.decode()
        for section in (
            "sites",
            "funnel",
            "earnings",
            "statements",
            "disputes",
            "api-keys",
            "history",
            "notes",
        ):
            assert f'id="panel-{section}"' in content
        assert "•••• 3445" in content
        assert "6222020200112233445" not in content
        assert "February 2026 · Publisher 03" in content

    def test_merchant_360(self, tenant):
        merchant = MerchantFactory(tenant=tenant, name="Sunrise Shop")
        campaign = CampaignFactory(tenant=tenant, merchant=merchant, name="Spring plan")
        ProductFactory(tenant=tenant, merchant=merchant)
        CampaignDayStatsFactory(
            tenant=tenant,
            campaign=campaign,
            day=TODAY,
            spend=Decimal("100.00"),
            gmv=Decimal("350.00"),
        )
        page = client_for(tenant, make_staff(tenant, "bd")).get(
            f"/admin/desk/merchant/{merchant.pk}/"
        )
        content = page.content.decode()
        assert page.status_code == 200
        for section in ("products", "campaigns", "spend", "claims", "rebates"):
            assert f'id="panel-{section}"' in content
        assert "Spring plan" in content
        assert "3.50" in content  # ROI of 350 on 100

    def test_other_tenants_profiles_are_404(self, tenant, other_tenant):
        client = client_for(tenant, make_staff(tenant))
        assert (
            client.get(
                f"/admin/desk/webmaster/{AffiliateFactory(tenant=other_tenant).pk}/"
            ).status_code
            == 404
        )
        assert (
            client.get(
                f"/admin/desk/merchant/{MerchantFactory(tenant=other_tenant).pk}/"
            ).status_code
            == 404
        )


def test_affiliate_verbose_name_is_webmaster():
    assert str(Affiliate._meta.verbose_name_plural) == "webmasters"
