"""Order status changes: confirmation approves, refunds/cancellations reverse before
settlement and mark for clawback after it; the API endpoint."""

import json
from decimal import Decimal

import pytest

from apps.commissions.models import Commission, LedgerTransaction
from apps.commissions.selectors import clawbacks_due
from apps.commissions.services.accrual import commission_transition, commissions_accrue_day
from apps.commissions.services.orders import order_status_change
from apps.core.errors import DomainError
from apps.tenants.scope import current_tenant, tenant_scope
from tests.api.factories import bearer, issue_key
from tests.commissions.money_helpers import DAY, balances, conversion, rule
from tests.conftest import client_for
from tests.sites.factories import PlacementFactory
from tests.tenancy.harness import rows_unchanged

pytestmark = pytest.mark.django_db


@pytest.fixture
def order(scoped):
    """An order of 200.00 with a 5% rule (10.00) and a fixed 2.00 registration rule."""
    rule(event="order", rate_type="percent", value=5)
    conv = conversion(PlacementFactory(tenant=current_tenant()), amount=Decimal("200.00"))
    commissions_accrue_day(day=DAY)
    return conv


def change(conv, status, **kwargs):
    return order_status_change(
        merchant=conv.merchant, external_id=conv.external_id, status=status, **kwargs
    )


def test_confirmation_approves_the_pending_commission(order):
    change(order, "confirmed")
    commission = Commission.objects.get()
    assert commission.status == "approved"
    assert balances(order.affiliate) == (Decimal("0.00"), Decimal("10.00"))


def test_full_refund_before_settlement_reverses(order):
    change(order, "refunded", reason="returned")
    change(order, "refunded", reason="returned")  # idempotent
    commission = Commission.objects.get()
    assert (commission.status, commission.reversed_amount, commission.reversal_reason) == (
        "reversed",
        Decimal("10.00"),
        "returned",
    )
    assert commission.reversed_at is not None
    assert LedgerTransaction.objects.filter(kind="commission_reversed").count() == 1
    assert balances(order.affiliate) == (Decimal("0.00"), Decimal("0.00"))


def test_partial_refunds_reverse_proportionally_then_the_rest(order):
    change(order, "confirmed")
    change(order, "refunded", refund_amount=Decimal("50.00"), reason="returned")
    commission = Commission.objects.get()
    assert (commission.status, commission.reversed_amount) == ("approved", Decimal("2.50"))
    assert balances(order.affiliate) == (Decimal("0.00"), Decimal("7.50"))
    change(order, "refunded", refund_amount=Decimal("200.00"), reason="returned")
    commission.refresh_from_db()
    assert (commission.status, commission.reversed_amount) == ("reversed", Decimal("10.00"))
    assert balances(order.affiliate) == (Decimal("0.00"), Decimal("0.00"))


def test_cancellation_reverses_with_its_reason(order):
    change(order, "cancelled", reason="fraud")
    commission = Commission.objects.get()
    assert (commission.status, commission.reversal_reason) == ("reversed", "fraud")


def test_refund_after_settlement_is_marked_for_clawback(order):
    change(order, "confirmed")
    commission = commission_transition(commission=Commission.objects.get(), to="settled")
    settled_at = commission.settled_at
    change(order, "refunded", refund_amount=Decimal("100.00"), reason="returned")
    commission.refresh_from_db()
    # partial: stays settled, keeps settled_at, reversed_amount is the clawback
    assert (commission.status, commission.settled_at, commission.reversed_amount) == (
        "settled",
        settled_at,
        Decimal("5.00"),
    )
    assert list(clawbacks_due()) == [commission]
    change(order, "refunded", reason="returned")  # the rest
    commission.refresh_from_db()
    assert (commission.status, commission.settled_at, commission.reversed_amount) == (
        "reversed",
        settled_at,
        Decimal("10.00"),
    )
    assert balances(order.affiliate) == (Decimal("0.00"), Decimal("0.00"))


def test_refund_before_the_nightly_accrual_is_applied_by_it(scoped):
    rule(event="order", rate_type="fixed", value=2)
    conv = conversion(PlacementFactory(tenant=current_tenant()))
    change(conv, "cancelled", reason="duplicate")
    assert Commission.objects.count() == 0
    commissions_accrue_day(day=DAY)
    commission = Commission.objects.get()
    assert (commission.status, commission.reversal_reason) == ("reversed", "duplicate")
    assert balances(conv.affiliate) == (Decimal("0.00"), Decimal("0.00"))


def test_unknown_order_is_refused_and_nothing_changes(order):
    with pytest.raises(DomainError, match="has no order 'nope'"):
        order_status_change(merchant=order.merchant, external_id="nope", status="refunded")
    assert Commission.objects.get().status == "pending"


# --- API ---------------------------------------------------------------------------------


def post(conv, body, key=None):
    key = key or issue_key(conv.merchant, scopes=["orders:write"])
    return client_for(conv.tenant).post(
        f"/api/v1/orders/{conv.external_id}/status",
        data=json.dumps(body),
        content_type="application/json",
        **bearer(key),
    )


def test_api_refund_reverses(order):
    response = post(order, {"status": "refunded", "refund_amount": "200.00", "reason": "returned"})
    assert response.status_code == 200, response.content
    assert response.json() == {
        "external_id": order.external_id,
        "status": "refunded",
        "refund_amount": "200.00",
        "reason": "returned",
    }
    assert Commission.objects.get().status == "reversed"


def test_api_invalid_body_names_fields(order):
    response = post(order, {"status": "lost", "reason": "bored"})
    assert response.status_code == 400
    assert set(response.json()["extra"]["fields"]) == {"status", "reason"}
    assert Commission.objects.get().status == "pending"


def test_api_refund_above_the_amount_is_refused(order):
    response = post(order, {"status": "refunded", "refund_amount": "999.00"})
    assert response.status_code == 400
    assert "refund_amount" in response.json()["message"]
    assert Commission.objects.get().reversed_amount == Decimal("0.00")


def test_api_needs_the_scope(order):
    key = issue_key(order.merchant, scopes=["conversions:write"])
    assert post(order, {"status": "confirmed"}, key=key).status_code == 403
    assert Commission.objects.get().status == "pending"


def test_api_another_tenants_order_is_404(order, other_tenant):
    with tenant_scope(other_tenant):
        theirs = conversion(PlacementFactory(tenant=other_tenant))
    mine_key = issue_key(order.merchant, scopes=["orders:write"])
    statuses = list(Commission.objects.values_list("pk", "status"))
    # the key's last-used time is the one row of A's a refused request may touch
    with rows_unchanged(other_tenant):
        response = client_for(order.tenant).post(
            f"/api/v1/orders/{theirs.external_id}/status",
            data=json.dumps({"status": "cancelled"}),
            content_type="application/json",
            **bearer(mine_key),
        )
    assert response.status_code == 404
    with tenant_scope(other_tenant):
        theirs.refresh_from_db()
        assert theirs.status == "pending"
    assert list(Commission.objects.values_list("pk", "status")) == statuses
