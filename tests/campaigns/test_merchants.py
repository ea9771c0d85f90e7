"""Merchants (issue 3): services, the back office's invite and domains, and the export."""

import csv
import io

import pytest
from django.core import mail

from apps.campaigns.models import Merchant, MerchantDomain, MerchantUser
from apps.campaigns.services.merchants import (
    MerchantError,
    merchant_create,
    merchant_domains_set,
    merchant_update,
    merchant_user_invite,
)
from apps.tenants.models import User
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantDomainFactory, MerchantFactory, MerchantUserFactory
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db


class TestServices:
    def test_create_with_domains_and_default_quota(self, scoped):
        merchant = merchant_create(
            code="ACME",
            name="Acme",
            tier="brand",
            contact_email="ops@acme.example",
            domains=["https://Shop.Acme.example/path", "acme.example", "acme.example"],
        )
        assert (merchant.plan_quota, merchant.tier) == (200, "brand")
        assert sorted(merchant.domains.values_list("domain", flat=True)) == [
            "acme.example",
            "shop.acme.example",
        ]
        assert merchant.history.count() == 1

    def test_code_is_unique_case_insensitively_and_nothing_is_written(self, scoped):
        merchant_create(code="ACME", name="Acme", contact_email="a@acme.example")
        with pytest.raises(MerchantError, match="code acme already exists"):
            merchant_create(code="acme", name="Other", contact_email="b@acme.example")
        assert Merchant.objects.count() == 1

    def test_bad_tier_quota_and_email_are_refused(self, scoped):
        with pytest.raises(MerchantError, match="tier"):
            merchant_create(code="X1", name="X", tier="gold", contact_email="x@x.example")
        with pytest.raises(MerchantError, match="plan_quota"):
            merchant_create(code="X1", name="X", contact_email="x@x.example", plan_quota=0)
        assert Merchant.objects.count() == 0

    def test_a_domain_belongs_to_one_merchant(self, scoped):
        taken = MerchantDomainFactory(tenant=scoped, domain="shared.example")
        other = MerchantFactory(tenant=scoped)
        with pytest.raises(
            MerchantError, match=f"already belongs to merchant {taken.merchant.code}"
        ):
            merchant_domains_set(merchant=other, domains=["new.example", "shared.example"])
        assert not MerchantDomain.objects.filter(merchant=other).exists()

    def test_domains_set_replaces_the_set(self, scoped):
        merchant = MerchantFactory(tenant=scoped)
        merchant_domains_set(merchant=merchant, domains=["a.example", "b.example"])
        merchant_domains_set(merchant=merchant, domains=["b.example", "c.example"])
        assert sorted(merchant.domains.values_list("domain", flat=True)) == [
            "b.example",
            "c.example",
        ]

    def test_update_changes_fields_and_keeps_history(self, scoped):
        merchant = MerchantFactory(tenant=scoped, plan_quota=200)
        merchant = merchant_update(merchant=merchant, plan_quota=500, tier="high_potential")
        assert (merchant.plan_quota, merchant.tier) == (500, "high_potential")
        with pytest.raises(MerchantError, match="code"):
            merchant_update(merchant=merchant, code="NEW")

    def test_invite_creates_the_user_and_sends_the_notice(
        self, scoped, django_capture_on_commit_callbacks
    ):
        merchant = MerchantFactory(tenant=scoped, name="Acme")
        with django_capture_on_commit_callbacks(execute=True):
            invited = merchant_user_invite(merchant=merchant, email="Buyer@Acme.example")
        assert invited.user.email == "buyer@acme.example"
        assert [m.to for m in mail.outbox] == [["buyer@acme.example"]]
        assert "Acme" in mail.outbox[0].subject
        # again: a no-op, no second mail
        with django_capture_on_commit_callbacks(execute=True):
            again = merchant_user_invite(merchant=merchant, email="buyer@acme.example")
        assert again.pk == invited.pk
        assert len(mail.outbox) == 1

    def test_a_person_acts_for_one_merchant_per_tenant(self, scoped):
        existing = MerchantUserFactory(tenant=scoped)
        other = MerchantFactory(tenant=scoped)
        with pytest.raises(
            MerchantError, match=f"already acts for merchant {existing.merchant.code}"
        ):
            merchant_user_invite(merchant=other, email=existing.user.email)
        assert MerchantUser.objects.count() == 1


