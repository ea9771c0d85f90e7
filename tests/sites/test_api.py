import pytest

import tests.sites.cross_tenant  # noqa: F401  (registers the cases used below)
from apps.sites.models import Site
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory, SiteFactory
from tests.tenancy.harness import ENDPOINT_CASES, check_endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def webmaster(tenant):
    return AffiliateFactory(tenant=tenant, status="active")


def test_list_sites_is_paginated_and_only_mine(tenant, webmaster):
    mine = SiteFactory(tenant=tenant, affiliate=webmaster, name="Mine")
    SiteFactory(tenant=tenant, name="Another webmaster's")

    response = client_for(tenant).get("/api/v1/sites", **bearer(issue_key(webmaster)))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert body["results"][0]["status"] == "approved"


def test_post_site_starts_pending(tenant, webmaster):
    response = client_for(tenant).post(
        "/api/v1/sites",
        {"url": "https://New.example.org", "name": "New", "category": "tech"},
        content_type="application/json",
        **bearer(issue_key(webmaster)),
    )

    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
    assert response.json()["url"] == "https://new.example.org/"

    site = Site.objects.get(url="https://new.example.org/")
    assert (site.affiliate_id, site.status, site.category) == (webmaster.pk, "pending", "tech")


def test_post_site_invalid_body_names_fields(tenant, webmaster):
    response = client_for(tenant).post(
        "/api/v1/sites",
        {"url": "not a url"},
        content_type="application/json",
        **bearer(issue_key(webmaster)),
    )

    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"url", "name"}


def test_post_duplicate_site_is_400_with_code(tenant, webmaster):
    SiteFactory(tenant=tenant, url="https://taken.example/")

    response = client_for(tenant).post(
        "/api/v1/sites",
        {"url": "https://taken.example/", "name": "Again"},
        content_type="application/json",
        **bearer(issue_key(webmaster)),
    )

    assert response.status_code == 400
    assert response.json()["code"] == "site_url_taken"


def test_scopes_are_enforced(tenant, webmaster):
    client = client_for(tenant)
    read_only = bearer(issue_key(webmaster, scopes=["sites:read"]))

    assert client.get("/api/v1/sites", **read_only).status_code == 200
    assert (
        client.post(
            "/api/v1/sites",
            {"url": "https://x.example/", "name": "X"},
            content_type="application/json",
            **read_only,
        ).status_code
        == 403
    )
    assert client.get("/api/v1/placements", **read_only).status_code == 403
    assert client.get("/api/v1/sites").status_code == 401


def test_merchant_key_is_refused(tenant):
    from tests.campaigns.factories import MerchantFactory

    response = client_for(tenant).get(
        "/api/v1/sites", **bearer(issue_key(MerchantFactory(tenant=tenant)))
    )

    assert response.status_code == 403


def test_placements_show_ad_code_only_when_live(tenant):
    pending = AffiliateFactory(tenant=tenant, status="pending")
    locked = PlacementFactory(tenant=tenant, site__affiliate=pending, code="LOCKED1")
    response = client_for(tenant).get("/api/v1/placements", **bearer(issue_key(pending)))
    row = response.json()["results"][0]
    assert row["code"] == locked.code
    assert row["ad_code"] is None
    assert row["click_url_template"] == "http://alpha.localhost/c/LOCKED1?sku={sku}"

    active = AffiliateFactory(tenant=tenant, status="active")
    live = PlacementFactory(tenant=tenant, site__affiliate=active, code="LIVE1", position="banner")
    response = client_for(tenant).get("/api/v1/placements", **bearer(issue_key(active)))

    assert response.json()["results"] == [
        {
            "code": "LIVE1",
            "site": live.site_id,
            "site_url": live.site.url,
            "name": "",
            "position": "banner",
            "is_active": True,
            "ad_code": '<script async src="http://alpha.localhost/ad.js" '
            'data-placement="LIVE1"></script>',
            "click_url_template": "http://alpha.localhost/c/LIVE1?sku={sku}",
        }
    ]


def test_api_use_records_the_webmasters_address(tenant, webmaster):
    from django.core.cache import cache

    from apps.affiliates.models import AffiliateIp

    cache.clear()
    client_for(tenant).get(
        "/api/v1/sites", REMOTE_ADDR="203.0.113.9", **bearer(issue_key(webmaster))
    )

    assert list(AffiliateIp.objects.values_list("affiliate_id", "ip")) == [
        (webmaster.pk, "203.0.113.9")
    ]


@pytest.mark.parametrize("url_name", ["api:sites", "api:placements"])
def test_other_tenants_rows_never_listed(tenant, other_tenant, url_name):
    case = ENDPOINT_CASES[url_name]
    model = case.model
    make = SiteFactory if model is Site else PlacementFactory
    mine, theirs = make(tenant=tenant), make(tenant=other_tenant)

    check_endpoint(client_for(tenant), case, mine, theirs, bearer(issue_key(case.owner(mine))))


def test_other_tenants_key_is_401_here(tenant, other_tenant):
    foreign = AffiliateFactory(tenant=other_tenant)

    response = client_for(tenant).get("/api/v1/sites", **bearer(issue_key(foreign)))

    assert response.status_code == 401
