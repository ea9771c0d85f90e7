"""``/api/v1/claims`` (merchant keys) and ``/api/v1/disputes`` (webmaster keys)."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.disputes.models import Claim, Dispute
from tests.affiliates.factories import AffiliateFactory
from tests.api.factories import bearer, issue_key
from tests.campaigns.factories import MerchantFactory
from tests.conftest import client_for
from tests.disputes.factories import ClaimFactory, DisputeFactory, FullSitePlanFactory, spread
from tests.tenancy.harness import rows_unchanged

pytestmark = pytest.mark.django_db

FILING_TIME = datetime.datetime(2026, 3, 8, 4, 0, tzinfo=datetime.UTC)
CLAIMS = "/api/v1/claims"
DISPUTES = "/api/v1/disputes"


@pytest.fixture
def plan(tenant):
    plan = FullSitePlanFactory(tenant=tenant)
    spread(plan, spend="10000.00", gmv="25000.00")
    return plan


def post(tenant, url, body, key):
    with time_machine.travel(FILING_TIME, tick=False):
        return client_for(tenant).post(url, body, content_type="application/json", **bearer(key))


def test_routes_are_the_contracts():
    assert reverse("api:claim-list") == CLAIMS
    assert reverse("api:dispute-list") == DISPUTES


def test_post_claim_answers_201_with_id_status_and_amount(tenant, plan):
    key = issue_key(plan.merchant)

    response = post(tenant, CLAIMS, {"campaign": plan.pk, "window_days": 7, "note": "x"}, key)

    assert response.status_code == 201
    claim = Claim.objects.get()
    assert response.json() == {"id": claim.pk, "status": "submitted", "amount": "1666.67"}


def test_post_claim_answers_400_naming_the_refusal(tenant, plan):
    key = issue_key(plan.merchant)

    response = post(tenant, CLAIMS, {"campaign": plan.pk, "window_days": 16}, key)

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "bad_window"
    assert "7 to 15" in body["message"]
    assert Claim.objects.count() == 0


def test_post_claim_untagged_is_400_not_eligible(tenant):
    plan = FullSitePlanFactory(tenant=tenant, product_was_tagged=False)
    spread(plan, spend="10000.00", gmv="25000.00")
    response = post(tenant, CLAIMS, {"campaign": plan.pk}, issue_key(plan.merchant))
    assert response.status_code == 400
    assert response.json()["code"] == "not_eligible"


def test_post_claim_on_another_merchants_plan_is_404(tenant, plan):
    stranger = MerchantFactory(tenant=tenant)
    response = post(tenant, CLAIMS, {"campaign": plan.pk}, issue_key(stranger))
    assert response.status_code == 404
    assert Claim.objects.count() == 0


def test_post_claim_on_another_tenants_plan_is_404(tenant, other_tenant):
    theirs = FullSitePlanFactory(tenant=other_tenant)
    mine = MerchantFactory(tenant=tenant)
    key = issue_key(mine)
    # the key's last-used time is the one row of A's a refused request may touch
    with rows_unchanged(other_tenant):
        response = post(tenant, CLAIMS, {"campaign": theirs.pk}, key)
    assert response.status_code == 404
    assert not Claim.objects.exists()


def test_claim_scopes_are_required(tenant, plan):
    key = issue_key(plan.merchant, scopes=["claims:read"])
    assert post(tenant, CLAIMS, {"campaign": plan.pk}, key).status_code == 403
    assert client_for(tenant).get(CLAIMS, **bearer(key)).status_code == 200
    webmaster_key = issue_key(AffiliateFactory(tenant=tenant))
    assert client_for(tenant).get(CLAIMS, **bearer(webmaster_key)).status_code == 403


def test_get_claims_lists_only_the_keys_merchant_with_money_as_strings(tenant, other_tenant):
    mine = ClaimFactory(tenant=tenant)
    ClaimFactory(tenant=tenant)  # another merchant's
    ClaimFactory(tenant=other_tenant)

    response = client_for(tenant).get(CLAIMS, **bearer(issue_key(mine.merchant)))

    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    row = body["results"][0]
    assert row["id"] == mine.pk
    assert row["amount"] == "1666.67"
    assert row["spend"] == "10000.00"
    assert row["campaign"] == mine.campaign_id


def test_post_dispute_answers_201_with_the_evidence_summary(tenant):
    affiliate = AffiliateFactory(tenant=tenant)
    merchant = MerchantFactory(tenant=tenant, code="SHOP9")
    body = {
        "merchant": "shop9",
        "order_reference": "A-1",
        "order_date": "2026-03-01",
        "amount": "250.00",
        "note": "Customer emailed us the receipt",
    }

    response = post(tenant, DISPUTES, body, issue_key(affiliate))

    assert response.status_code == 201
    data = response.json()
    assert data["merchant"] == "SHOP9"
    assert data["amount"] == "250.00"
    assert data["status"] == "submitted"
    assert data["evidence"] == {"clicks_found": 0, "order_found": False}
    assert Dispute.objects.get().merchant == merchant


def test_post_dispute_too_late_and_unknown_merchant_are_400(tenant):
    affiliate = AffiliateFactory(tenant=tenant)
    MerchantFactory(tenant=tenant, code="SHOP9")
    key = issue_key(affiliate)
    late = post(
        tenant,
        DISPUTES,
        {"merchant": "SHOP9", "order_reference": "A", "order_date": "2025-11-01", "amount": "9"},
        key,
    )
    assert late.status_code == 400
    assert late.json()["code"] == "too_late"
    unknown = post(
        tenant,
        DISPUTES,
        {"merchant": "NOPE", "order_reference": "A", "order_date": "2026-03-01", "amount": "9"},
        key,
    )
    assert unknown.status_code == 400
    assert "merchant" in unknown.json()["extra"]["fields"]
    assert Dispute.objects.count() == 0


def test_a_dispute_against_another_tenants_merchant_is_unknown(tenant, other_tenant):
    MerchantFactory(tenant=other_tenant, code="THEIRS")
    key = issue_key(AffiliateFactory(tenant=tenant))
    with rows_unchanged(tenant, other_tenant):
        response = post(
            tenant,
            DISPUTES,
            {
                "merchant": "THEIRS",
                "order_reference": "A",
                "order_date": "2026-03-01",
                "amount": "9",
            },
            key,
        )
    assert response.status_code == 400


def test_get_disputes_lists_only_the_keys_webmaster(tenant, other_tenant):
    mine = DisputeFactory(tenant=tenant, amount=Decimal("12.50"))
    DisputeFactory(tenant=tenant)
    DisputeFactory(tenant=other_tenant)

    response = client_for(tenant).get(DISPUTES, **bearer(issue_key(mine.affiliate)))

    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [mine.pk]
    assert rows[0]["amount"] == "12.50"
