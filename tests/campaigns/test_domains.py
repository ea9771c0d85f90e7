"""Verified merchant domains: what may be a merchant's domain, how it is proven, and that only
verified domains take deep links and product redirects (issues 12 and 22)."""

import pytest
from django.core.management import call_command

from apps.campaigns import domains as domain_rules
from apps.campaigns.models import MerchantDomain
from apps.campaigns.services.merchants import (
    MerchantError,
    merchant_domain_instructions,
    merchant_domain_verify,
    merchant_domain_verify_by_hand,
    merchant_domains_set,
)
from apps.tracking.models import Click
from tests.campaigns.factories import MerchantDomainFactory, MerchantFactory, ProductFactory
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory

pytestmark = pytest.mark.django_db


class TestWhatADomainMayBe:
    @pytest.mark.parametrize("suffix", ["co.uk", "github.io", "blogspot.com", "s3.amazonaws.com"])
    def test_a_public_suffix_is_refused(self, scoped, suffix):
        merchant = MerchantFactory(tenant=scoped)
        with pytest.raises(MerchantError) as refused:
            merchant_domains_set(merchant=merchant, domains=[suffix])
        assert refused.value.code == "merchant_domain_public_suffix"
        assert refused.value.fields == {"domains": [refused.value.message]}
        assert not MerchantDomain.objects.filter(merchant=merchant).exists()

    def test_a_name_under_a_private_suffix_is_its_owners(self, scoped):
        merchant = MerchantFactory(tenant=scoped)
        merchant_domains_set(merchant=merchant, domains=["acme.github.io", "shop.example.co.uk"])
        assert sorted(merchant.domains.values_list("domain", flat=True)) == [
            "acme.github.io",
            "shop.example.co.uk",
        ]

    @pytest.mark.parametrize(
        "wanted", ["shop.example.com", "example.com", "m.example.com", "SHOP.Example.com."]
    )
    def test_another_merchants_registrable_domain_is_refused(self, scoped, wanted):
        holder = MerchantFactory(tenant=scoped, code="HOLDER")
        MerchantDomainFactory(tenant=scoped, merchant=holder, domain="shop.example.com")
        other = MerchantFactory(tenant=scoped)
        with pytest.raises(MerchantError, match="already belongs to merchant HOLDER") as refused:
            merchant_domains_set(merchant=other, domains=["fine.example.org", wanted])
        assert refused.value.code == "merchant_domain_taken"
        assert not MerchantDomain.objects.filter(merchant=other).exists()

    def test_another_tenants_merchant_does_not_hold_it_here(self, tenant, other_tenant):
        MerchantDomainFactory(tenant=other_tenant, domain="shop.example.com")
        merchant = MerchantFactory(tenant=tenant)
        merchant_domains_set(merchant=merchant, domains=["shop.example.com"])
        assert merchant.domains.get().domain == "shop.example.com"


