"""Deciding claims: credits once (also under two concurrent transactions), immutability,
reasons, the merchant's email and the history."""

import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.db import IntegrityError, connection, transaction
from django.db.models import Sum

from apps.commissions.models import LedgerEntry, LedgerTransaction
from apps.core.errors import StateConflictError
from apps.disputes.errors import ClaimDecisionError
from apps.disputes.models import Claim
from apps.disputes.services import claim_decide
from apps.tenants.scope import tenant_scope
from tests.campaigns.factories import MerchantUserFactory
from tests.conftest import make_staff
from tests.disputes.factories import ClaimFactory

pytestmark = pytest.mark.django_db


def merchant_balance(merchant):
    return LedgerEntry.objects.filter(
        account__kind="merchant_balance", account__merchant=merchant
    ).aggregate(total=Sum("amount"))["total"]


@pytest.fixture
def claim(tenant):
    return ClaimFactory(tenant=tenant)


@pytest.fixture
def risk(tenant):
    return make_staff(tenant, "risk")


def test_approve_credits_the_computed_amount_to_the_merchant_balance(
    scoped, claim, risk, django_capture_on_commit_callbacks
):
    MerchantUserFactory(tenant=claim.tenant, merchant=claim.merchant, user__email="m@shop.test")
    with django_capture_on_commit_callbacks(execute=True):
        decided = claim_decide(claim=claim, decision="approve", actor=risk)

    decided.refresh_from_db()
    assert decided.status == "approved"
    assert decided.approved_amount == Decimal("1666.67")
    assert decided.decided_by == risk
    assert decided.decided_at is not None
    assert decided.ledger_transaction.idempotency_key == f"claim:{claim.pk}:credit"
    assert merchant_balance(claim.merchant) == Decimal("1666.67")
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["m@shop.test"]
    assert "approved" in mail.outbox[0].subject
    assert "1666.67" in mail.outbox[0].body


def test_approving_twice_is_a_noop_that_credits_once(scoped, claim, risk):
    claim_decide(claim=claim, decision="approve", actor=risk)
    again = claim_decide(claim=claim, decision="approve", actor=make_staff(claim.tenant, "finance"))

    assert again.decided_by == risk
    assert LedgerTransaction.objects.filter(idempotency_key__startswith="claim:").count() == 1
    assert merchant_balance(claim.merchant) == Decimal("1666.67")


def test_approve_reduced_needs_a_reason_and_an_amount_below_the_computed(scoped, claim, risk):
    with pytest.raises(ClaimDecisionError, match="reason"):
        claim_decide(claim=claim, decision="approve_reduced", actor=risk, amount=Decimal("1000"))
    with pytest.raises(ClaimDecisionError, match=r"below the computed 1666\.67"):
        claim_decide(
            claim=claim,
            decision="approve_reduced",
            actor=risk,
            amount=Decimal("1666.67"),
            reason="partial",
        )
    with pytest.raises(ClaimDecisionError, match="above 0"):
        claim_decide(
            claim=claim, decision="approve_reduced", actor=risk, amount=Decimal("0"), reason="x"
        )
    claim.refresh_from_db()
    assert claim.status == "submitted"
    assert merchant_balance(claim.merchant) is None

    decided = claim_decide(
        claim=claim,
        decision="approve_reduced",
        actor=risk,
        amount=Decimal("1000.004"),
        reason="Two days were a site outage on the merchant's side.",
    )
    assert decided.approved_amount == Decimal("1000.00")
    assert merchant_balance(claim.merchant) == Decimal("1000.00")


def test_reject_needs_a_reason_and_credits_nothing(scoped, claim, risk):
    with pytest.raises(ClaimDecisionError, match="reason"):
        claim_decide(claim=claim, decision="reject", actor=risk)

    decided = claim_decide(claim=claim, decision="reject", actor=risk, reason="Tracking gap")

    assert decided.status == "rejected"
    assert decided.approved_amount is None
    assert decided.ledger_transaction is None
    assert merchant_balance(claim.merchant) is None


def test_a_decided_claim_cannot_change(scoped, claim, risk):
    claim_decide(claim=claim, decision="approve", actor=risk)

    with pytest.raises(StateConflictError, match="decided claims cannot change"):
        claim_decide(claim=claim, decision="reject", actor=risk, reason="changed my mind")
    with pytest.raises(StateConflictError):
        claim_decide(
            claim=claim, decision="approve_reduced", actor=risk, amount=Decimal("10"), reason="x"
        )

    claim.refresh_from_db()
    assert claim.status == "approved"
    assert claim.approved_amount == Decimal("1666.67")
    assert merchant_balance(claim.merchant) == Decimal("1666.67")


def test_history_keeps_every_state(scoped, claim, risk):
    claim_decide(claim=claim, decision="reject", actor=risk, reason="No evidence")
    states = list(claim.history.order_by("history_date").values_list("status", flat=True))
    assert states == ["submitted", "rejected"]
    assert claim.history.latest().history_change_reason == "rejected: No evidence"


def test_the_database_refuses_a_decided_claim_without_its_decider(scoped, claim):
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(status="approved", approved_amount=Decimal("1"))


def test_other_tenants_claim_cannot_be_decided_here(tenant, other_tenant, risk):
    theirs = ClaimFactory(tenant=other_tenant)
    with pytest.raises(Claim.DoesNotExist):
        claim_decide(claim=theirs, decision="approve", actor=risk)
    with tenant_scope(other_tenant):
        theirs.refresh_from_db()
        assert theirs.status == "submitted"


@pytest.mark.django_db(transaction=True)
def test_a_double_clicked_approval_in_two_concurrent_transactions_credits_once(tenant):
    """Two approvals race on PostgreSQL: the first holds the claim's row lock until it
    commits; the second waits on it, then finds the claim approved and does nothing."""
    claim = ClaimFactory(tenant=tenant)
    first_actor = make_staff(tenant, "risk")
    second_actor = make_staff(tenant, "finance")
    first_decided = threading.Event()
    release_first = threading.Event()
    second_done = threading.Event()
    errors: list[BaseException] = []

    def first() -> None:
        try:
            with tenant_scope(tenant), transaction.atomic():
                claim_decide(
                    claim=Claim.objects.get(pk=claim.pk), decision="approve", actor=first_actor
                )
                first_decided.set()
                release_first.wait(10)
        except BaseException as exc:
            errors.append(exc)
            first_decided.set()
        finally:
            connection.close()

    def second() -> None:
        try:
            first_decided.wait(10)
            with tenant_scope(tenant):
                claim_decide(
                    claim=Claim.objects.get(pk=claim.pk), decision="approve", actor=second_actor
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            second_done.set()
            connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_decided.wait(10)
    # The second approval is blocked on the row lock while the first is uncommitted.
    assert not second_done.wait(1.0)
    release_first.set()
    for thread in threads:
        thread.join(20)

    assert errors == []
    claim.refresh_from_db()
    assert claim.status == "approved"
    assert claim.decided_by == first_actor
    assert LedgerTransaction.objects.filter(idempotency_key=f"claim:{claim.pk}:credit").count() == 1
    assert merchant_balance(claim.merchant) == Decimal("1666.67")
