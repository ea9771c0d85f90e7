"""A request's tenant comes from its host; unknown hosts get 404."""

import pytest
from django.test import Client

from tests.conftest import client_for, make_staff
from tests.tenants.factories import TenantDomainFactory, TenantFactory

pytestmark = pytest.mark.django_db


def test_unknown_host_is_404():
    response = Client(headers={"host": "nobody.example.org"}).get("/")
    assert response.status_code == 404


def test_dev_host_slug_localhost_serves_that_tenant(tenant):
    response = client_for(tenant).get("/")
    assert response.status_code == 200
    assert b"Alpha Network" in response.content


def test_tenant_domain_serves_its_tenant():
    tenant = TenantFactory(slug="gamma", name="Gamma Affiliates")
    TenantDomainFactory(tenant=tenant, host="affiliates.gamma.example")
    response = Client(headers={"host": "affiliates.gamma.example"}).get("/")
    assert response.status_code == 200
    assert b"Gamma Affiliates" in response.content


def test_inactive_tenant_is_404():
    TenantFactory(slug="closed", is_active=False)
    assert Client(headers={"host": "closed.localhost"}).get("/").status_code == 404


def test_health_probe_answers_on_any_host():
    response = Client(headers={"host": "nobody.example.org"}).get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readiness_checks_the_database():
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


def test_admin_login_goes_through_allauth(tenant):
    response = client_for(tenant).get("/admin/")
    assert response.status_code == 302
    login = client_for(tenant).get(response["Location"])
    assert login.status_code == 302
    assert login["Location"].startswith("/accounts/login/")


def test_staff_sees_back_office_of_own_tenant_only(tenant, other_tenant):
    staff = make_staff(tenant, "bd")
    assert client_for(tenant, staff).get("/admin/").status_code == 200
    # on B's host the same person is sent to B's login, which refuses them: no role there
    elsewhere = client_for(other_tenant, staff)
    response = elsewhere.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    assert elsewhere.get(response["Location"]).status_code == 403


def test_platform_admin_is_for_superusers_on_platform_host(tenant):
    from tests.tenants.factories import UserFactory

    root = UserFactory(is_superuser=True, is_staff=True)
    platform = Client(headers={"host": "localhost"})
    platform.force_login(root)
    response = platform.get("/admin/tenants/tenant/")
    assert response.status_code == 200
    assert b"alpha" in response.content
    # The tenant back office does not exist on the platform host, and vice versa.
    staff = make_staff(tenant)
    other = Client(headers={"host": "localhost"})
    other.force_login(staff)
    response = other.get("/admin/tenants/tenant/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/tenants/tenant/"
    refused = other.get(response["Location"])
    assert refused.status_code == 403
    assert b"alpha" not in refused.content


def test_role_decides_what_staff_may_change(tenant):
    finance = make_staff(tenant, "finance")
    client = client_for(tenant, finance)
    # finance may look at webmasters but not add them
    assert client.get("/admin/affiliates/affiliate/").status_code == 200
    assert client.get("/admin/affiliates/affiliate/add/").status_code == 403
    # only tenant admins manage staff memberships
    assert client.get("/admin/tenants/membership/add/").status_code == 403


@pytest.mark.parametrize("required", [True])
def test_staff_without_totp_is_sent_to_mfa_setup_when_required(tenant, settings, required):
    settings.STAFF_MFA_REQUIRED = required
    staff = make_staff(tenant, "finance")
    response = client_for(tenant, staff).get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/2fa/totp/activate")