class TestVerification:
    def test_a_new_domain_is_pending_and_gets_a_token_of_its_own(self, scoped):
        merchant = MerchantFactory(tenant=scoped)
        a, b = merchant_domains_set(merchant=merchant, domains=["a.example", "b.example"])
        assert (a.is_verified, b.is_verified) == (False, False)
        assert a.verification_token != b.verification_token
        assert merchant_domain_instructions(a)["dns_txt"] == (
            f"alliance-domain-verification={a.verification_token}"
        )

    def test_a_txt_record_verifies(self, scoped, monkeypatch):
        (domain,) = merchant_domains_set(
            merchant=MerchantFactory(tenant=scoped), domains=["a.example"]
        )
        published = {
            "a.example": [
                "v=spf1 -all",
                f"alliance-domain-verification={domain.verification_token}",
            ]
        }
        monkeypatch.setattr(domain_rules, "txt_records", lambda name: published.get(name, []))
        verified = merchant_domain_verify(domain=domain)
        assert (verified.is_verified, verified.verification_method) == (True, "dns")
        assert verified.history.first().history_change_reason == "verified (dns)"

    def test_the_well_known_file_verifies(self, scoped, monkeypatch):
        (domain,) = merchant_domains_set(
            merchant=MerchantFactory(tenant=scoped), domains=["a.example"]
        )
        asked = []

        def fetch(url):
            asked.append(url)
            return 200, f"{domain.verification_token}\n"

        monkeypatch.setattr(domain_rules, "fetch_proof_file", fetch)
        verified = merchant_domain_verify(domain=domain)
        assert (verified.is_verified, verified.verification_method) == (True, "file")
        assert asked == ["https://a.example/.well-known/alliance-verification.txt"]

    def test_no_proof_stays_pending_and_says_what_was_looked_for(self, scoped, monkeypatch):
        (domain,) = merchant_domains_set(
            merchant=MerchantFactory(tenant=scoped), domains=["a.example"]
        )
        monkeypatch.setattr(domain_rules, "fetch_proof_file", lambda url: (404, ""))
        checked = merchant_domain_verify(domain=domain)
        assert checked.is_verified is False
        assert "no TXT record alliance-domain-verification=" in checked.last_verification_error
        assert "answered 404" in checked.last_verification_error

    def test_staff_verify_by_hand_with_a_reason_in_history(self, scoped, staff_user):
        (domain,) = merchant_domains_set(
            merchant=MerchantFactory(tenant=scoped), domains=["a.example"]
        )
        with pytest.raises(MerchantError) as refused:
            merchant_domain_verify_by_hand(domain=domain, actor=staff_user, reason=" ")
        assert refused.value.fields == {"reason": [refused.value.message]}
        verified = merchant_domain_verify_by_hand(
            domain=domain, actor=staff_user, reason="signed contract 2026-03"
        )
        assert (verified.is_verified, verified.verification_method) == (True, "staff")
        last = verified.history.first()
        assert (last.history_user, last.history_change_reason) == (
            staff_user,
            "by hand: signed contract 2026-03",
        )

    def test_imports_and_demo_data_create_them_verified(self, scoped):
        merchant = MerchantFactory(tenant=scoped)
        (domain,) = merchant_domains_set(
            merchant=merchant, domains=["a.example"], verified=True, method="import"
        )
        assert (domain.is_verified, domain.verification_method) == (True, "import")


def _deep_link(tenant, url):
    return client_for(tenant).get("/c/PLACE1", {"url": url})


class TestDeepLinks:
    @pytest.fixture
    def placement(self, tenant):
        return PlacementFactory(tenant=tenant, code="PLACE1")

    def test_only_verified_domains_and_their_subdomains_take_deep_links(self, tenant, placement):
        merchant = MerchantFactory(tenant=tenant)
        MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="shop.example.com")
        MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="new.example.org",
                              verified_at=None)  # fmt: skip
        assert _deep_link(tenant, "https://shop.example.com/sale").status_code == 302
        assert _deep_link(tenant, "https://m.shop.example.com/sale").status_code == 302
        for refused in [
            "https://new.example.org/",  # pending
            "https://co.uk/",
            "https://evil.github.io/",
            "https://example.com/",  # the parent of a verified domain is not verified
        ]:
            assert _deep_link(tenant, refused).status_code == 400, refused
        assert Click.objects.count() == 2

    def test_a_product_off_its_merchants_verified_domains_stops_redirecting(
        self, tenant, placement, capsys
    ):
        merchant = MerchantFactory(tenant=tenant, code="SHOP")
        MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="shop.example.com")
        ProductFactory(tenant=tenant, merchant=merchant, sku="ON", url="https://shop.example.com/1")
        # written before domains were verified (or imported around the rule): reported, refused
        ProductFactory(
            tenant=tenant,
            merchant=merchant,
            sku="OFF",
            url="https://elsewhere.example/1",
            verified_domain=False,
        )
        client = client_for(tenant)
        assert client.get("/c/PLACE1", {"sku": "ON"}).status_code == 302
        refused = client.get("/c/PLACE1", {"sku": "OFF"})
        assert refused.status_code == 400
        assert "Location" not in refused
        assert list(Click.objects.values_list("product__sku", flat=True)) == ["ON"]
        with pytest.raises(SystemExit):
            call_command("products_off_domain", tenant=tenant.slug)
        out = capsys.readouterr().out
        assert "SHOP\tOFF\thttps://elsewhere.example/1\tnot on shop.example.com" in out
        assert out.strip().endswith("products_off_domain: 1 product(s) stop redirecting")