class TestAdmin:
    @pytest.fixture
    def bd_client(self, tenant):
        return client_for(tenant, make_staff(tenant, "bd"))

    def test_invite_page_sends_the_invitation_mail(
        self, tenant, bd_client, django_capture_on_commit_callbacks
    ):
        merchant = MerchantFactory(tenant=tenant, code="ACME")
        url = f"/admin/campaigns/merchant/{merchant.pk}/invite-user/"
        assert "Send invitation" in bd_client.get(url).content.decode()
        with django_capture_on_commit_callbacks(execute=True):
            response = bd_client.post(url, {"email": "new.buyer@acme.example", "post": "yes"})
        assert response.status_code == 302
        recipients = sorted(tuple(m.to) for m in mail.outbox)
        # allauth's set-password link (the account is new) and the merchant notice
        assert recipients == [("new.buyer@acme.example",), ("new.buyer@acme.example",)]
        user = User.objects.get(email="new.buyer@acme.example")
        assert MerchantUser.objects.get(user=user).merchant == merchant

    def test_invite_page_of_another_tenants_merchant_is_404(self, tenant, other_tenant, bd_client):
        theirs = MerchantFactory(tenant=other_tenant)
        url = f"/admin/campaigns/merchant/{theirs.pk}/invite-user/"
        assert bd_client.post(url, {"email": "x@x.example", "post": "yes"}).status_code == 404
        assert not User.objects.filter(email="x@x.example").exists()

    def test_add_merchant_with_domains_through_the_services(self, tenant, bd_client):
        MerchantDomainFactory(tenant=tenant, domain="taken.example")
        data = {
            "code": "NEW1",
            "name": "New",
            "tier": "smb",
            "contact_email": "n@new.example",
            "plan_quota": "200",
            "is_active": "on",
            "domains-TOTAL_FORMS": "2",
            "domains-INITIAL_FORMS": "0",
            "domains-0-domain": "new.example",
            "domains-1-domain": "taken.example",
            "users-TOTAL_FORMS": "0",
            "users-INITIAL_FORMS": "0",
        }
        response = bd_client.post("/admin/campaigns/merchant/add/", data)
        assert response.status_code == 200
        assert "taken.example already belongs to merchant" in response.content.decode()
        assert not Merchant.objects.filter(code="NEW1").exists()
        data["domains-1-domain"] = "shop.new.example"
        assert bd_client.post("/admin/campaigns/merchant/add/", data).status_code == 302
        merchant = Merchant.objects.get(code="NEW1")
        assert sorted(merchant.domains.values_list("domain", flat=True)) == [
            "new.example",
            "shop.new.example",
        ]

    def test_export_is_the_import_format_with_formulas_escaped(self, tenant, bd_client):
        merchant = MerchantFactory(
            tenant=tenant, code="M1", name="=2+3", contact_email="a@m.example"
        )
        MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="m1.example")
        MerchantFactory(tenant=tenant, code="M2", name="-minus")
        response = bd_client.post(
            "/admin/campaigns/merchant/export/", {"format": "0", "resource": "0"}
        )
        rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert list(rows[0]) == [
            "code",
            "name",
            "tier",
            "contact_email",
            "domains",
            "plan_quota",
            "currency",
        ]
        by_code = {row["code"]: row for row in rows}
        assert by_code["M1"]["name"] == "'=2+3"
        assert by_code["M1"]["domains"] == "m1.example"
        assert by_code["M2"]["name"] == "'-minus"
        assert by_code["M2"]["plan_quota"] == "200"


def test_merchants_of_another_tenant_are_separate(tenant, other_tenant):
    with tenant_scope(other_tenant):
        merchant_create(
            code="ACME", name="B's Acme", contact_email="b@acme.example", domains=["acme.example"]
        )
    merchant = merchant_create(
        code="ACME", name="A's Acme", contact_email="a@acme.example", domains=["acme.example"]
    )
    assert Merchant.objects.count() == 1
    assert merchant.domains.count() == 1


def test_selectors_read_only_this_tenants_merchants(tenant, other_tenant):
    from apps.campaigns.selectors.merchants import (
        merchant_domain_owner,
        merchant_for_user,
        merchant_get_by_code,
        merchant_list,
    )

    theirs = MerchantUserFactory(tenant=other_tenant)
    MerchantDomainFactory(tenant=other_tenant, merchant=theirs.merchant, domain="b.example")
    mine = MerchantDomainFactory(tenant=tenant, domain="a.example").merchant
    assert [m.pk for m in merchant_list()] == [mine.pk]
    assert merchant_list()[0].domain_count == 1
    assert merchant_get_by_code(code=mine.code.lower()) == mine
    assert merchant_get_by_code(code=theirs.merchant.code) is None
    assert merchant_for_user(user=theirs.user) is None
    assert merchant_domain_owner(domain="A.example") == mine
    assert merchant_domain_owner(domain="b.example") is None
