"""GET /c/{code}: one INSERT and a redirect; run_daily classifies the clicks it recorded."""

import datetime
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.management import call_command

from apps.tenants.scope import tenant_scope
from apps.tracking.models import Click, PlacementDayStats, PlacementSubDayStats
from tests.affiliates.factories import AffiliateIpFactory
from tests.campaigns.factories import (
    CampaignFactory,
    MerchantDomainFactory,
    MerchantFactory,
    ProductFactory,
)
from tests.conftest import client_for
from tests.tracking.conftest import make_shop

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
DAY = datetime.date(2026, 3, 2)
BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/122.0 Safari/537.36"


def at(hour: int, minute: int = 0, day: datetime.date = DAY) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=SHANGHAI)


def visit(client, code, *, ip, ua=BROWSER, when, **params):
    """One click as a browser behind our load balancer (10.0.0.5) sends it."""
    params.setdefault("sku", "SKU-1")
    with time_machine.travel(when, tick=False):
        # The left-most address is whatever the client claims: never believed.
        return client.get(
            f"/c/{code}",
            params,
            HTTP_X_FORWARDED_FOR=f"6.6.6.6, {ip}, 10.0.0.5",
            HTTP_USER_AGENT=ua,
        )


def clicks_of(tenant):
    with tenant_scope(tenant):
        return list(Click.objects.order_by("id"))


def snapshot(tenant):
    with tenant_scope(tenant):
        return (
            list(Click.objects.order_by("id").values_list("id", "verdict")),
            list(PlacementDayStats.objects.order_by("id").values()),
            list(PlacementSubDayStats.objects.order_by("id").values()),
        )


