"""The statement workflow (issue 5): four eyes, holds, the approval race, payouts, adjustments."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection

from apps.affiliates.services import affiliate_payment_hold_set
from apps.commissions.models import (
    Commission,
    LedgerEntry,
    LedgerTransaction,
    Statement,
    StatementLine,
)
from apps.commissions.services.statements import (
    StatementError,
    StatementFourEyesError,
    StatementStateError,
    statement_adjust,
    statement_approve,
    statement_mark_paid,
    statement_return_to_draft,
    statement_submit,
    statements_generate,
)
from apps.core.errors import NotPermittedError, StateConflictError
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.statement_helpers import commission, earning
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def draft(tenant):
    """A March draft of 505.00: 500.00 of earnings and a 5.00 approved commission."""
    webmaster = AffiliateFactory(tenant=tenant, name="Sunrise Deals", payout_details=True)
    earning(webmaster, D(2026, 3, 1), "300.00", "200.00")
    commission(webmaster, "5.00")
    with tenant_scope(tenant):
        statements_generate(period="2026-03")
        return Statement.objects.get(affiliate=webmaster)


@pytest.fixture
def finance(tenant):
    return make_staff(tenant, "finance", email="finance@alpha.test")


@pytest.fixture
def finance2(tenant):
    return make_staff(tenant, "finance", email="finance2@alpha.test")


def _reload(tenant, statement):
    with tenant_scope(tenant):
        return Statement.objects.get(pk=statement.pk)


def test_submit_then_other_user_approves_and_settles_commissions(tenant, draft, finance, finance2):
    statement_submit(statement=draft, actor=finance)
    approved = statement_approve(statement=draft, actor=finance2)
    assert approved.status == "approved"
    assert approved.approved_by == finance2
    assert approved.submitted_by == finance
    assert Commission.objects.get().status == "settled"
    history = list(approved.history.order_by("history_id").values_list("status", flat=True))
    assert history[-2:] == ["submitted", "approved"]


def test_submitter_cannot_approve_four_eyes(tenant, draft, finance):
    statement_submit(statement=draft, actor=finance)
    with pytest.raises(StatementFourEyesError, match="four eyes"):
        statement_approve(statement=draft, actor=finance)
    assert isinstance(StatementFourEyesError("x"), NotPermittedError)
    statement = Statement.objects.get(pk=draft.pk)
    assert (statement.status, statement.approved_by) == ("submitted", None)
    assert Commission.objects.get().status == "approved"


def test_last_adjuster_cannot_approve_four_eyes(tenant, draft, finance, finance2):
    statement_adjust(
        statement=draft, amount=Decimal("-5.50"), reason="Duplicate traffic", actor=finance2
    )
    statement_submit(statement=draft, actor=finance)
    with pytest.raises(StatementFourEyesError, match="last adjusted"):
        statement_approve(statement=draft, actor=finance2)
    statement = Statement.objects.get(pk=draft.pk)
    assert statement.status == "submitted"
    assert statement.total == Decimal("499.50")


def test_payment_hold_blocks_approval_until_lifted(tenant, draft, finance, finance2):
    risk = make_staff(tenant, "risk")
    affiliate_payment_hold_set(
        affiliate=draft.affiliate, hold=True, reason="Traffic under review", actor=risk
    )
    statement_submit(statement=draft, actor=finance)
    with pytest.raises(StatementStateError, match="Traffic under review"):
        statement_approve(statement=draft, actor=finance2)
    assert Statement.objects.get(pk=draft.pk).status == "submitted"
    assert Commission.objects.get().status == "approved"
    affiliate_payment_hold_set(affiliate=draft.affiliate, hold=False, reason="", actor=risk)
    assert statement_approve(statement=draft, actor=finance2).status == "approved"


def test_hold_does_not_stop_generation(tenant, finance):
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "300.00")
    affiliate_payment_hold_set(affiliate=webmaster, hold=True, reason="KYC", actor=finance)
    assert statements_generate(period="2026-03")["created"] == 1


def test_return_to_draft_needs_a_reason(tenant, draft, finance, finance2):
    statement_submit(statement=draft, actor=finance)
    with pytest.raises(StatementError, match="reason"):
        statement_return_to_draft(statement=draft, actor=finance2, reason="  ")
    assert Statement.objects.get(pk=draft.pk).status == "submitted"
    back = statement_return_to_draft(
        statement=draft, actor=finance2, reason="Check the March 1 top-up"
    )
    assert (back.status, back.returned_reason, back.submitted_by) == (
        "draft",
        "Check the March 1 top-up",
        None,
    )


def test_approve_twice_is_noop_and_approved_never_changes(tenant, draft, finance, finance2):
    statement_submit(statement=draft, actor=finance)
    first = statement_approve(statement=draft, actor=finance2)
    again = statement_approve(statement=draft, actor=finance2)
    assert (again.approved_at, again.status) == (first.approved_at, "approved")
    with pytest.raises(StateConflictError):
        statement_adjust(statement=draft, amount=Decimal("1.00"), reason="x", actor=finance)
    with pytest.raises(StateConflictError):
        statement_return_to_draft(statement=draft, actor=finance, reason="late change")
    with pytest.raises(StateConflictError):
        statement_submit(statement=draft, actor=finance)
    assert StatementLine.objects.filter(statement=draft).count() == 2
    assert Statement.objects.get(pk=draft.pk).total == Decimal("505.00")


def test_draft_cannot_be_approved_or_paid(tenant, draft, finance):
    with pytest.raises(StatementStateError):
        statement_approve(statement=draft, actor=finance)
    with pytest.raises(StatementStateError):
        statement_mark_paid(statement=draft, actor=finance, payout_reference="BANK-1")
    assert Statement.objects.get(pk=draft.pk).status == "draft"


def test_commission_changed_after_drafting_refuses_approval(tenant, draft, finance, finance2):
    statement_submit(statement=draft, actor=finance)
    Commission.objects.update(status="reversed", reversed_amount=Decimal("5.00"))
    with pytest.raises(StatementStateError, match="changed since"):
        statement_approve(statement=draft, actor=finance2)
    assert Statement.objects.get(pk=draft.pk).status == "submitted"


def test_mark_paid_posts_the_payout_once(tenant, draft, finance, finance2):
    statement_submit(statement=draft, actor=finance)
    statement_approve(statement=draft, actor=finance2)
    with pytest.raises(StatementError, match="payout reference"):
        statement_mark_paid(statement=draft, actor=finance, payout_reference="")
    paid = statement_mark_paid(statement=draft, actor=finance, payout_reference="ICBC-0042")
    statement_mark_paid(statement=draft, actor=finance, payout_reference="ICBC-0042")
    assert (paid.status, paid.payout_reference, paid.paid_by) == ("paid", "ICBC-0042", finance)
    payout = LedgerTransaction.objects.get(idempotency_key=f"statement:{draft.pk}:paid")
    legs = sorted(
        (entry.account.kind, entry.amount)
        for entry in LedgerEntry.objects.filter(transaction=payout).select_related("account")
    )
    assert legs == [
        ("network_cash", Decimal("505.00")),
        ("webmaster_payable", Decimal("-505.00")),
    ]


def test_adjustment_recomputes_carry_over(tenant, draft, finance):
    line = statement_adjust(
        statement=draft, amount=Decimal("-450.00"), reason="Fraud refund", actor=finance
    )
    statement = Statement.objects.get(pk=draft.pk)
    with pytest.raises(StatementError):
        statement_adjust(statement=draft, amount=Decimal("5"), reason="", actor=finance)
    assert (line.kind, line.amount, line.reason) == (
        "adjustment",
        Decimal("-450.00"),
        "Fraud refund",
    )
    assert (statement.total, statement.carried_forward) == (Decimal("55.00"), True)
    assert statement.last_adjusted_by == finance


def test_adjustment_survives_regeneration(tenant, draft, finance):
    statement_adjust(statement=draft, amount=Decimal("20.00"), reason="Bonus", actor=finance)
    statements_generate(period="2026-03")
    statement = Statement.objects.get(pk=draft.pk)
    assert StatementLine.objects.filter(statement=draft, kind="adjustment").count() == 1
    assert statement.total == Decimal("525.00")


def test_other_tenant_statement_is_not_found(tenant, other_tenant, draft, finance):
    with tenant_scope(other_tenant), pytest.raises(Statement.DoesNotExist):
        statement_submit(statement=draft, actor=finance)
    assert _reload(tenant, draft).status == "draft"


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_approvals_give_exactly_one(tenant):
    # given: a submitted statement and 20 other finance users
    webmaster = AffiliateFactory(tenant=tenant, payout_details=True)
    earning(webmaster, D(2026, 3, 1), "500.00")
    commission(webmaster, "5.00")
    submitter = make_staff(tenant, "finance")
    approvers = [make_staff(tenant, "finance") for _ in range(20)]
    statements_generate(period="2026-03")
    statement = Statement.objects.get()
    statement_submit(statement=statement, actor=submitter)
    barrier = threading.Barrier(len(approvers))
    outcomes, errors = [], []

    def approve(user):
        try:
            with tenant_scope(tenant):
                barrier.wait()
                target = Statement.objects.get(pk=statement.pk)
                result = statement_approve(statement=target, actor=user)
                outcomes.append((user.pk, result.approved_by_id))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    # when: all approve at once
    threads = [threading.Thread(target=approve, args=(user,)) for user in approvers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then: one approval was made; the others saw it and changed nothing
    assert errors == []
    final = Statement.objects.get(pk=statement.pk)
    approvals = final.history.filter(status="approved").count()
    settled = Commission.objects.get()
    assert approvals == 1
    winners = {approved_by for _, approved_by in outcomes}
    assert winners == {final.approved_by_id}
    assert final.approved_by_id in {user.pk for user in approvers}
    assert settled.status == "settled"


def test_adjusting_a_statement_followed_by_a_later_one_is_refused(tenant, finance):
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "60.00")
    earning(webmaster, D(2026, 4, 1), "60.00")
    statements_generate(period="2026-03")
    statements_generate(period="2026-04")
    march = Statement.objects.get(period="2026-03")
    with pytest.raises(StatementStateError, match="later statement"):
        statement_adjust(statement=march, amount=Decimal("5.00"), reason="x", actor=finance)
    assert Statement.objects.get(pk=march.pk).total == Decimal("60.00")
    assert Statement.objects.get(period="2026-04").total == Decimal("120.00")
