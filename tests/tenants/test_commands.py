from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.tenants.models import Tenant, TenantDomain

pytestmark = pytest.mark.django_db


def test_create_tenant_creates_tenant_and_domain():
    out = StringIO()
    call_command(
        "create_tenant",
        "acme",
        "--name",
        "Acme Network",
        "--domain",
        "Acme.Example.com",
        "--currency",
        "eur",
        "--timezone",
        "Europe/Berlin",
        stdout=out,
    )
    tenant = Tenant.objects.get(slug="acme")
    assert (tenant.name, tenant.currency, tenant.timezone) == (
        "Acme Network",
        "EUR",
        "Europe/Berlin",
    )
    assert TenantDomain.objects.get(tenant=tenant).host == "acme.example.com"
    assert "Created tenant acme" in out.getvalue()


def test_create_tenant_refuses_existing_slug_and_host(tenant):
    with pytest.raises(CommandError, match="slug 'alpha' already exists"):
        call_command("create_tenant", "alpha", "--name", "X", "--domain", "x.example.com")
    call_command("create_tenant", "delta", "--name", "D", "--domain", "d.example.com")
    with pytest.raises(CommandError, match=r"host 'd\.example\.com' already serves"):
        call_command("create_tenant", "epsilon", "--name", "E", "--domain", "d.example.com")
    assert not Tenant.objects.filter(slug="epsilon").exists()


def test_create_tenant_refuses_bad_timezone_with_a_clear_error():
    with pytest.raises(CommandError, match="timezone"):
        call_command(
            "create_tenant",
            "zeta",
            "--name",
            "Z",
            "--domain",
            "z.example.com",
            "--timezone",
            "Mars/Olympus",
        )
    assert not Tenant.objects.filter(slug="zeta").exists()
