"""BD's webmaster list (issue 3): filters, search, bulk actions with a confirmation step,
read-only payment hold, constant query counts, export in the import format."""

import csv
import io

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.affiliates.models import Affiliate
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.affiliates.import_files import AFFILIATE_HEADER
from tests.conftest import client_for, make_staff
from tests.sites.factories import ContractFactory, PlacementFactory, SiteFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/affiliates/affiliate/"


@pytest.fixture
def bd(tenant):
    return make_staff(tenant, "bd", email="bd@alpha.example")


@pytest.fixture
def bd_client(tenant, bd):
    return client_for(tenant, bd)


def _status(tenant, affiliate):
    with tenant_scope(tenant):
        return Affiliate.objects.get(pk=affiliate.pk).status


def _action(client, action, affiliates, **extra):
    data = {"action": action, ACTION_CHECKBOX_NAME: [a.pk for a in affiliates], **extra}
    return client.post(CHANGELIST, data)


class TestBulkActions:
    def test_approve_asks_for_confirmation_then_approves_and_emails(
        self, tenant, bd_client, django_capture_on_commit_callbacks
    ):
        # given: two pending webmasters
        pending = [AffiliateFactory(tenant=tenant, status="pending") for _ in range(2)]
        # when: the action is chosen on the list
        response = _action(bd_client, "approve", pending)
        # then: a confirmation page listing both, and nothing changed yet
        assert response.status_code == 200
        page = response.content.decode()
        assert "Approve these 2 webmaster(s)?" in page
        assert all(a.email in page for a in pending)
        assert [_status(tenant, a) for a in pending] == ["pending", "pending"]
        assert mail.outbox == []
        # when: confirmed
        with django_capture_on_commit_callbacks(execute=True):
            response = _action(bd_client, "approve", pending, post="yes")
        # then
        assert response.status_code == 302
        assert [_status(tenant, a) for a in pending] == ["active", "active"]
        assert sorted(m.to[0] for m in mail.outbox) == sorted(a.email for a in pending)

    def test_assign_owner_offers_only_this_tenants_staff(self, tenant, other_tenant, bd_client):
        leads = [AffiliateFactory(tenant=tenant, status="lead") for _ in range(3)]
        owner = make_staff(tenant, "bd", email="owner@alpha.example")
        outsider = make_staff(other_tenant, "bd", email="outsider@beta.example")
        page = _action(bd_client, "assign_owner", leads).content.decode()
        assert "owner@alpha.example" in page
        assert "outsider@beta.example" not in page
        # another tenant's staff member is refused by the form; nothing changes
        response = _action(bd_client, "assign_owner", leads, post="yes", owner=outsider.pk)
        assert response.status_code == 200
        assert not Affiliate.objects.filter(bd_owner__isnull=False).exists()
        response = _action(bd_client, "assign_owner", leads, post="yes", owner=owner.pk)
        assert response.status_code == 302
        assert set(Affiliate.objects.values_list("bd_owner", flat=True)) == {owner.pk}

    def test_suspend_refusal_names_the_webmaster_and_changes_nothing(self, tenant, bd_client):
        active = AffiliateFactory(tenant=tenant, status="active")
        lead = AffiliateFactory(tenant=tenant, status="lead", email="lead@pub.example")
        response = _action(bd_client, "suspend", [active, lead], post="yes", reason="fraud")
        assert response.status_code == 302
        assert _status(tenant, active) == "suspended"
        assert _status(tenant, lead) == "lead"
        page = bd_client.get(CHANGELIST).content.decode()
        assert "lead@pub.example cannot move from lead to suspended" in page

    def test_actions_ignore_another_tenants_ids(self, tenant, other_tenant, bd_client):
        theirs = AffiliateFactory(tenant=other_tenant, status="pending")
        _action(bd_client, "approve", [theirs], post="yes")
        assert _status(other_tenant, theirs) == "pending"

    def test_finance_may_look_but_not_act(self, tenant):
        pending = AffiliateFactory(tenant=tenant, status="pending")
        finance = client_for(tenant, make_staff(tenant, "finance"))
        assert finance.get(CHANGELIST).status_code == 200
        _action(finance, "approve", [pending], post="yes")
        assert _status(tenant, pending) == "pending"


