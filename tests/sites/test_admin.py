"""Sites, placements and contracts in the back office: new rows through the services (a
refusal is a form error naming the clash), reviews as confirmed bulk actions."""

import datetime
from decimal import Decimal

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.sites.models import Contract, Placement, Site
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.conftest import client_for, make_staff
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bd(tenant):
    return make_staff(tenant, "bd")


@pytest.fixture
def bd_client(tenant, bd):
    return client_for(tenant, bd)


def _contracts(tenant):
    with tenant_scope(tenant):
        return list(Contract.objects.order_by("starts_on").values_list("starts_on", "ends_on"))


def test_overlapping_contract_is_a_form_error_naming_the_clash(tenant, bd_client):
    placement = PlacementFactory(tenant=tenant, code="SLOT01")
    ContractFactory(
        tenant=tenant,
        placement=placement,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 6, 30),
    )
    data = {
        "placement": placement.pk,
        "daily_guarantee": "400.00",
        "click_rate": "0.12",
        "starts_on": "2026-06-01",
        "ends_on": "",
    }
    response = bd_client.post("/admin/websites/contract/add/", data)
    assert response.status_code == 200
    assert (
        "Placement SLOT01 already has an active contract from 2026-01-01 to 2026-06-30 that "
        "overlaps these dates." in response.content.decode()
    )
    assert _contracts(tenant) == [(datetime.date(2026, 1, 1), datetime.date(2026, 6, 30))]
    # the day after the old terms end is fine; history records who added it
    data["starts_on"] = "2026-07-01"
    response = bd_client.post("/admin/websites/contract/add/", data)
    assert response.status_code == 302
    new = Contract.objects.get(starts_on=datetime.date(2026, 7, 1))
    assert (new.daily_guarantee, new.click_rate) == (Decimal("400.00"), Decimal("0.1200"))
    assert new.history.get().history_user is not None
    history = bd_client.get(f"/admin/websites/contract/{new.pk}/history/")
    assert history.status_code == 200


def test_contract_form_offers_no_other_tenants_placement(tenant, other_tenant, bd_client):
    theirs = PlacementFactory(tenant=other_tenant)
    data = {
        "placement": theirs.pk,
        "daily_guarantee": "1.00",
        "click_rate": "0.10",
        "starts_on": "2026-01-01",
    }
    response = bd_client.post("/admin/websites/contract/add/", data)
    assert response.status_code == 200
    assert _contracts(other_tenant) == []


def test_placement_with_a_taken_code_is_a_form_error(tenant, bd_client):
    PlacementFactory(tenant=tenant, code="TAKEN1")
    site = SiteFactory(tenant=tenant)
    data = {"site": site.pk, "code": "TAKEN1", "position": "banner", "floor_cpm": "0", "name": ""}
    response = bd_client.post("/admin/websites/placement/add/", data)
    assert (
        "The placement code TAKEN1 is already taken in this network." in response.content.decode()
    )
    data["code"] = ""
    assert bd_client.post("/admin/websites/placement/add/", data).status_code == 302
    assert Placement.objects.filter(site=site).count() == 1
    assert len(Placement.objects.get(site=site).code) == 8  # generated


def test_site_add_goes_through_site_register(tenant, bd_client):
    affiliate = AffiliateFactory(tenant=tenant)
    SiteFactory(tenant=tenant, url="https://taken.example.org/")
    data = {"affiliate": affiliate.pk, "url": "https://TAKEN.example.org", "name": "X"}
    response = bd_client.post("/admin/websites/site/add/", {**data, "category": ""})
    assert "https://taken.example.org/ is already registered" in response.content.decode()
    data["url"] = "https://fresh.example.org"
    assert (
        bd_client.post("/admin/websites/site/add/", {**data, "category": "news"}).status_code == 302
    )
    site = Site.objects.get(url="https://fresh.example.org/")
    assert (site.status, site.category) == ("pending", "news")


def test_site_review_actions_confirm_first(tenant, bd_client):
    sites = [SiteFactory(tenant=tenant, status="pending") for _ in range(2)]
    data = {"action": "approve", ACTION_CHECKBOX_NAME: [s.pk for s in sites]}
    page = bd_client.post("/admin/websites/site/", data).content.decode()
    assert "Approve these 2 site(s)?" in page
    assert set(Site.objects.values_list("status", flat=True)) == {"pending"}
    bd_client.post("/admin/websites/site/", {**data, "post": "yes"})
    assert set(Site.objects.values_list("status", flat=True)) == {"approved"}


def test_terminate_contract_needs_a_reason(tenant, bd_client):
    contract = ContractFactory(tenant=tenant)
    data = {"action": "terminate", ACTION_CHECKBOX_NAME: [contract.pk], "post": "yes"}
    assert bd_client.post("/admin/websites/contract/", data).status_code == 200  # form error
    bd_client.post("/admin/websites/contract/", {**data, "reason": "site closed"})
    contract.refresh_from_db()
    assert (contract.status, contract.terminated_reason) == ("terminated", "site closed")


@pytest.mark.parametrize(
    ("url", "make"),
    [
        ("/admin/websites/site/", lambda t: SiteFactory(tenant=t)),
        ("/admin/websites/placement/", lambda t: PlacementFactory(tenant=t)),
        ("/admin/websites/contract/", lambda t: ContractFactory(tenant=t)),
    ],
)
def test_changelists_have_a_constant_query_count(tenant, bd_client, url, make):
    def queries():
        with CaptureQueriesContext(connection) as ctx:
            assert bd_client.get(url).status_code == 200
        return len(ctx.captured_queries)

    make(tenant)
    few = queries()
    for _ in range(8):
        make(tenant)
    assert queries() == few
