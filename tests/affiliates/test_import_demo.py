"""The onboarding demo step (loaded through the import machinery): its people and rows, and
that a rerun changes nothing."""

import time

import pytest

from apps.affiliates.models import Affiliate
from apps.campaigns.models import Merchant, MerchantDomain, MerchantUser
from apps.demo.services import DEMO_PASSWORD, DemoResult
from apps.demo.steps import onboarding
from apps.sites.models import Contract, Placement, Site
from apps.tenants.models import User
from apps.tenants.scope import tenant_scope
from apps.tenants.services import membership_grant
from tests.tenants.factories import UserFactory

pytestmark = pytest.mark.django_db


def _snapshot():
    return {
        "merchants": Merchant.objects.count(),
        "domains": MerchantDomain.objects.count(),
        "webmasters": Affiliate.objects.count(),
        "active": Affiliate.objects.filter(status="active").count(),
        "sites": Site.objects.count(),
        "placements": Placement.objects.count(),
        "contracts": Contract.objects.count(),
        "merchant users": MerchantUser.objects.count(),
    }


def test_onboarding_step_is_complete_fast_and_idempotent(tenant, other_tenant):
    membership_grant(tenant=tenant, user=UserFactory(email="bd@demo.localhost"), role="bd")
    result = DemoResult(tenant=tenant)
    started = time.monotonic()
    onboarding.seed(tenant=tenant, days=30, result=result, log=lambda _: None)
    elapsed = time.monotonic() - started
    first = _snapshot()
    onboarding.seed(tenant=tenant, days=30, result=DemoResult(tenant=tenant), log=print)
    assert _snapshot() == first
    assert set(Merchant.objects.values_list("tier", flat=True)) == {
        "brand",
        "high_potential",
        "smb",
    }
    statuses = set(Affiliate.objects.values_list("status", flat=True))
    assert {"active", "lead", "contacted", "contracted", "suspended", "pending"} <= statuses
    assert set(Affiliate.objects.values_list("kind", flat=True)) == {
        "webmaster",
        "content",
        "cashback",
        "influencer",
    }
    # active webmasters with placements but no contract exist too
    uncontracted = Placement.objects.filter(
        site__affiliate__status="active", contracts__isnull=True
    )
    assert uncontracted.exists()
    assert MerchantUser.objects.get(user__email="merchant@demo.localhost").merchant.code == ("ACME")
    demo_webmaster = Affiliate.objects.get(email="webmaster@demo.localhost")
    assert demo_webmaster.user.email == "webmaster@demo.localhost"
    assert demo_webmaster.sites.get().placements.count() == 2
    assert first["merchants"] == 6
    assert first["webmasters"] == 26
    assert first["active"] == 20
    assert first["contracts"] == 25
    for email in ("merchant@demo.localhost", "webmaster@demo.localhost"):
        user = User.objects.get(email=email)
        assert user.check_password(DEMO_PASSWORD)
        assert user.emailaddress_set.get().verified
        assert email in [login for _, login in result.logins]
    with tenant_scope(other_tenant):  # the step writes only into the tenant it is given
        assert set(_snapshot().values()) == {0}
    print(f"onboarding step: {elapsed:.2f} s")  # noqa: T201
    assert elapsed < 30  # < 10 s on an idle machine; the shared test box is loaded
