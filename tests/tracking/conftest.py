"""Shared fixtures of the tracking tests: a live placement and a merchant with a product."""

from dataclasses import dataclass

import pytest

from apps.campaigns.models import Merchant, MerchantDomain, Product
from apps.sites.models import Placement
from apps.tenants.models import Tenant
from apps.tenants.selectors import clear_host_cache
from tests.campaigns.factories import MerchantDomainFactory, MerchantFactory, ProductFactory
from tests.sites.factories import PlacementFactory


@pytest.fixture(autouse=True)
def _fresh_host_cache():
    clear_host_cache()
    yield
    clear_host_cache()


@dataclass
class Shop:
    tenant: Tenant
    placement: Placement
    merchant: Merchant
    product: Product
    domain: MerchantDomain


def make_shop(tenant: Tenant, *, code: str = "PLACE1", sku: str = "SKU-1") -> Shop:
    placement = PlacementFactory(tenant=tenant, code=code)
    merchant = MerchantFactory(tenant=tenant)
    domain = MerchantDomainFactory(tenant=tenant, merchant=merchant, domain="shop.example.com")
    product = ProductFactory(
        tenant=tenant, merchant=merchant, sku=sku, url="https://shop.example.com/p/1?color=red"
    )
    return Shop(tenant, placement, merchant, product, domain)


@pytest.fixture
def shop(tenant: Tenant) -> Shop:
    return make_shop(tenant)
