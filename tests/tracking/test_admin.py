"""The tracking back office: read-only lists that stay cheap at any size."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.conftest import client_for, make_staff
from tests.tracking.factories import ClickFactory, ConversionFactory, ConversionItemFactory

pytestmark = pytest.mark.django_db


def queries_for(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured.captured_queries)


def test_click_list_costs_the_same_for_1_and_40_clicks(tenant):
    client = client_for(tenant, make_staff(tenant, "risk"))
    first = ClickFactory(tenant=tenant)
    url = "/admin/tracking/click/?verdict=&day="
    few = queries_for(client, "/admin/tracking/click/")
    ClickFactory.create_batch(39, tenant=tenant)
    many = queries_for(client, "/admin/tracking/click/")
    assert few == many
    assert str(first.click_id) in client.get("/admin/tracking/click/").content.decode()
    assert client.get(url).status_code == 200


def test_click_search_and_filters_never_fail_on_odd_input(tenant):
    client = client_for(tenant, make_staff(tenant, "risk"))
    click = ClickFactory(tenant=tenant)
    found = client.get("/admin/tracking/click/", {"q": str(click.click_id)})
    assert str(click.click_id) in found.content.decode()
    for params in ({"q": "not-a-uuid"}, {"day": "2026-13-45"}, {"verdict": "valid"}):
        response = client.get("/admin/tracking/click/", params)
        assert response.status_code == 200
        assert f"/admin/tracking/click/{click.pk}/change/" not in response.content.decode()


def test_conversions_are_read_only_with_their_items(tenant):
    client = client_for(tenant, make_staff(tenant))
    item = ConversionItemFactory(tenant=tenant, sku="SKU-INLINE")
    conversion = item.conversion
    page = client.get(f"/admin/tracking/conversion/{conversion.pk}/change/")
    assert page.status_code == 200
    assert "SKU-INLINE" in page.content.decode()
    assert client.get("/admin/tracking/conversion/add/").status_code == 403
    response = client.post(f"/admin/tracking/conversion/{conversion.pk}/change/", {"amount": "1"})
    assert response.status_code == 403
    conversion.refresh_from_db()
    assert str(conversion.amount) == "200.00"


def test_other_tenants_conversions_are_not_found(tenant, other_tenant):
    client = client_for(tenant, make_staff(tenant))
    theirs = ConversionFactory(tenant=other_tenant)
    assert client.get(f"/admin/tracking/conversion/{theirs.pk}/change/").status_code == 404
    listing = client.get("/admin/tracking/conversion/", {"q": theirs.external_id})
    assert f"/admin/tracking/conversion/{theirs.pk}/change/" not in listing.content.decode()