class TestClassificationThroughTheClickPath:
    def test_every_count_after_run_daily_and_a_rerun_changes_nothing(self, tenant, shop, settings):
        # given: a 24 h dedupe window, a cap of 5 clicks per IP and placement a day, our load
        # balancer at 10.0.0.5 in front, and the webmaster's own address on record
        settings.TRUSTED_PROXIES = ["127.0.0.0/8", "10.0.0.0/8"]
        tenant.ip_daily_cap = 5
        tenant.save()
        AffiliateIpFactory(tenant=tenant, affiliate=shop.placement.site.affiliate, ip="192.0.2.99")
        client = client_for(tenant)
        code = shop.placement.code

        # when: normal visitors, bots, repeats, one heavy IP and the webmaster click through /c/
        for n, ip in enumerate(["198.51.100.1", "198.51.100.2", "198.51.100.3"]):
            visit(client, code, ip=ip, when=at(9, n), sub="newsletter")
        visit(client, code, ip="198.51.100.10", ua="Googlebot/2.1 (+http://www.google.com/bot)",
              when=at(10))  # fmt: skip
        visit(client, code, ip="198.51.100.11", ua="curl/8.5.0", when=at(10, 1))
        visit(client, code, ip="198.51.100.12", ua="", when=at(10, 2))
        visit(client, code, ip="198.51.100.20", when=at(11))
        visit(client, code, ip="198.51.100.20", when=at(12))  # same visitor 1 h later
        # a visitor from last night repeats this morning, inside 24 h
        visit(client, code, ip="198.51.100.30", when=at(23, day=DAY - datetime.timedelta(days=1)))
        visit(client, code, ip="198.51.100.30", when=at(1))
        for n in range(7):  # one IP, seven different browsers: 5 paid, 2 over the cap
            visit(client, code, ip="203.0.113.50", ua=f"{BROWSER} build/{n}", when=at(14, n))
        visit(client, code, ip="192.0.2.99", when=at(15))
        responses = [visit(client, code, ip="198.51.100.40", when=at(16))]
        assert all(r.status_code == 302 for r in responses)

        # the client IP is the right-most address that is not our proxy
        clicks = clicks_of(tenant)
        assert len(clicks) == 19
        assert clicks[0].ip == "198.51.100.1"
        assert {c.ip for c in clicks}.isdisjoint({"6.6.6.6", "10.0.0.5", "127.0.0.1"})
        # two visitors land on the merchant's page
        for click in clicks[:2]:
            assert client.get("/px/land", {"click_id": str(click.click_id)}).status_code == 200

        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())

        # then: every verdict and every count
        by_ip = {}
        for click in clicks_of(tenant):
            by_ip.setdefault(click.ip, []).append(click.verdict)
        assert by_ip["198.51.100.1"] == ["valid"]
        assert by_ip["198.51.100.10"] == ["bot"]
        assert by_ip["198.51.100.11"] == ["bot"]
        assert by_ip["198.51.100.12"] == ["bot"]
        assert by_ip["198.51.100.20"] == ["valid", "duplicate"]
        # the previous day's click is not this day's to classify; today's repeat is a duplicate
        assert by_ip["198.51.100.30"] == ["", "duplicate"]
        assert by_ip["203.0.113.50"] == ["valid"] * 5 + ["ip_cap"] * 2
        assert by_ip["192.0.2.99"] == ["self"]
        assert by_ip["198.51.100.40"] == ["valid"]
        stats = PlacementDayStats.objects.get(placement=shop.placement, day=DAY)
        subs = {s.sub: s for s in PlacementSubDayStats.objects.filter(day=DAY)}
        assert (stats.clicks, stats.valid_clicks) == (18, 10)
        assert (stats.bot_clicks, stats.duplicate_clicks) == (3, 2)
        assert (stats.ip_cap_clicks, stats.self_clicks) == (2, 1)
        assert stats.landings == 2
        assert (stats.site_id, stats.affiliate_id) == (
            shop.placement.site_id,
            shop.placement.site.affiliate_id,
        )
        assert (subs["newsletter"].clicks, subs["newsletter"].valid_clicks) == (3, 3)
        assert subs["newsletter"].landings == 2
        assert (subs[""].clicks, subs[""].valid_clicks) == (15, 7)

        # and a second run changes nothing
        before = snapshot(tenant)
        call_command("run_daily", tenant=tenant.slug, date=DAY.isoformat())
        assert snapshot(tenant) == before

    def test_without_a_trusted_proxy_the_socket_address_is_the_client(self, tenant, shop):
        client = client_for(tenant)
        response = client.get(
            f"/c/{shop.placement.code}",
            {"sku": "SKU-1"},
            REMOTE_ADDR="198.51.100.77",
            HTTP_X_FORWARDED_FOR="1.2.3.4",
        )
        assert response.status_code == 302
        assert [c.ip for c in clicks_of(tenant)] == ["198.51.100.77"]


