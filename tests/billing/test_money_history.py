"""History on the money settings (issue 21): the tenant's money rules and product prices."""

from decimal import Decimal

import pytest

from apps.campaigns.services.products import product_upsert
from apps.tenants.services import TenantError, tenant_settings_update
from tests.campaigns.factories import MerchantDomainFactory, MerchantFactory
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

SETTINGS = {
    "claim_tolerance": Decimal("0.0500"),
    "minimum_payout": Decimal("250.00"),
    "lock_period_days": 14,
    "ip_daily_cap": 10,
    "dedupe_window_hours": 12,
}


def test_tenant_money_settings_keep_who_changed_what(tenant):
    finance = make_staff(tenant, "tenant_admin")
    before = tenant.history.count()
    tenant_settings_update(tenant=tenant, actor=finance, reason="new terms", **SETTINGS)
    tenant_settings_update(tenant=tenant, actor=finance, **SETTINGS)  # no change: no row
    rows = list(tenant.history.order_by("history_date"))
    assert len(rows) == before + 1
    latest = rows[-1]
    assert latest.history_user == finance
    assert latest.history_change_reason.startswith("new terms")
    assert {name: getattr(latest, name) for name in SETTINGS} == SETTINGS


def test_unknown_or_invalid_settings_are_refused(tenant):
    with pytest.raises(TenantError) as refused:
        tenant_settings_update(tenant=tenant, slug="other")
    assert "slug" in refused.value.fields
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        tenant_settings_update(tenant=tenant, claim_tolerance=Decimal("1.5"))


def test_product_price_changes_are_kept_and_a_repeated_feed_writes_none(scoped):
    merchant = MerchantFactory(tenant=scoped)
    MerchantDomainFactory(tenant=scoped, merchant=merchant, domain="shop.example.com")
    item = {"sku": "A-1", "title": "Kettle", "url": "https://shop.example.com/a1"}
    product, _ = product_upsert(merchant=merchant, price="10.00", **item)
    product_upsert(merchant=merchant, price="10.00", **item)
    product_upsert(merchant=merchant, price="12.50", **item)
    prices = list(product.history.order_by("history_date").values_list("price", flat=True))
    assert prices == [Decimal("10.00"), Decimal("12.50")]
