import datetime
from decimal import Decimal

import pytest
from django.core.cache import cache

from apps.affiliates.models import AffiliateIp
from apps.api.models import ApiKey
from apps.sites import verification
from apps.sites.models import Placement, Site
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import issue_key
from tests.conftest import client_for
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory
from tests.tenancy.harness import rows_unchanged
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def webmaster(tenant):
    user = UserFactory(email="wm@example.net")
    return AffiliateFactory(tenant=tenant, user=user, email=user.email, status="active")


@pytest.fixture
def client(tenant, webmaster):
    return client_for(tenant, webmaster.user)


PAGES = [
    "/webmaster/dashboard/",
    "/webmaster/sites/",
    "/webmaster/placements/",
    "/webmaster/contracts/",
    "/webmaster/api-keys/",
    "/webmaster/profile/",
]


@pytest.mark.parametrize("path", PAGES)
def test_pages_render_for_the_webmaster_with_nav(client, path):
    response = client.get(path)

    assert response.status_code == 200
    content = response.content.decode()
    assert 'href="/webmaster/placements/"' in content
    assert "css/webmaster.css" in content


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(tenant, path):
    response = client_for(tenant).get(path)

    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("path", PAGES)
def test_a_profile_in_another_network_does_not_open_this_portal(tenant, other_tenant, path):
    user = UserFactory()
    AffiliateFactory(tenant=other_tenant, user=user, email=user.email)

    response = client_for(tenant, user).get(path)

    assert response.status_code == 302
    assert response["Location"] == "/"


def test_home_sends_webmaster_to_dashboard_and_offers_join_to_others(tenant, client):
    assert client.get("/")["Location"] == "/webmaster/dashboard/"
    outsider = client_for(tenant, UserFactory()).get("/")
    assert outsider.status_code == 200
    assert 'action="/webmaster/join"' in outsider.content.decode()


def test_join_makes_a_pending_profile_for_a_verified_account(tenant, other_tenant):
    user = UserFactory(email="traveller@example.net")
    AffiliateFactory(tenant=other_tenant, user=user, email=user.email)

    response = client_for(tenant, user).post("/webmaster/join", {"name": "Traveller"})

    assert response["Location"] == "/webmaster/dashboard/"
    profile = user.affiliate_profiles.get()
    assert (profile.status, profile.name, profile.tenant_id) == ("pending", "Traveller", tenant.pk)


def test_other_webmasters_and_other_tenants_sites_are_404(tenant, other_tenant, client):
    neighbour = SiteFactory(tenant=tenant)
    foreign = SiteFactory(tenant=other_tenant)

    for site in (neighbour, foreign):
        assert client.get(f"/webmaster/sites/{site.pk}/").status_code == 404
        assert client.post(f"/webmaster/sites/{site.pk}/verify").status_code == 404
        assert (
            client.post(f"/webmaster/sites/{site.pk}/", {"position": "banner"}).status_code == 404
        )
    assert Placement.objects.filter(site=neighbour).count() == 0


def test_lists_show_only_my_rows(tenant, other_tenant, client, webmaster):
    SiteFactory(tenant=tenant, affiliate=webmaster, name="My own site")
    SiteFactory(tenant=tenant, name="Neighbour site")
    SiteFactory(tenant=other_tenant, name="Foreign site")
    PlacementFactory(tenant=tenant, code="NEIGHBOUR")
    PlacementFactory(tenant=other_tenant, code="FOREIGN")
    ContractFactory(tenant=other_tenant, placement__code="FOREIGN2")

    sites = client.get("/webmaster/sites/").content.decode()
    placements = client.get("/webmaster/placements/").content.decode()
    contracts = client.get("/webmaster/contracts/").content.decode()

    assert "My own site" in sites
    assert "Neighbour site" not in sites
    assert "Foreign site" not in sites
    assert "NEIGHBOUR" not in placements
    assert "FOREIGN" not in placements
    assert "FOREIGN2" not in contracts


def test_register_site_then_see_verification_instructions(tenant, client, webmaster):
    response = client.post(
        "/webmaster/sites/", {"url": "https://blog.example.org", "name": "Blog", "category": "tech"}
    )
    site = Site.objects.get(affiliate=webmaster)
    assert response["Location"] == f"/webmaster/sites/{site.pk}/"

    page = client.get(response["Location"]).content.decode()

    assert (
        f"&lt;meta name=&quot;alliance-site-verification&quot; "
        f"content=&quot;{site.verification_token}&quot;&gt;" in page
    )
    assert "https://blog.example.org/.well-known/alliance-verification.txt" in page
    assert "Check now" in page


def test_register_duplicate_site_shows_error_and_writes_nothing(tenant, client):
    SiteFactory(tenant=tenant, url="https://taken.example/")

    response = client.post("/webmaster/sites/", {"url": "https://taken.example/", "name": "Me"})

    assert response.status_code == 400
    assert "already registered" in response.content.decode()
    assert Site.objects.count() == 1