class TestList:
    def test_filters_by_status_owner_kind_and_site_category(self, tenant, bd, bd_client):
        news = SiteFactory(tenant=tenant, category="news").affiliate
        SiteFactory(tenant=tenant, category="news", affiliate=news)  # two news sites: once
        deals = SiteFactory(tenant=tenant, category="deals").affiliate
        owned = AffiliateFactory(tenant=tenant, bd_owner=bd, kind="cashback", status="lead")

        def listed(**params):
            page = bd_client.get(CHANGELIST, params).content.decode()
            return {a.email for a in (news, deals, owned) if a.email in page}

        assert listed(site_category="news") == {news.email}
        assert listed(bd_owner=str(bd.pk)) == {owned.email}
        assert listed(bd_owner="none") == {news.email, deals.email}
        assert listed(kind__exact="cashback") == {owned.email}
        assert listed(status__exact="lead") == {owned.email}
        assert listed(q=deals.email) == {deals.email}
        assert (
            bd_client.get(CHANGELIST, {"site_category": "news"})
            .content.decode()
            .count(f"/admin/affiliates/affiliate/{news.pk}/change/")
            == 1
        )

    def test_owner_filter_lists_only_this_tenants_staff(self, tenant, other_tenant, bd_client):
        make_staff(other_tenant, "bd", email="outsider@beta.example")
        assert "outsider@beta.example" not in bd_client.get(CHANGELIST).content.decode()

    def test_changelist_query_count_does_not_grow_with_rows(self, tenant, bd, bd_client):
        def queries():
            with CaptureQueriesContext(connection) as ctx:
                assert bd_client.get(CHANGELIST).status_code == 200
            return len(ctx.captured_queries)

        AffiliateFactory(tenant=tenant, bd_owner=bd)
        few = queries()
        for _ in range(10):
            SiteFactory(tenant=tenant, affiliate=AffiliateFactory(tenant=tenant, bd_owner=bd))
        assert queries() == few

    def test_payment_hold_is_read_only(self, tenant, bd_client):
        affiliate = AffiliateFactory(tenant=tenant)
        url = f"{CHANGELIST}{affiliate.pk}/change/"
        page = bd_client.get(url).content.decode()
        assert 'name="payment_hold"' not in page
        bd_client.post(
            url,
            {
                "name": "Renamed",
                "email": affiliate.email,
                "kind": "content",
                "payout_method": "bank_transfer",
                "payment_hold": "on",
                "notes-TOTAL_FORMS": "0",
                "notes-INITIAL_FORMS": "0",
            },
        )
        affiliate.refresh_from_db()
        assert (affiliate.name, affiliate.kind, affiliate.payment_hold) == (
            "Renamed",
            "content",
            False,
        )


class TestExport:
    def test_export_is_the_import_format_with_formulas_escaped(self, tenant, bd, bd_client):
        affiliate = AffiliateFactory(tenant=tenant, name='=HYPERLINK("http://x")', bd_owner=bd)
        site = SiteFactory(tenant=tenant, affiliate=affiliate, name="+cmd", category="@news")
        ContractFactory(tenant=tenant, placement=PlacementFactory(tenant=tenant, site=site))
        response = bd_client.post(f"{CHANGELIST}export/", {"format": "0", "resource": "0"})
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
        assert rows[0] == AFFILIATE_HEADER
        row = dict(zip(rows[0], rows[1], strict=True))
        assert row["name"] == '\'=HYPERLINK("http://x")'
        assert row["site_name"] == "'+cmd"
        assert row["site_category"] == "'@news"
        assert (row["daily_guarantee"], row["click_rate"], row["contract_start"]) == (
            "500.00",
            "0.1000",
            "2026-01-01",
        )
        assert row["bd_owner_email"] == bd.email

    def test_export_holds_only_this_tenants_webmasters(self, tenant, other_tenant, bd_client):
        PlacementFactory(tenant=tenant)
        theirs = PlacementFactory(tenant=other_tenant)
        response = bd_client.post(f"{CHANGELIST}export/", {"format": "0", "resource": "0"})
        body = response.content.decode("utf-8-sig")
        assert len(body.strip().splitlines()) == 2
        assert theirs.code not in body


def test_add_webmaster_with_a_note_goes_through_the_services(tenant, bd, bd_client):
    AffiliateFactory(tenant=tenant, email="taken@pub.example")
    data = {
        "name": "New Publisher",
        "email": "new@pub.example",
        "kind": "influencer",
        "payout_method": "alipay",
        "bd_owner": bd.pk,
        "notes-TOTAL_FORMS": "1",
        "notes-INITIAL_FORMS": "0",
        "notes-0-noted_on": "2026-03-01",
        "notes-0-body": "Met at the fair.",
    }
    response = bd_client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 302
    created = Affiliate.objects.get(email="new@pub.example")
    assert (created.status, created.kind, created.bd_owner) == ("lead", "influencer", bd)
    note = created.notes.get()
    assert (note.body, note.author) == ("Met at the fair.", bd)
    assert created.history.first().history_user == bd


def test_add_webmaster_with_a_taken_email_is_a_field_error(tenant, bd_client):
    AffiliateFactory(tenant=tenant, email="taken@pub.example")
    data = {
        "name": "Dup",
        "email": "TAKEN@pub.example",
        "kind": "webmaster",
        "payout_method": "alipay",
        "notes-TOTAL_FORMS": "0",
        "notes-INITIAL_FORMS": "0",
    }
    response = bd_client.post(f"{CHANGELIST}add/", data)
    assert response.status_code == 200
    assert (
        "A webmaster with the email TAKEN@pub.example already exists." in response.content.decode()
    )
    assert Affiliate.objects.count() == 1