class TestRedirect:
    def test_redirects_to_the_product_with_click_id_keeping_its_query(self, tenant, shop):
        response = client_for(tenant).get(
            f"/c/{shop.placement.code}", {"sku": "SKU-1", "sub": "top-banner"}
        )
        assert response.status_code == 302
        location = urlsplit(response["Location"])
        (click,) = clicks_of(tenant)
        assert (location.netloc, location.path) == ("shop.example.com", "/p/1")
        assert parse_qs(location.query) == {"color": ["red"], "click_id": [str(click.click_id)]}
        assert response["Cache-Control"] == "no-store"
        assert (click.placement_id, click.product_id) == (shop.placement.pk, shop.product.pk)
        assert (click.merchant_id, click.affiliate_id) == (
            shop.merchant.pk,
            shop.placement.site.affiliate_id,
        )
        assert click.sub == "top-banner"
        assert click.user_agent == ""
        assert click.verdict == ""

    def test_deep_link_to_a_merchant_subdomain_keeps_path_and_query(self, tenant, shop):
        url = "https://m.shop.example.com/sale/shoes?size=42&utm_source=x#top"
        response = client_for(tenant).get(f"/c/{shop.placement.code}", {"url": url})
        assert response.status_code == 302
        (click,) = clicks_of(tenant)
        assert response["Location"] == (
            "https://m.shop.example.com/sale/shoes?size=42&utm_source=x"
            f"&click_id={click.click_id}#top"
        )
        assert (click.merchant_id, click.product_id) == (shop.merchant.pk, None)

    @pytest.mark.parametrize(
        "url",
        [
            "https://evil.example.net/phish",
            "https://shop.example.com.evil.net/",
            "https://evilshop.example.com/",
            "https://shop.example.com@evil.net/",
            "https://evil.net\\@shop.example.com/",
            "javascript:alert(1)//shop.example.com",
            "//evil.net/shop.example.com",
            "ftp://shop.example.com/file",
            "https://shop.example.com:99999/",
        ],
    )
    def test_deep_link_to_any_other_domain_is_refused(self, tenant, shop, url):
        response = client_for(tenant).get(f"/c/{shop.placement.code}", {"url": url})
        assert response.status_code == 400
        assert "Location" not in response
        assert clicks_of(tenant) == []

    def test_deep_link_to_an_inactive_merchant_is_refused(self, tenant, shop):
        shop.merchant.is_active = False
        shop.merchant.save()
        response = client_for(tenant).get(
            f"/c/{shop.placement.code}", {"url": "https://shop.example.com/"}
        )
        assert response.status_code == 400
        assert clicks_of(tenant) == []

    def test_cid_and_imp_are_kept_for_the_campaigns_merchant_only(self, tenant, shop):
        campaign = CampaignFactory(tenant=tenant, merchant=shop.merchant)
        foreign = CampaignFactory(tenant=tenant)
        client = client_for(tenant)
        imp = "7b0c5f3e-4f55-4e0e-9c1e-2f4a3e2b9a10"
        client.get(f"/c/{shop.placement.code}", {"sku": "SKU-1", "cid": campaign.pk, "imp": imp})
        client.get(f"/c/{shop.placement.code}", {"sku": "SKU-1", "cid": foreign.pk, "imp": imp})
        client.get(f"/c/{shop.placement.code}", {"sku": "SKU-1", "cid": "x1", "imp": "nope"})
        first, second, third = clicks_of(tenant)
        assert (first.campaign_id, str(first.impression_id)) == (campaign.pk, imp)
        assert (second.campaign_id, second.impression_id) == (None, None)
        assert (third.campaign_id, third.impression_id) == (None, None)

    def test_a_sku_two_merchants_share_needs_the_campaign(self, tenant, shop):
        other = MerchantFactory(tenant=tenant)
        MerchantDomainFactory(tenant=tenant, merchant=other, domain="b.example")
        twin = ProductFactory(tenant=tenant, merchant=other, sku="SKU-1", url="https://b.example/")
        campaign = CampaignFactory(tenant=tenant, merchant=other)
        client = client_for(tenant)
        assert client.get(f"/c/{shop.placement.code}", {"sku": "SKU-1"}).status_code == 400
        response = client.get(f"/c/{shop.placement.code}", {"sku": "SKU-1", "cid": campaign.pk})
        assert response.status_code == 302
        assert response["Location"].startswith("https://b.example/?click_id=")
        assert [c.product_id for c in clicks_of(tenant)] == [twin.pk]


