"""A row added through an inline belongs to the request's tenant (TenantAdmin.save_formset)."""

import re

import pytest

from apps.campaigns.models import MerchantDomain
from tests.campaigns.factories import MerchantFactory
from tests.conftest import client_for, make_staff

pytestmark = pytest.mark.django_db


def _form_data(html: str) -> dict[str, str]:
    """The change form's current values (inputs and selected options), as a browser posts."""
    data = {}
    for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html):
        data.setdefault(name, value)
    for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', html, re.S):
        chosen = re.search(r'<option value="([^"]*)"[^>]*selected', body)
        data[name] = chosen.group(1) if chosen else ""
    return {k: v for k, v in data.items() if not k.startswith("_") and "__prefix__" not in k}


def test_a_domain_added_inline_is_saved_in_the_merchants_tenant(tenant):
    merchant = MerchantFactory(tenant=tenant)
    client = client_for(tenant, make_staff(tenant))
    url = f"/admin/campaigns/merchant/{merchant.pk}/change/"
    data = _form_data(client.get(url).content.decode())
    prefix = next(k for k in data if k.endswith("-TOTAL_FORMS")).removesuffix("-TOTAL_FORMS")
    data.update(
        {
            f"{prefix}-TOTAL_FORMS": "1",
            f"{prefix}-INITIAL_FORMS": "0",
            f"{prefix}-0-domain": "new-shop.example.com",
            "_save": "Save",
        }
    )
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    domain = MerchantDomain.objects.get(domain="new-shop.example.com")
    assert domain.tenant_id == tenant.pk
    assert domain.merchant_id == merchant.pk