def test_check_now_runs_the_verification_task(
    tenant, client, webmaster, monkeypatch, django_capture_on_commit_callbacks
):
    site = SiteFactory(tenant=tenant, affiliate=webmaster, url="https://mine.example/")
    html = f'<meta name="alliance-site-verification" content="{site.verification_token}">'
    monkeypatch.setattr(
        verification, "fetch", lambda url: verification.FetchResult(status=200, text=html)
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/webmaster/sites/{site.pk}/verify")

    assert response.status_code == 302
    site.refresh_from_db()
    assert site.verification_method == "meta_tag"
    assert "Verified" in client.get(f"/webmaster/sites/{site.pk}/").content.decode()


def test_failed_check_shows_what_was_missing(tenant, client, webmaster, monkeypatch):
    site = SiteFactory(tenant=tenant, affiliate=webmaster, url="https://mine.example/")
    monkeypatch.setattr(
        verification, "fetch", lambda url: verification.FetchResult(status=200, text="<html>")
    )
    from apps.sites.services import site_verify

    site_verify(site=site)

    page = client.get(f"/webmaster/sites/{site.pk}/").content.decode()
    assert "Not verified: no alliance-site-verification meta tag" in page


def test_pending_webmaster_creates_placement_but_gets_no_code(tenant):
    user = UserFactory()
    pending = AffiliateFactory(tenant=tenant, user=user, email=user.email, status="pending")
    site = SiteFactory(tenant=tenant, affiliate=pending, status="approved")
    client = client_for(tenant, user)

    response = client.post(f"/webmaster/sites/{site.pk}/", {"position": "sidebar", "name": "Side"})

    assert response.status_code == 302
    placement = Placement.objects.get(site=site)
    page = client.get(f"/webmaster/sites/{site.pk}/").content.decode()
    assert placement.code in page
    assert "available once your account is approved" in page
    assert "ad.js" not in page


def test_approved_webmaster_on_pending_site_gets_no_code(tenant, client, webmaster):
    PlacementFactory(tenant=tenant, site__affiliate=webmaster, site__status="pending")

    page = client.get("/webmaster/placements/").content.decode()

    assert "the site is approved" in page
    assert "ad.js" not in page


def test_contract_terms_are_shown_exactly(tenant, client, webmaster):
    ContractFactory(
        tenant=tenant,
        placement__site__affiliate=webmaster,
        placement__code="TERMS1",
        daily_guarantee=Decimal("500.00"),
        click_rate=Decimal("0.1250"),
        starts_on=datetime.date(2026, 3, 1),
        ends_on=datetime.date(2026, 12, 31),
    )

    page = client.get("/webmaster/contracts/").content.decode()

    assert "500.00 CNY" in page
    assert "0.1250 CNY" in page
    assert "2026-03-01" in page
    assert "2026-12-31" in page


def test_api_key_shown_once_then_revoked(tenant, client, webmaster):
    response = client.post(
        "/webmaster/api-keys/", {"name": "reports", "scopes": ["sites:read", "reports:read"]}
    )

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    key = ApiKey.objects.get(affiliate=webmaster)
    page = response.content.decode()
    assert f"{key.prefix}." in page  # the full key, this once
    assert key.scopes == ["sites:read", "reports:read"]
    later = client.get("/webmaster/api-keys/").content.decode()
    assert f"{key.prefix}." not in later
    assert key.prefix in later

    response = client.post(f"/webmaster/api-keys/{key.pk}/revoke")

    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_cannot_revoke_someone_elses_key(tenant, other_tenant, client):
    neighbour = issue_key(AffiliateFactory(tenant=tenant)).api_key
    foreign = issue_key(AffiliateFactory(tenant=other_tenant)).api_key

    with rows_unchanged(tenant, other_tenant):
        for key in (neighbour, foreign):
            assert client.post(f"/webmaster/api-keys/{key.pk}/revoke").status_code == 404
    neighbour.refresh_from_db()
    assert neighbour.revoked_at is None


def test_profile_update_keeps_history(tenant, client, webmaster):
    response = client.post(
        "/webmaster/profile/",
        {
            "name": "New Name",
            "kind": "cashback",
            "company": "ACME",
            "phone": "+86 10 1234",
        },
    )

    assert response.status_code == 302
    webmaster.refresh_from_db()
    latest = webmaster.history.first()
    assert (webmaster.name, webmaster.kind, webmaster.company) == ("New Name", "cashback", "ACME")
    assert webmaster.status == "active"
    assert latest.history_user == webmaster.user


def test_portal_visit_records_the_address(tenant, client, webmaster):
    cache.clear()

    client.get("/webmaster/dashboard/", REMOTE_ADDR="198.51.100.77")

    assert list(AffiliateIp.objects.values_list("affiliate_id", "ip")) == [
        (webmaster.pk, "198.51.100.77")
    ]


def test_placements_page_queries_do_not_grow_with_rows(
    tenant, client, webmaster, django_assert_max_num_queries
):
    site = SiteFactory(tenant=tenant, affiliate=webmaster)
    PlacementFactory(tenant=tenant, site=site)
    client.get("/webmaster/placements/")
    with django_assert_max_num_queries(25) as few:
        client.get("/webmaster/placements/")
    for _ in range(10):
        PlacementFactory(tenant=tenant, site=site)
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get("/webmaster/placements/")
