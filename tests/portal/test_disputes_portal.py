"""Portal pages of claims and disputes: the merchant's two-step claim form, claim pages,
disputes with the evidence panel and the merchant's decision, the webmaster's dispute form."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse

from apps.commissions.models import Commission
from apps.disputes.models import Claim, Dispute
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantFactory, MerchantUserFactory, ProductFactory
from tests.commissions.factories import CommissionRuleFactory
from tests.conftest import client_for
from tests.disputes.factories import ClaimFactory, DisputeFactory, FullSitePlanFactory, spread
from tests.sites.factories import PlacementFactory
from tests.tenants.factories import UserFactory
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

FILING_TIME = datetime.datetime(2026, 3, 8, 4, 0, tzinfo=datetime.UTC)


@pytest.fixture
def plan(tenant):
    plan = FullSitePlanFactory(tenant=tenant, name="Spring push")
    spread(plan, spend="10000.00", gmv="25000.00")
    return plan


@pytest.fixture
def merchant_client(tenant, plan):
    return client_for(tenant, MerchantUserFactory(tenant=tenant, merchant=plan.merchant).user)


def test_preview_shows_the_computed_claim_and_writes_nothing(tenant, plan, merchant_client):
    with time_machine.travel(FILING_TIME, tick=False):
        form = merchant_client.get(reverse("portal:merchant-claim-new"))
        response = merchant_client.post(
            reverse("portal:merchant-claim-new"),
            {"action": "preview", "campaign": plan.pk, "window_days": 7},
        )
    assert "Spring push" in form.content.decode()
    content = response.content.decode()
    assert response.status_code == 200
    assert 'id="quote-amount">1666.67<' in content
    assert 'id="quote-roi">2.50<' in content
    assert "2026-03-01 \u2013 2026-03-07 (7 days)" in content
    assert "Submit claim for 1666.67" in content
    assert Claim.objects.count() == 0


def test_preview_of_an_ineligible_plan_names_the_reason(tenant, merchant_client, plan):
    untagged = FullSitePlanFactory(
        tenant=tenant, merchant=plan.merchant, product_was_tagged=False, name="Old stock"
    )
    with time_machine.travel(FILING_TIME, tick=False):
        response = merchant_client.post(
            reverse("portal:merchant-claim-new"),
            {"action": "preview", "campaign": untagged.pk, "window_days": 7},
        )
    content = response.content.decode()
    assert "not_eligible" not in content  # a person's reason, never the internal code
    assert "was not tagged when the plan started" in content
    assert "Submit claim" not in content


def test_submit_files_the_claim_and_shows_it(tenant, plan, merchant_client):
    with time_machine.travel(FILING_TIME, tick=False):
        response = merchant_client.post(
            reverse("portal:merchant-claim-new"),
            {"action": "submit", "campaign": plan.pk, "window_days": 7, "note": "ROI missed"},
            follow=True,
        )
    claim = Claim.objects.get()
    assert claim.computed_amount == Decimal("1666.67")
    assert claim.note == "ROI missed"
    assert response.redirect_chain[-1][0] == reverse("portal:merchant-claim", args=[claim.pk])
    assert "Waiting for review" in response.content.decode()
    listing = merchant_client.get(reverse("portal:merchant-claims")).content.decode()
    assert f"#{claim.pk}" in listing


def test_another_merchants_plan_cannot_be_chosen_and_its_claim_is_404(tenant, merchant_client):
    theirs = ClaimFactory(tenant=tenant)
    with time_machine.travel(FILING_TIME, tick=False):
        response = merchant_client.post(
            reverse("portal:merchant-claim-new"),
            {"action": "submit", "campaign": theirs.campaign_id, "window_days": 7},
        )
    assert response.status_code == 400
    detail = merchant_client.get(reverse("portal:merchant-claim", args=[theirs.pk]))
    assert detail.status_code == 404


def test_another_tenants_claim_is_404(tenant, other_tenant, merchant_client):
    theirs = ClaimFactory(tenant=other_tenant)
    assert (
        merchant_client.get(reverse("portal:merchant-claim", args=[theirs.pk])).status_code == 404
    )


def test_anonymous_visitors_are_sent_to_sign_in(tenant):
    response = client_for(tenant).get(reverse("portal:merchant-claims"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


# --- disputes ----------------------------------------------------------------------------


def test_merchant_accepts_a_dispute_and_the_commission_is_created(tenant, plan, merchant_client):
    CommissionRuleFactory(tenant=tenant)
    dispute = DisputeFactory(tenant=tenant, merchant=plan.merchant)

    page = merchant_client.get(reverse("portal:merchant-disputes")).content.decode()
    response = merchant_client.post(
        reverse("portal:merchant-dispute-decide", args=[dispute.pk]), {"decision": "accept"}
    )

    assert dispute.order_reference in page
    assert response.status_code == 302
    dispute.refresh_from_db()
    assert dispute.status == "accepted"
    assert Commission.objects.filter(source="dispute").count() == 1


def test_merchant_rejection_without_a_reason_is_refused(tenant, plan, merchant_client):
    dispute = DisputeFactory(tenant=tenant, merchant=plan.merchant)
    response = merchant_client.post(
        reverse("portal:merchant-dispute-decide", args=[dispute.pk]),
        {"decision": "reject"},
        follow=True,
    )
    assert "A rejection needs a reason" in response.content.decode()
    dispute.refresh_from_db()
    assert dispute.status == "submitted"


def test_merchant_cannot_decide_another_merchants_dispute(tenant, merchant_client):
    theirs = DisputeFactory(tenant=tenant)
    response = merchant_client.post(
        reverse("portal:merchant-dispute-decide", args=[theirs.pk]), {"decision": "accept"}
    )
    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == "submitted"


@pytest.fixture
def webmaster_client(tenant):
    user = UserFactory()
    affiliate = AffiliateFactory(tenant=tenant, user=user)
    return affiliate, client_for(tenant, user)


def sent_clicks_to(tenant, affiliate, merchant, at=FILING_TIME):
    """The webmaster's placement sent a click to ``merchant``'s product at ``at``."""
    placement = PlacementFactory(tenant=tenant, site__affiliate=affiliate)
    product = ProductFactory(tenant=tenant, merchant=merchant)
    return ClickFactory(tenant=tenant, placement=placement, product=product, clicked_at=at)


def test_the_merchant_is_picked_by_name_among_those_my_traffic_went_to(
    tenant, other_tenant, webmaster_client
):
    affiliate, client = webmaster_client
    citrus = MerchantFactory(tenant=tenant, code="CITRUS", name="Citrus Beauty")
    sent_clicks_to(tenant, affiliate, citrus)
    sent_clicks_to(tenant, affiliate, MerchantFactory(tenant=tenant, name="Long ago"),
                   at=FILING_TIME - datetime.timedelta(days=120))  # fmt: skip
    sent_clicks_to(tenant, affiliate, MerchantFactory(tenant=tenant, name="Closed shop",
                                                      is_active=False))  # fmt: skip
    MerchantFactory(tenant=tenant, name="Never sent to")
    stranger = AffiliateFactory(tenant=tenant)
    sent_clicks_to(tenant, stranger, MerchantFactory(tenant=tenant, name="Someone else's"))
    with tenant_scope(other_tenant):
        theirs = AffiliateFactory(tenant=other_tenant)
        sent_clicks_to(other_tenant, theirs, MerchantFactory(tenant=other_tenant, name="Beta's"))
    with time_machine.travel(FILING_TIME, tick=False):
        page = client.get(reverse("portal:webmaster-disputes")).content.decode()
    assert '<option value="CITRUS">Citrus Beauty (CITRUS)</option>' in page
    for absent in ("Long ago", "Closed shop", "Never sent to", "Someone else", "Beta"):
        assert absent not in page
    # a code that is not offered (any other merchant, here one the page never listed) is refused
    with time_machine.travel(FILING_TIME, tick=False):
        response = client.post(
            reverse("portal:webmaster-disputes"),
            {"merchant": "NEVER", "order_reference": "Z-2", "order_date": "2026-03-01",
             "amount": "5"},
        )  # fmt: skip
    assert response.status_code == 400
    assert not Dispute.objects.filter(affiliate=affiliate).exists()


def test_webmaster_files_a_dispute_and_sees_its_status(tenant, webmaster_client):
    affiliate, client = webmaster_client
    sent_clicks_to(tenant, affiliate, MerchantFactory(tenant=tenant, code="SHOP5"))
    DisputeFactory(tenant=tenant, order_reference="NOT-MINE")
    with time_machine.travel(FILING_TIME, tick=False):
        response = client.post(
            reverse("portal:webmaster-disputes"),
            {
                "merchant": "SHOP5",
                "order_reference": "Z-9",
                "order_date": "2026-03-01",
                "amount": "120.00",
                "note": "",
            },
            follow=True,
        )
    content = response.content.decode()
    assert "Dispute #" in content
    assert "Z-9" in content
    assert "NOT-MINE" not in content
    dispute = Dispute.objects.get(affiliate=affiliate)
    assert dispute.history.get().history_user_id == affiliate.user_id
    assert dispute.amount == Decimal("120.00")


def test_webmaster_dispute_over_90_days_is_refused_with_the_reason(tenant, webmaster_client):
    affiliate, client = webmaster_client
    sent_clicks_to(tenant, affiliate, MerchantFactory(tenant=tenant, code="SHOP5"))
    with time_machine.travel(FILING_TIME, tick=False):
        response = client.post(
            reverse("portal:webmaster-disputes"),
            {
                "merchant": "SHOP5",
                "order_reference": "Z-1",
                "order_date": "2025-11-01",
                "amount": "5",
            },
        )
    assert response.status_code == 400
    assert "within 90 days" in response.content.decode()
