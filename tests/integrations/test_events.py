"""Every event type of API.md v1.1 is emitted where it happens and stored for a listener."""

from decimal import Decimal

import pytest
from django.db import transaction

from apps.commissions.services.accrual import commissions_approve
from apps.commissions.services.orders import order_status_change
from apps.commissions.services.statements import statement_transition
from apps.core.events import EVENT_TYPES
from apps.disputes.services.claims import claim_transition
from apps.disputes.services.disputes import dispute_transition
from apps.integrations.models import Event
from apps.integrations.services.webhooks import webhook_endpoint_create
from apps.tenants.scope import tenant_scope
from tests.commissions.factories import CommissionFactory, StatementFactory
from tests.conftest import make_staff
from tests.disputes.factories import ClaimFactory, DisputeFactory
from tests.tracking.factories import ConversionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def network_hook(tenant):
    with tenant_scope(tenant):
        return webhook_endpoint_create(
            url="https://ops.network.example/hook", events=list(EVENT_TYPES)
        ).endpoint


def stored(tenant, type_):
    with tenant_scope(tenant):
        return list(Event.objects.filter(type=type_).values("data", "merchant_id", "affiliate_id"))


def test_commission_approved_and_reversed(tenant, network_hook):
    conversion = ConversionFactory(tenant=tenant)
    commission = CommissionFactory(tenant=tenant, conversion=conversion,
                                   affiliate=conversion.affiliate, merchant=conversion.merchant,
                                   amount=Decimal("4.00"))  # fmt: skip
    commissions_approve(ids=[commission.pk])
    order_status_change(merchant=conversion.merchant, external_id=conversion.external_id,
                        status="cancelled", reason="fraud")  # fmt: skip
    [approved] = stored(tenant, "commission.approved")
    assert approved["data"]["conversion_id"] == conversion.pk
    assert approved["data"]["amount"] == "4.00"
    assert (approved["merchant_id"], approved["affiliate_id"]) == (
        conversion.merchant_id, conversion.affiliate_id,
    )  # fmt: skip
    [reversed_] = stored(tenant, "commission.reversed")
    assert reversed_["data"]["status"] == "reversed"


def test_statement_approved_and_paid(tenant, network_hook):
    statement = StatementFactory(tenant=tenant, status="submitted")
    actor = make_staff(tenant)
    with transaction.atomic():
        statement_transition(statement=statement, to="approved", actor=actor)
        statement_transition(statement=statement, to="paid", actor=actor, payout_reference="TX-1")
    assert [e["data"]["status"] for e in stored(tenant, "statement.approved")] == ["approved"]
    [paid] = stored(tenant, "statement.paid")
    assert (paid["data"]["payout_reference"], paid["affiliate_id"]) == (
        "TX-1",
        statement.affiliate_id,
    )


def test_claim_and_dispute_decided(tenant, network_hook):
    claim = ClaimFactory(tenant=tenant)
    dispute = DisputeFactory(tenant=tenant)
    actor = make_staff(tenant)
    with transaction.atomic():
        claim_transition(claim=claim, to="rejected", actor=actor, reason="on target")
        dispute_transition(dispute=dispute, to="rejected", actor=actor, reason="no order")
    [claimed] = stored(tenant, "claim.decided")
    assert (claimed["data"]["status"], claimed["merchant_id"]) == ("rejected", claim.merchant_id)
    [disputed] = stored(tenant, "dispute.decided")
    assert disputed["affiliate_id"] == dispute.affiliate_id
    assert disputed["data"]["order_reference"] == dispute.order_reference