class TestRefusals:
    @pytest.mark.parametrize(
        ("code", "params"),
        [
            ("NOPE", {"sku": "SKU-1"}),
            ("PLACE1", {"sku": "NO-SUCH-SKU"}),
            ("x" * 33, {"sku": "SKU-1"}),
            ("PL%C3%A9", {"sku": "SKU-1"}),
            ("PLACE1", {"sku": "S" * 65}),
        ],
    )
    def test_odd_or_unknown_codes_and_skus_are_404_and_record_nothing(
        self, tenant, shop, code, params
    ):
        response = client_for(tenant).get(f"/c/{code}", params)
        assert response.status_code == 404
        assert clicks_of(tenant) == []

    @pytest.mark.parametrize(
        ("code", "params"), [("PL%00CE", {"sku": "SKU-1"}), ("PLACE1", {"sku": "A\x00B"})]
    )
    def test_a_nul_in_code_or_sku_is_400_and_records_nothing(self, tenant, shop, code, params):
        # issue 22: a NUL anywhere in the path or query is a 400, before the view
        assert client_for(tenant).get(f"/c/{code}", params).status_code == 400
        assert clicks_of(tenant) == []

    def test_sub_longer_than_64_characters_is_400(self, tenant, shop):
        client = client_for(tenant)
        code = shop.placement.code
        assert client.get(f"/c/{code}", {"sku": "SKU-1", "sub": "s" * 65}).status_code == 400
        assert client.get(f"/c/{code}", {"sku": "SKU-1", "sub": "s" * 64}).status_code == 302
        assert [c.sub for c in clicks_of(tenant)] == ["s" * 64]

    def test_without_sku_or_url_is_400(self, tenant, shop):
        assert client_for(tenant).get(f"/c/{shop.placement.code}").status_code == 400
        assert clicks_of(tenant) == []

    @pytest.mark.parametrize("what", ["placement", "site", "webmaster"])
    def test_placements_that_are_not_live_record_nothing(self, tenant, shop, what):
        if what == "placement":
            shop.placement.is_active = False
            shop.placement.save()
        elif what == "site":
            shop.placement.site.status = "suspended"
            shop.placement.site.save()
        else:
            shop.placement.site.affiliate.status = "suspended"
            shop.placement.site.affiliate.save()
        response = client_for(tenant).get(f"/c/{shop.placement.code}", {"sku": "SKU-1"})
        assert response.status_code == 404
        assert clicks_of(tenant) == []

    def test_post_is_not_allowed(self, tenant, shop):
        response = client_for(tenant).post(f"/c/{shop.placement.code}?sku=SKU-1")
        assert response.status_code == 405
        assert clicks_of(tenant) == []


class TestCost:
    def test_a_warm_click_is_exactly_one_insert(
        self, tenant, shop, settings, django_assert_num_queries
    ):
        settings.TENANT_HOST_CACHE_SECONDS = 60
        client = client_for(tenant)
        code = shop.placement.code
        client.get(f"/c/{code}", {"sku": "SKU-1", "sub": "a"})  # warms the caches
        client.get(f"/c/{code}", {"url": "https://shop.example.com/x"})
        with django_assert_num_queries(1) as captured:
            assert client.get(f"/c/{code}", {"sku": "SKU-1", "sub": "b"}).status_code == 302
        # one round trip: the RLS tenant for this statement, then the one INSERT
        sql = captured.captured_queries[0]["sql"]
        assert sql.startswith("SELECT set_config('app.tenant_id', '")
        assert sql.count("INSERT INTO") == 1
        assert 'INSERT INTO "tracking_click"' in sql
        with django_assert_num_queries(1):
            response = client.get(f"/c/{code}", {"url": "https://shop.example.com/y"})
            assert response.status_code == 302
        assert len(clicks_of(tenant)) == 4


class TestCrossTenant:
    def test_another_tenants_placement_and_sku_are_unknown_here(self, tenant, other_tenant):
        theirs = make_shop(other_tenant, code="THEIRS", sku="THEIR-SKU")
        make_shop(tenant, code="MINE", sku="MY-SKU")
        client = client_for(tenant)
        assert client.get("/c/THEIRS", {"sku": "THEIR-SKU"}).status_code == 404
        assert client.get("/c/MINE", {"sku": "THEIR-SKU"}).status_code == 404
        # a domain of another network's merchant is not a deep-link target here
        assert theirs.domain.domain == "shop.example.com"
        with tenant_scope(other_tenant):
            theirs.domain.domain = "only-theirs.example.org"
            theirs.domain.save()
        response = client.get("/c/MINE", {"url": "https://only-theirs.example.org/"})
        assert response.status_code == 400
        assert clicks_of(tenant) == []
        assert clicks_of(other_tenant) == []

    def test_landing_pixel_never_marks_another_tenants_click(self, tenant, other_tenant):
        theirs = make_shop(other_tenant, code="THEIRS")
        client_for(other_tenant).get("/c/THEIRS", {"sku": "SKU-1"})
        (their_click,) = clicks_of(other_tenant)
        response = client_for(tenant).get("/px/land", {"click_id": str(their_click.click_id)})
        assert response.status_code == 200
        assert response["Content-Type"] == "image/gif"
        assert clicks_of(other_tenant)[0].landed_at is None
        assert theirs.placement.code == "THEIRS"
