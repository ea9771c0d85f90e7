"""Missing-commission disputes: the 90-day limit, the evidence found (or not) as they are
filed, and acceptance creating exactly one commission marked as coming from a dispute."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail

from apps.commissions.models import Commission
from apps.core.errors import DomainError, StateConflictError
from apps.disputes.errors import DisputeError
from apps.disputes.models import Dispute
from apps.disputes.selectors import dispute_list
from apps.disputes.services import dispute_decide, dispute_file
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantFactory, ProductFactory
from tests.commissions.factories import CommissionRuleFactory
from tests.conftest import make_staff
from tests.disputes.factories import DisputeFactory
from tests.sites.factories import PlacementFactory
from tests.tracking.factories import ClickFactory, ConversionFactory

pytestmark = pytest.mark.django_db

ORDER_DAY = datetime.date(2026, 3, 2)
TODAY = datetime.date(2026, 3, 10)


@pytest.fixture
def affiliate(tenant):
    return AffiliateFactory(tenant=tenant)


@pytest.fixture
def merchant(tenant):
    return MerchantFactory(tenant=tenant, code="SHOP1")


def click(tenant, affiliate, merchant, at):
    placement = PlacementFactory(tenant=tenant, site__affiliate=affiliate)
    return ClickFactory(
        tenant=tenant,
        placement=placement,
        affiliate=affiliate,
        product=ProductFactory(tenant=tenant, merchant=merchant),
        merchant=merchant,
        clicked_at=at,
        verdict="valid",
    )


def file(affiliate, merchant, **kwargs):
    values = {
        "order_reference": "ORD-777",
        "order_date": ORDER_DAY,
        "amount": Decimal("300.00"),
        "today": TODAY,
        **kwargs,
    }
    return dispute_file(affiliate=affiliate, merchant=merchant, **values)


# --- the 90-day limit ----------------------------------------------------------------------


def test_a_dispute_90_days_after_the_order_is_accepted(scoped, affiliate, merchant):
    dispute = file(affiliate, merchant, today=ORDER_DAY + datetime.timedelta(days=90))
    assert dispute.status == "submitted"


def test_a_dispute_91_days_after_the_order_is_refused(scoped, affiliate, merchant):
    with pytest.raises(DisputeError) as caught:
        file(affiliate, merchant, today=ORDER_DAY + datetime.timedelta(days=91))
    assert caught.value.code == DisputeError.TOO_LATE
    assert "within 90 days" in caught.value.message
    assert Dispute.objects.count() == 0


def test_an_order_in_the_future_is_refused(scoped, affiliate, merchant):
    with pytest.raises(DisputeError) as caught:
        file(affiliate, merchant, today=ORDER_DAY - datetime.timedelta(days=1))
    assert caught.value.code == DisputeError.FUTURE_ORDER
    assert Dispute.objects.count() == 0


def test_one_open_dispute_per_order(scoped, affiliate, merchant):
    first = file(affiliate, merchant)
    with pytest.raises(DisputeError) as caught:
        file(affiliate, merchant, order_reference=" ORD-777 ")
    assert caught.value.code == DisputeError.ALREADY_DISPUTED
    assert list(Dispute.objects.values_list("pk", flat=True)) == [first.pk]


def test_a_rejected_dispute_may_be_filed_again(scoped, affiliate, merchant):
    first = file(affiliate, merchant)
    dispute_decide(dispute=first, accept=False, actor=make_staff(affiliate.tenant), reason="No")
    again = file(affiliate, merchant)
    assert again.pk != first.pk


# --- evidence ------------------------------------------------------------------------------


def test_evidence_finds_clicks_in_the_window_and_the_matching_order(
    scoped, tenant, affiliate, merchant
):
    zone = tenant.zone
    first = click(tenant, affiliate, merchant, datetime.datetime(2026, 2, 1, 9, 0, tzinfo=zone))
    click(tenant, affiliate, merchant, datetime.datetime(2026, 3, 2, 23, 30, tzinfo=zone))
    # outside the 30-day window, another webmaster's, another merchant's: not counted
    click(tenant, affiliate, merchant, datetime.datetime(2026, 1, 30, 23, 0, tzinfo=zone))
    click(
        tenant,
        AffiliateFactory(tenant=tenant),
        merchant,
        datetime.datetime(2026, 3, 1, tzinfo=zone),
    )
    click(
        tenant,
        affiliate,
        MerchantFactory(tenant=tenant),
        datetime.datetime(2026, 3, 1, tzinfo=zone),
    )
    order = ConversionFactory(tenant=tenant, click=first, external_id="ORD-777")

    dispute = file(affiliate, merchant)

    evidence = dispute.evidence
    assert evidence["click_window"] == {"from": "2026-01-31", "to": "2026-03-02"}
    assert evidence["clicks"]["count"] == 2
    assert evidence["clicks"]["valid"] == 2
    assert evidence["clicks"]["first_at"].startswith("2026-02-01T01:00:00")  # UTC
    assert evidence["clicks"]["last_at"].startswith("2026-03-02T15:30:00")
    assert evidence["order"] == {
        "found": True,
        "id": order.pk,
        "status": "pending",
        "day": "2026-03-02",
        "amount": "200.00",
        "attributed_to_this_webmaster": True,
    }


def test_evidence_records_when_nothing_is_found(scoped, affiliate, merchant):
    dispute = file(affiliate, merchant)
    assert dispute.evidence["clicks"] == {
        "count": 0,
        "valid": 0,
        "first_at": None,
        "last_at": None,
        "complete": True,
        "kept_from": None,
    }
    assert dispute.evidence["order"] == {"found": False}


def test_evidence_is_shown_to_the_merchant_beside_the_dispute(tenant, affiliate, merchant):
    from django.urls import reverse

    from tests.campaigns.factories import MerchantUserFactory
    from tests.conftest import client_for

    file(affiliate, merchant)
    user = MerchantUserFactory(tenant=tenant, merchant=merchant).user
    content = client_for(tenant, user).get(reverse("portal:merchant-disputes")).content.decode()
    assert "ORD-777" in content
    assert "none found" in content
    assert "not recorded" in content


# --- decisions ----------------------------------------------------------------------------


def test_accepting_creates_one_commission_from_the_dispute(
    scoped, tenant, affiliate, merchant, django_capture_on_commit_callbacks
):
    CommissionRuleFactory(tenant=tenant, rate_type="percent", value=Decimal("5.0000"))
    dispute = file(affiliate, merchant)
    staff = make_staff(tenant, "risk")

    with django_capture_on_commit_callbacks(execute=True):
        decided = dispute_decide(dispute=dispute, accept=True, actor=staff)
    again = dispute_decide(dispute=dispute, accept=True, actor=staff)

    commission = Commission.objects.get()
    assert commission.source == "dispute"
    assert commission.source_reference == f"dispute:{dispute.pk}"
    assert commission.affiliate == affiliate
    assert commission.merchant == merchant
    assert commission.day == ORDER_DAY
    assert commission.amount == Decimal("15.00")  # 5% of 300.00
    assert commission.status == "pending"  # it goes through the lock period into a statement
    assert decided.commission == commission
    assert again.commission_id == commission.pk
    assert decided.status == "accepted"
    assert decided.decided_by == staff
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [affiliate.email]


def test_accepting_without_a_matching_rule_is_refused_and_changes_nothing(
    scoped, affiliate, merchant
):
    dispute = file(affiliate, merchant)
    with pytest.raises(DomainError, match="rule"):
        dispute_decide(dispute=dispute, accept=True, actor=make_staff(affiliate.tenant))
    dispute.refresh_from_db()
    assert dispute.status == "submitted"
    assert dispute.commission is None
    assert Commission.objects.count() == 0


def test_rejecting_needs_a_reason_and_is_final(scoped, tenant, affiliate, merchant):
    CommissionRuleFactory(tenant=tenant)
    dispute = file(affiliate, merchant)
    staff = make_staff(tenant, "risk")
    with pytest.raises(DisputeError) as caught:
        dispute_decide(dispute=dispute, accept=False, actor=staff)
    assert caught.value.code == DisputeError.REASON_REQUIRED

    dispute_decide(dispute=dispute, accept=False, actor=staff, reason="No click before the order")
    with pytest.raises(StateConflictError):
        dispute_decide(dispute=dispute, accept=True, actor=staff)
    dispute.refresh_from_db()
    assert dispute.status == "rejected"
    assert Commission.objects.count() == 0
    assert list(dispute.history.order_by("history_date").values_list("status", flat=True)) == [
        "submitted",
        "rejected",
    ]


def test_other_tenants_disputes_are_invisible(tenant, other_tenant):
    theirs = DisputeFactory(tenant=other_tenant)
    assert list(dispute_list()) == []
    with pytest.raises(Dispute.DoesNotExist):
        dispute_decide(dispute=theirs, accept=False, actor=make_staff(tenant), reason="x")
