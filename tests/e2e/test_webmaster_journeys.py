"""A webmaster on their own, in real Chromium (issue 15): today's clicks appear on the dashboard
within the five minutes of the intraday count; a missing-commission dispute is filed by picking
the merchant by name; the funnel downloads as CSV and its totals equal the page's totals row."""

import csv
import datetime
import http.client
import io
import pathlib
import re
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress

from apps.disputes.models import Dispute
from apps.tenants.clock import tenant_today
from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click
from apps.tracking.snapshot import registry
from apps.tracking.tasks import provisional_rollup_due_task
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import (
    CampaignFactory,
    CampaignProductFactory,
    MerchantDomainFactory,
    MerchantFactory,
    ProductFactory,
)
from tests.commissions.factories import DailyEarningFactory
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory
from tests.tenants.factories import UserFactory
from tests.tracking.factories import PlacementDayStatsFactory

pytestmark = pytest.mark.django_db(transaction=True)

PASSWORD = "Correct-Horse-Battery-42"
CLICKS = 5


@pytest.fixture
def world(tenant):
    user = UserFactory(email="sunrise@blog.example")
    user.set_password(PASSWORD)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=user.email, defaults={"verified": True, "primary": True}
    )
    webmaster = AffiliateFactory(tenant=tenant, user=user, email=user.email, name="Sunrise")
    site = SiteFactory(tenant=tenant, affiliate=webmaster, name="Sunrise blog",
                       verified_at=datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC))  # fmt: skip
    placement = PlacementFactory(tenant=tenant, site=site, code="SUN-BR")
    ContractFactory(tenant=tenant, placement=placement, daily_guarantee=Decimal("50.00"))
    citrus = MerchantFactory(tenant=tenant, code="CITRUS", name="Citrus Beauty")
    MerchantDomainFactory(tenant=tenant, merchant=citrus, domain="citrus.example.com")
    product = ProductFactory(tenant=tenant, merchant=citrus, sku="SERUM",
                             url="https://citrus.example.com/p/serum")  # fmt: skip
    plan = CampaignFactory(tenant=tenant, merchant=citrus, type="cpc", bid=Decimal("0.5000"))
    CampaignProductFactory(tenant=tenant, campaign=plan, product=product)
    registry.clear()  # the click path serves from a fresh snapshot
    return {"webmaster": webmaster, "placement": placement, "merchant": citrus}


def sign_in(page, base):
    page.set_default_navigation_timeout(30_000)  # a first page on a busy machine
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", "sunrise@blog.example")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()


def send_clicks(base, count=CLICKS):
    """Visitors click the placement's link: ``/c/CODE?sku=`` answers the redirect (not followed:
    the shop is not on this machine). Sent over HTTP to the live server, as browsers would."""
    host = urlsplit(base).netloc
    for n in range(count):
        connection = http.client.HTTPConnection("127.0.0.1", urlsplit(base).port, timeout=10)
        connection.request("GET", "/c/SUN-BR?sku=SERUM", headers={
            "Host": host, "User-Agent": f"Mozilla/5.0 (X11; Linux x86_64) visitor {n}",
        })  # fmt: skip
        response = connection.getresponse()
        assert response.status == 302, response.status
        assert response.getheader("Location").startswith("https://citrus.example.com/p/serum")
        connection.close()


def test_todays_clicks_appear_on_the_dashboard_within_the_intraday_count(
    tenant, world, browser_page, tenant_live_url, shot
):
    base = tenant_live_url(tenant)
    page = browser_page
    sign_in(page, base)
    page.goto(base + "/webmaster/dashboard/")
    assert page.locator("[data-today=clicks]").inner_text() == "0"
    shot(page, "01-dashboard-before")
    # when visitors click and the beat's 5-minute count runs
    send_clicks(base)
    with tenant_scope(tenant):
        assert Click.objects.filter(placement=world["placement"]).count() == CLICKS
    provisional_rollup_due_task.delay(tenant_id=tenant.pk)
    # then a reload shows them, marked provisional with the time they were counted
    page.reload()
    assert page.locator("[data-today=clicks]").inner_text() == str(CLICKS)
    assert "provisional, as of" in page.locator("#earnings-cards").inner_text()
    shot(page, "02-dashboard-after-count")
    page.goto(base + "/webmaster/earnings/")
    assert "Today is provisional." in page.locator("#provisional-note").inner_text()
    assert page.locator("#funnel-total [data-total=clicks]").inner_text() == str(CLICKS)
    shot(page, "03-earnings-today-provisional")


def test_webmaster_files_a_dispute_picking_the_merchant_by_name(
    tenant, world, browser_page, tenant_live_url, shot
):
    base = tenant_live_url(tenant)
    send_clicks(base, count=1)
    page = browser_page
    sign_in(page, base)
    page.goto(base + "/webmaster/disputes/")
    options = page.locator("select[name=merchant] option").all_inner_texts()
    assert "Citrus Beauty (CITRUS)" in options
    page.select_option("select[name=merchant]", label="Citrus Beauty (CITRUS)")
    today = tenant_today(tenant)
    page.fill("input[name=order_reference]", "CB-1042")
    page.fill("input[name=order_date]", f"{today:%Y-%m-%d}")
    page.fill("input[name=amount]", "89.90")
    shot(page, "01-dispute-form")
    page.get_by_role("button", name="File dispute").click()
    page.wait_for_load_state()
    assert "CB-1042" in page.locator("table").last.inner_text()
    assert "Citrus Beauty" in page.locator("table").last.inner_text()
    shot(page, "02-dispute-filed")
    with tenant_scope(tenant):
        dispute = Dispute.objects.get(affiliate=world["webmaster"])
        assert (dispute.merchant_id, dispute.order_reference, dispute.amount) == (
            world["merchant"].pk,
            "CB-1042",
            Decimal("89.90"),
        )


def test_the_funnel_csv_totals_equal_the_pages_totals_row(
    tenant, world, browser_page, tenant_live_url, shot
):
    # given three closed days of figures
    placement = world["placement"]
    today = tenant_today(tenant)
    days = [today - datetime.timedelta(days=back) for back in (3, 2, 1)]
    for index, day in enumerate(days):
        PlacementDayStatsFactory(tenant=tenant, placement=placement, day=day,
                                 clicks=1200 + index, valid_clicks=1000 + index,
                                 landings=900, registrations=4, orders=2)  # fmt: skip
        DailyEarningFactory(tenant=tenant, placement=placement, day=day,
                            valid_clicks=1000 + index, click_income=Decimal("100.00"),
                            guarantee_topup=Decimal("0.00"), total=Decimal("100.00"))  # fmt: skip
    base = tenant_live_url(tenant)
    page = browser_page
    sign_in(page, base)
    page.goto(f"{base}/webmaster/earnings/?from={days[0]:%Y-%m-%d}&to={days[-1]:%Y-%m-%d}")
    shot(page, "01-funnel")
    with page.expect_download() as info:
        page.click("#download-csv")
    body = pathlib.Path(info.value.path()).read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    assert len(rows) == 3
    for name in ("clicks", "valid_clicks", "invalid_clicks", "landings", "lost_after_jump",
                 "registrations", "orders"):  # fmt: skip
        cell = page.locator(f"#funnel-total [data-total={name}]").inner_text()
        assert sum(int(row[name]) for row in rows) == int(cell.replace(",", "")), name
    total = page.locator("#funnel-total [data-total=earnings_total]").inner_text()
    csv_total = sum(Decimal(row["earnings_total"]) for row in rows)
    assert csv_total == Decimal(re.sub(r"[^\d.]", "", total))
    assert csv_total > 0
