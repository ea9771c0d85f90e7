"""The test fixtures' tenancy (tests/conftest.py): setup unscoped, the body in its tenant."""

import pytest
from django.test import Client
from django_scopes.exceptions import ScopeError

from apps.affiliates.models import Affiliate
from apps.tenants.scope import current_tenant, current_tenant_or_none, tenant_scope
from tests.affiliates.factories import AffiliateFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def webmasters_seen_in_setup(tenant, other_tenant):
    """Reads without opening a scope: wall one is off during setup, wall two is the home's."""
    AffiliateFactory(tenant=tenant, email="a@alpha.example")
    AffiliateFactory(tenant=other_tenant, email="b@beta.example")
    return set(Affiliate.objects.values_list("email", flat=True))


def test_fixture_setup_reads_without_a_scope_and_sees_only_the_home_tenant(
    webmasters_seen_in_setup,
):
    assert webmasters_seen_in_setup == {"a@alpha.example"}


def test_body_runs_in_the_home_tenant(tenant, other_tenant):
    AffiliateFactory(tenant=other_tenant)
    assert current_tenant() == tenant
    assert Affiliate.objects.count() == 0
    with tenant_scope(other_tenant):
        assert Affiliate.objects.count() == 1
    assert current_tenant() == tenant


def test_body_without_a_tenant_fixture_is_unscoped():
    assert current_tenant_or_none() is None


@pytest.mark.unscoped
def test_unscoped_marker_leaves_the_body_outside_any_scope(tenant):
    assert current_tenant_or_none() is None
    with pytest.raises(ScopeError):
        list(Affiliate.objects.all())


def test_a_request_starts_outside_the_test_scope(tenant, monkeypatch):
    # given a spy on the scope each request arrives in
    from apps.tenants.middleware import TenantMiddleware

    seen = []
    original = TenantMiddleware.__call__

    def spy(self, request):
        seen.append(current_tenant_or_none())
        return original(self, request)

    monkeypatch.setattr(TenantMiddleware, "__call__", spy)
    # when the (scoped) test body requests a platform page
    response = Client(headers={"host": "localhost"}).get("/healthz")
    # then the request arrived with no tenant, and the body's scope is intact afterwards
    assert response.status_code == 200
    assert seen == [None]
    assert current_tenant() == tenant
    AffiliateFactory(tenant=tenant)
    assert Affiliate.objects.count() == 1
