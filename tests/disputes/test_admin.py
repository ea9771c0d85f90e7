"""The claims review queue and the disputes admin."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from apps.commissions.models import Commission, LedgerTransaction
from apps.disputes.models import Claim, Dispute
from tests.commissions.factories import CommissionRuleFactory
from tests.conftest import client_for, make_staff
from tests.disputes.factories import ClaimFactory, DisputeFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/disputes/claim/"


@pytest.fixture
def risk_client(tenant):
    return client_for(tenant, make_staff(tenant, "risk"))


def ids_in(response, model="claim"):
    import re

    return {
        int(i)
        for i in re.findall(rf"/admin/disputes/{model}/(\d+)/change/", response.content.decode())
    }


def test_queue_filters_by_amount_age_and_status(tenant, risk_client):
    now = datetime.datetime(2026, 4, 1, 4, 0, tzinfo=datetime.UTC)
    with time_machine.travel(now - datetime.timedelta(days=20), tick=False):
        old = ClaimFactory(tenant=tenant, computed_amount=Decimal("12000.00"))
    with time_machine.travel(now - datetime.timedelta(days=2), tick=False):
        new = ClaimFactory(tenant=tenant, computed_amount=Decimal("500.00"))
    with time_machine.travel(now, tick=False):
        assert ids_in(risk_client.get(CHANGELIST)) == {old.pk, new.pk}
        assert ids_in(risk_client.get(CHANGELIST, {"amount": "gte10k"})) == {old.pk}
        assert ids_in(risk_client.get(CHANGELIST, {"amount": "lt1k"})) == {new.pk}
        assert ids_in(risk_client.get(CHANGELIST, {"age": "0-7"})) == {new.pk}
        assert ids_in(risk_client.get(CHANGELIST, {"age": "15-30"})) == {old.pk}
        assert ids_in(risk_client.get(CHANGELIST, {"status__exact": "approved"})) == set()
        page = risk_client.get(CHANGELIST).content.decode()
    assert "age (days)" in page


def test_queue_query_count_does_not_grow_with_rows(tenant, risk_client):
    ClaimFactory(tenant=tenant)
    with CaptureQueriesContext(connection) as few:
        risk_client.get(CHANGELIST)
    for _ in range(5):
        ClaimFactory(tenant=tenant)
    with CaptureQueriesContext(connection) as many:
        risk_client.get(CHANGELIST)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_decide_page_approves_once_even_when_posted_twice(tenant, risk_client):
    claim = ClaimFactory(tenant=tenant)
    url = reverse("admin:disputes_claim_decide", args=[claim.pk])

    assert risk_client.get(url).status_code == 200
    first = risk_client.post(url, {"decision": "approve"})
    second = risk_client.post(url, {"decision": "approve"})

    assert first.status_code == 302
    assert second.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert claim.approved_amount == Decimal("1666.67")
    assert LedgerTransaction.objects.filter(idempotency_key=f"claim:{claim.pk}:credit").count() == 1
    change = risk_client.get(reverse("admin:disputes_claim_change", args=[claim.pk]))
    assert "Decided: this claim is final." in change.content.decode()
    assert url not in change.content.decode()


def test_decide_page_reject_without_a_reason_shows_the_error(tenant, risk_client):
    claim = ClaimFactory(tenant=tenant)
    url = reverse("admin:disputes_claim_decide", args=[claim.pk])

    response = risk_client.post(url, {"decision": "reject", "reason": ""})

    assert response.status_code == 200
    assert "A rejection needs a reason" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "submitted"


def test_bd_staff_see_the_queue_but_cannot_decide(tenant):
    claim = ClaimFactory(tenant=tenant)
    client = client_for(tenant, make_staff(tenant, "bd"))
    assert client.get(CHANGELIST).status_code == 200
    assert client.get(reverse("admin:disputes_claim_decide", args=[claim.pk])).status_code == 404
    assert (
        client.post(
            reverse("admin:disputes_claim_decide", args=[claim.pk]), {"decision": "approve"}
        ).status_code
        == 404
    )
    claim.refresh_from_db()
    assert claim.status == "submitted"


def test_decide_page_of_another_tenants_claim_is_404(tenant, other_tenant, risk_client):
    theirs = ClaimFactory(tenant=other_tenant)
    url = reverse("admin:disputes_claim_decide", args=[theirs.pk])
    assert risk_client.post(url, {"decision": "approve"}).status_code == 404


def test_approve_reduced_action_needs_amount_and_reason(tenant, risk_client):
    claim = ClaimFactory(tenant=tenant)
    base = {"action": "approve_reduced_claim", "_selected_action": [claim.pk]}

    confirm = risk_client.post(CHANGELIST, base)
    assert confirm.status_code == 200
    assert "computed 1666.67" in confirm.content.decode()
    missing = risk_client.post(
        CHANGELIST, {**base, "post": "yes", "decision": "approve_reduced", "amount": "900"}
    )
    assert missing.status_code == 200
    claim.refresh_from_db()
    assert claim.status == "submitted"

    done = risk_client.post(
        CHANGELIST,
        {
            **base,
            "post": "yes",
            "decision": "approve_reduced",
            "amount": "900.00",
            "reason": "Partial outage",
        },
    )

    assert done.status_code == 302
    claim.refresh_from_db()
    assert claim.approved_amount == Decimal("900.00")
    assert claim.decision_reason == "Partial outage"


def test_reject_action_asks_for_a_reason_then_rejects(tenant, risk_client):
    claims = [ClaimFactory(tenant=tenant), ClaimFactory(tenant=tenant)]
    base = {"action": "reject_claims", "_selected_action": [c.pk for c in claims]}
    assert risk_client.post(CHANGELIST, base).status_code == 200

    risk_client.post(CHANGELIST, {**base, "post": "yes", "reason": "Window had no tagged product"})

    assert set(Claim.objects.values_list("status", flat=True)) == {"rejected"}


def test_dispute_admin_shows_evidence_and_accept_creates_the_commission(tenant, risk_client):
    CommissionRuleFactory(tenant=tenant)
    dispute = DisputeFactory(
        tenant=tenant,
        evidence={
            "click_window": {"from": "2026-01-31", "to": "2026-03-02"},
            "clicks": {
                "count": 3,
                "valid": 2,
                "first_at": "2026-02-01T01:00:00+00:00",
                "last_at": None,
            },
            "order": {"found": False},
        },
    )
    change = risk_client.get(reverse("admin:disputes_dispute_change", args=[dispute.pk]))
    content = change.content.decode()
    assert "3 (2 valid)" in content
    assert "not found" in content

    base = {"action": "accept_disputes", "_selected_action": [dispute.pk]}
    assert risk_client.post("/admin/disputes/dispute/", base).status_code == 200
    risk_client.post("/admin/disputes/dispute/", {**base, "post": "yes"})

    dispute.refresh_from_db()
    assert dispute.status == "accepted"
    assert Commission.objects.filter(source="dispute").count() == 1
    assert Dispute.objects.get().commission is not None
