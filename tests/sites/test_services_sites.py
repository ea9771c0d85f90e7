import datetime
from decimal import Decimal

import pytest

from apps.sites import verification
from apps.sites.errors import PlacementError, SiteError, SiteTransitionError
from apps.sites.models import Placement, Site
from apps.sites.services import (
    placement_create,
    site_register,
    site_transition,
    site_verify,
    site_weights_apply,
)
from apps.sites.tasks import site_verify_task
from tests.affiliates.factories import AffiliateFactory
from tests.sites.factories import PlacementFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def pages(monkeypatch):
    """What the fake web serves: url -> (status, text); anything else is unreachable."""
    served: dict[str, tuple[int, str]] = {}
    fetched: list[str] = []

    def fake_fetch(url):
        fetched.append(url)
        if url not in served:
            raise verification.FetchError(f"{url} could not be fetched: connection refused.")
        status, text = served[url]
        return verification.FetchResult(status=status, text=text)

    monkeypatch.setattr(verification, "fetch", fake_fetch)
    served["fetched"] = fetched  # type: ignore[assignment]
    return served


def test_register_normalises_and_starts_pending(scoped):
    affiliate = AffiliateFactory(tenant=scoped, status="pending")

    site = site_register(affiliate=affiliate, url="HTTPS://Deals.Example.org", name=" Deals ")

    site.refresh_from_db()
    assert (site.url, site.name, site.status) == ("https://deals.example.org/", "Deals", "pending")
    assert len(site.verification_token) == 32


def test_duplicate_url_is_refused_with_its_name(scoped):
    site_register(affiliate=AffiliateFactory(tenant=scoped), url="https://a.example/", name="A")

    with pytest.raises(SiteError) as info:
        site_register(affiliate=AffiliateFactory(tenant=scoped), url="https://A.example", name="B")

    assert info.value.code == "site_url_taken"
    assert "https://a.example/" in info.value.message
    assert Site.objects.count() == 1


def test_non_http_url_and_closed_affiliate_are_refused(scoped):
    with pytest.raises(SiteError):
        site_register(affiliate=AffiliateFactory(tenant=scoped), url="ftp://x.example/", name="X")
    with pytest.raises(SiteError) as info:
        site_register(
            affiliate=AffiliateFactory(tenant=scoped, status="rejected"),
            url="https://x.example/",
            name="X",
        )
    assert info.value.code == "affiliate_not_open"
    assert Site.objects.count() == 0


def test_site_transition_table(scoped, staff_user):
    site = SiteFactory(tenant=scoped, status="pending")

    site_transition(site=site, to="approved", actor=staff_user)
    site_transition(site=site, to="approved", actor=staff_user)  # no-op
    with pytest.raises(SiteTransitionError):
        site_transition(site=site, to="pending", actor=staff_user)

    site.refresh_from_db()
    assert site.status == "approved"
    assert site.history.filter(status="approved").count() == 1


def test_verify_finds_meta_tag(scoped, pages):
    site = SiteFactory(tenant=scoped, url="https://mine.example/")
    pages["https://mine.example/"] = (
        200,
        f'<html><head><META content="{site.verification_token}" '
        f'name="alliance-site-verification"></head></html>',
    )

    site_verify(site=site)

    site.refresh_from_db()
    assert site.verified_at is not None
    assert site.verification_method == "meta_tag"
    assert site.last_verification_error == ""
    assert pages["fetched"] == ["https://mine.example/"]


def test_verify_falls_back_to_well_known_file(scoped, pages):
    site = SiteFactory(tenant=scoped, url="https://mine.example/blog/")
    pages["https://mine.example/blog/"] = (200, "<html><head></head></html>")
    pages["https://mine.example/.well-known/alliance-verification.txt"] = (
        200,
        f"{site.verification_token}\n",
    )

    site_verify(site=site)

    site.refresh_from_db()
    assert site.verification_method == "file"
    assert site.verified_at is not None


def test_verify_missing_records_error_and_stays_unverified(scoped, pages):
    site = SiteFactory(tenant=scoped, url="https://mine.example/")
    pages["https://mine.example/"] = (
        200,
        '<meta name="alliance-site-verification" content="someone-elses-token">',
    )
    pages["https://mine.example/.well-known/alliance-verification.txt"] = (404, "")

    site_verify_task(tenant_id=scoped.pk, site_id=site.pk)

    site.refresh_from_db()
    assert site.verified_at is None
    assert site.verification_method == ""
    assert site.last_verification_at is not None
    assert "no alliance-site-verification meta tag" in site.last_verification_error
    assert "answered HTTP 404" in site.last_verification_error


def test_verify_unreachable_site_says_so(scoped, pages):
    site = SiteFactory(tenant=scoped, url="https://gone.example/")

    site_verify(site=site)

    site.refresh_from_db()
    assert site.verified_at is None
    assert "connection refused" in site.last_verification_error


def test_fetch_refuses_other_schemes_and_private_hosts(settings):
    settings.SITE_VERIFICATION_ALLOW_PRIVATE = False
    with pytest.raises(verification.FetchError, match="Only http and https"):
        verification.fetch("file:///etc/passwd")
    with pytest.raises(verification.FetchError, match="not a public address"):
        verification.fetch("http://127.0.0.1:9/")


def test_placement_code_generated_unique_and_url_safe(scoped):
    site = SiteFactory(tenant=scoped)

    codes = {placement_create(site=site, position="banner").code for _ in range(20)}

    assert len(codes) == 20
    assert all(len(c) == 8 and c.isalnum() for c in codes)


def test_given_placement_code_taken_is_refused(scoped, other_tenant):
    PlacementFactory(tenant=other_tenant, code="HOME-1")  # another network's code is free here
    site = SiteFactory(tenant=scoped)
    placement_create(site=site, position="sidebar", code="HOME-1")

    with pytest.raises(PlacementError) as info:
        placement_create(site=site, position="sidebar", code="HOME-1")

    assert info.value.code == "placement_code_taken"
    assert "HOME-1" in info.value.message
    assert Placement.objects.count() == 1


def test_placement_bad_position_is_refused(scoped):
    with pytest.raises(PlacementError):
        placement_create(site=SiteFactory(tenant=scoped), position="popup")
    assert Placement.objects.count() == 0


def test_placement_keeps_floor(scoped):
    placement = placement_create(
        site=SiteFactory(tenant=scoped), position="banner", floor_cpm=Decimal("3.50")
    )
    placement.refresh_from_db()
    assert placement.floor_cpm == Decimal("3.50")


def test_site_weights_apply_touches_only_given_sites(scoped):
    a, b, c = (SiteFactory(tenant=scoped) for _ in range(3))
    day = datetime.date(2026, 5, 1)

    updated = site_weights_apply(weights={a.pk: 9, b.pk: 2}, day=day)

    assert updated == 2
    rows = dict(Site.objects.values_list("pk", "weight"))
    assert rows == {a.pk: 9, b.pk: 2, c.pk: 5}
    assert Site.objects.get(pk=c.pk).weight_updated_on is None
    assert Site.objects.get(pk=a.pk).weight_updated_on == day
    with pytest.raises(SiteError):
        site_weights_apply(weights={a.pk: 11}, day=day)
    assert Site.objects.get(pk=a.pk).weight == 9


def test_site_weights_apply_ignores_other_tenants_sites(scoped, other_tenant):
    foreign = SiteFactory(tenant=other_tenant)

    assert site_weights_apply(weights={foreign.pk: 9}, day=datetime.date(2026, 5, 1)) == 0
