"""Statement generation (issue 5): lines, carry-over, clawbacks, idempotency, concurrency."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.commissions.models import Commission, Statement, StatementLine
from apps.commissions.services.statements import (
    StatementError,
    period_bounds,
    previous_period,
    statement_approve,
    statement_submit,
    statements_generate,
)
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory, give_payout_details
from tests.commissions.factories import CommissionFactory
from tests.commissions.statement_helpers import (
    commission,
    earning,
    refund_after_settlement,
    reverse_before_settlement,
)
from tests.conftest import make_staff

pytestmark = pytest.mark.django_db

MARCH = "2026-03"
APRIL = "2026-04"
D = datetime.date


def _generate(tenant, period=MARCH):
    with tenant_scope(tenant):
        return statements_generate(period=period)


def _statement(tenant, affiliate, period=MARCH):
    with tenant_scope(tenant):
        return Statement.objects.get(affiliate=affiliate, period=period)


def _lines(tenant, statement):
    with tenant_scope(tenant):
        return sorted(
            (line.kind, line.amount) for line in StatementLine.objects.filter(statement=statement)
        )


def _approve(tenant, statement):
    submitter, approver = make_staff(tenant, "finance"), make_staff(tenant, "finance")
    with tenant_scope(tenant):
        give_payout_details(statement.affiliate)
        statement_submit(statement=statement, actor=submitter)
        return statement_approve(statement=statement, actor=approver)


def test_period_helpers():
    assert period_bounds("2026-02") == (D(2026, 2, 1), D(2026, 2, 28))
    assert period_bounds("2024-12") == (D(2024, 12, 1), D(2024, 12, 31))
    assert previous_period(D(2026, 1, 15)) == "2025-12"
    with pytest.raises(StatementError, match="YYYY-MM"):
        period_bounds("2026-3")


def test_generate_pays_contract_earnings_and_approved_commissions(tenant):
    # given: two days of earnings (one with order fees, paid through commissions instead),
    # an approved commission, a partly reversed one, a pending one and April's earnings
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "300.00", "200.00", orders="100.00")
    earning(webmaster, D(2026, 3, 2), "600.00")
    earning(webmaster, D(2026, 4, 1), "999.00")
    commission(webmaster, "2.00")
    commission(webmaster, "10.00", reversed_amount="4.00")
    commission(webmaster, "7.00", status="pending")
    # when
    result = _generate(tenant)
    # then
    statement = _statement(tenant, webmaster)
    assert _lines(tenant, statement) == [
        ("commission", Decimal("2.00")),
        ("commission", Decimal("6.00")),
        ("earning", Decimal("500.00")),
        ("earning", Decimal("600.00")),
    ]
    assert statement.status == "draft"
    assert statement.opening_balance == Decimal("0.00")
    assert statement.lines_total == Decimal("1108.00")
    assert statement.total == Decimal("1108.00")
    assert statement.carried_forward is False
    assert result["created"] == 1
    assert result["lines_created"] == 4


def test_webmaster_without_activity_gets_no_statement(tenant):
    AffiliateFactory(tenant=tenant)
    assert _generate(tenant)["statements"] == 0
    assert Statement.objects.count() == 0


def test_below_minimum_carries_over_into_next_statement(tenant):
    # given: March earns 60.00, below the default minimum payout of 100.00
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 5), "60.00")
    _generate(tenant)
    march = _statement(tenant, webmaster)
    assert (march.total, march.carried_forward) == (Decimal("60.00"), True)
    # when: April earns 50.00 more
    earning(webmaster, D(2026, 4, 5), "50.00")
    _generate(tenant, APRIL)
    # then: April opens with March's 60.00 and pays 110.00
    april = _statement(tenant, webmaster, APRIL)
    assert april.opening_balance == Decimal("60.00")
    assert april.lines_total == Decimal("50.00")
    assert april.total == Decimal("110.00")
    assert april.carried_forward is False


def test_carried_statement_is_refused_approval(tenant):
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 5), "60.00")
    _generate(tenant)
    statement = _statement(tenant, webmaster)
    with pytest.raises(Exception, match="carries its total"):
        _approve(tenant, statement)
    assert _statement(tenant, webmaster).status == "submitted"


def test_tenant_minimum_payout_is_used(tenant):
    tenant.minimum_payout = Decimal("50.00")
    tenant.save(update_fields=["minimum_payout"])
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 5), "60.00")
    _generate(tenant)
    assert _statement(tenant, webmaster).carried_forward is False


def test_refund_after_settlement_claws_back_once_on_next_statement(tenant):
    # given: March pays an approved 80.00 commission and 500.00 of earnings, and is approved
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "500.00")
    paid = commission(webmaster, "80.00")
    _generate(tenant)
    march = _approve(tenant, _statement(tenant, webmaster))
    paid.refresh_from_db()
    assert (march.status, paid.status) == ("approved", "settled")
    assert paid.settled_at is not None
    # when: the order is refunded in April for 30.00 (money marks reversed_amount)
    refund_after_settlement(paid, "30.00")
    earning(webmaster, D(2026, 4, 1), "200.00")
    _generate(tenant, APRIL)
    _generate(tenant, APRIL)  # a rerun adds nothing
    # then: April claws back 30.00 once; March is untouched
    april = _statement(tenant, webmaster, APRIL)
    assert _lines(tenant, april) == [
        ("clawback", Decimal("-30.00")),
        ("earning", Decimal("200.00")),
    ]
    assert april.total == Decimal("170.00")
    march_after = _statement(tenant, webmaster)
    assert (march_after.total, march_after.updated_at) == (march.total, march.updated_at)
    # and May does not claw it back again
    earning(webmaster, D(2026, 5, 1), "200.00")
    _generate(tenant, "2026-05")
    assert _lines(tenant, _statement(tenant, webmaster, "2026-05")) == [
        ("earning", Decimal("200.00"))
    ]


def test_partial_refund_before_payout_then_after_claws_back_only_the_difference(tenant):
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "500.00")
    row = commission(webmaster, "80.00", reversed_amount="20.00")  # paid 60.00
    _generate(tenant)
    _approve(tenant, _statement(tenant, webmaster))
    refund_after_settlement(row, "50.00")  # now 30.00 is owed: 30.00 comes back
    _generate(tenant, APRIL)
    assert _lines(tenant, _statement(tenant, webmaster, APRIL)) == [("clawback", Decimal("-30.00"))]


def test_negative_balance_carries_over(tenant):
    # given: a refund after payout that exceeds April's earnings
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "500.00")
    row = commission(webmaster, "300.00")
    _generate(tenant)
    _approve(tenant, _statement(tenant, webmaster))
    refund_after_settlement(row, "300.00")
    earning(webmaster, D(2026, 4, 1), "100.00")
    _generate(tenant, APRIL)
    april = _statement(tenant, webmaster, APRIL)
    assert (april.total, april.carried_forward) == (Decimal("-200.00"), True)
    # when: May earns 450.00
    earning(webmaster, D(2026, 5, 1), "450.00")
    _generate(tenant, "2026-05")
    may = _statement(tenant, webmaster, "2026-05")
    assert (may.opening_balance, may.total, may.carried_forward) == (
        Decimal("-200.00"),
        Decimal("250.00"),
        False,
    )


def test_reversal_before_settlement_leaves_the_draft_on_refresh(tenant):
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "500.00")
    row = commission(webmaster, "40.00")
    _generate(tenant)
    assert _statement(tenant, webmaster).total == Decimal("540.00")
    reverse_before_settlement(row)
    result = _generate(tenant)
    statement = _statement(tenant, webmaster)
    assert result["lines_deleted"] == 1
    assert _lines(tenant, statement) == [("earning", Decimal("500.00"))]
    assert statement.total == Decimal("500.00")


def test_rerun_creates_nothing_twice(tenant):
    webmasters = [AffiliateFactory(tenant=tenant) for _ in range(3)]
    for webmaster in webmasters:
        earning(webmaster, D(2026, 3, 1), "150.00")
        commission(webmaster, "5.00")
    first = _generate(tenant)
    before = list(StatementLine.objects.order_by("pk").values_list("pk", "amount"))
    second = _generate(tenant)
    after = list(StatementLine.objects.order_by("pk").values_list("pk", "amount"))
    assert Statement.objects.count() == 3
    assert first["lines_created"] == 6
    assert (second["created"], second["lines_created"], second["updated"]) == (0, 0, 0)
    assert before == after


def test_approved_statement_is_never_touched_by_generation(tenant):
    webmaster = AffiliateFactory(tenant=tenant)
    earning(webmaster, D(2026, 3, 1), "500.00")
    _generate(tenant)
    approved = _approve(tenant, _statement(tenant, webmaster))
    commission(webmaster, "9.00", day=D(2026, 3, 20))  # approved later, March day
    result = _generate(tenant)
    statement = _statement(tenant, webmaster)
    assert result["skipped"] == 1
    assert (statement.total, statement.updated_at) == (approved.total, approved.updated_at)
    # the late commission goes onto the next statement instead
    _generate(tenant, APRIL)
    assert _lines(tenant, _statement(tenant, webmaster, APRIL)) == [("commission", Decimal("9.00"))]


def test_query_count_does_not_grow_with_webmasters(tenant):
    def build(count):
        for _ in range(count):
            webmaster = AffiliateFactory(tenant=tenant)
            earning(webmaster, D(2026, 3, 1), "150.00")
            commission(webmaster, "5.00")

    build(2)
    with CaptureQueriesContext(connection) as few:
        statements_generate(period=MARCH)
    build(12)
    with CaptureQueriesContext(connection) as many:
        result = statements_generate(period=MARCH)
    assert result["created"] == 12
    assert len(many.captured_queries) <= len(few.captured_queries)


def test_other_tenant_is_untouched(tenant, other_tenant):
    mine = AffiliateFactory(tenant=tenant)
    theirs = AffiliateFactory(tenant=other_tenant)
    earning(mine, D(2026, 3, 1), "150.00")
    earning(theirs, D(2026, 3, 1), "150.00")
    commission(theirs, "5.00")
    assert _generate(tenant)["statements"] == 1
    with tenant_scope(other_tenant):
        assert Statement.objects.count() == 0
        assert Commission.objects.get().status == "approved"


@pytest.mark.django_db(transaction=True)
def test_concurrent_runs_create_nothing_twice(tenant):
    # given: ten webmasters with activity
    for _ in range(10):
        webmaster = AffiliateFactory(tenant=tenant)
        earning(webmaster, D(2026, 3, 1), "150.00")
        commission(webmaster, "5.00")
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run():
        try:
            barrier.wait()
            results.append(_generate(tenant))
        except Exception as exc:  # collected and asserted below
            errors.append(exc)
        finally:
            connection.close()

    # when: two runs at once
    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # then: one run made everything, the other nothing
    assert errors == []
    assert sorted(r["lines_created"] for r in results) == [0, 20]
    assert Statement.objects.count() == 10
    assert StatementLine.objects.count() == 20
    assert set(Statement.objects.values_list("total", flat=True)) == {Decimal("155.00")}


def test_refund_through_the_order_service_before_and_after_settlement(tenant):
    """Issue 5's two refunds, through money's order service: before settlement the commission
    is reversed and leaves the draft; after settlement it is clawed back on the next one."""
    from apps.commissions.services.orders import order_status_change
    from tests.tracking.factories import ConversionFactory

    # given: two orders of 200.00, each paying 8.00, both approved
    early = ConversionFactory(tenant=tenant, amount=Decimal("200.00"), day=D(2026, 3, 2))
    webmaster, merchant = early.affiliate, early.merchant
    late = ConversionFactory(
        tenant=tenant,
        click__placement=early.placement,
        click__affiliate=webmaster,
        click__merchant=merchant,
        amount=Decimal("200.00"),
        day=D(2026, 3, 3),
    )
    assert (late.affiliate, late.merchant) == (webmaster, merchant)
    rows = {}
    for conversion in (early, late):
        rows[conversion.external_id] = CommissionFactory(
            tenant=tenant,
            affiliate=webmaster,
            merchant=merchant,
            placement=conversion.placement,
            conversion=conversion,
            source="conversion",
            source_reference="",
            day=conversion.day,
            amount=Decimal("8.00"),
            status="approved",
        )
    earning(webmaster, D(2026, 3, 1), "500.00")
    _generate(tenant)
    # when: the early order is cancelled before the statement is approved
    order_status_change(merchant=merchant, external_id=early.external_id, status="cancelled")
    _generate(tenant)
    march = _statement(tenant, webmaster)
    assert _lines(tenant, march) == [
        ("commission", Decimal("8.00")),
        ("earning", Decimal("500.00")),
    ]
    march = _approve(tenant, march)
    # and the late one is half refunded after payout
    order_status_change(
        merchant=merchant,
        external_id=late.external_id,
        status="refunded",
        refund_amount=Decimal("100.00"),
        reason="returned",
    )
    settled = Commission.objects.get(pk=rows[late.external_id].pk)
    assert (settled.status, settled.reversed_amount) == ("settled", Decimal("4.00"))
    earning(webmaster, D(2026, 4, 1), "200.00")
    _generate(tenant, APRIL)
    _generate(tenant, APRIL)
    # then: April claws back 4.00 once
    april = _statement(tenant, webmaster, APRIL)
    assert _lines(tenant, april) == [("clawback", Decimal("-4.00")), ("earning", Decimal("200.00"))]
    assert april.total == Decimal("196.00")


def test_rerun_after_a_daily_rerun_updates_the_line_in_place(tenant):
    from apps.commissions.models import DailyEarning

    webmaster = AffiliateFactory(tenant=tenant)
    row = earning(webmaster, D(2026, 3, 1), "300.00", "200.00")
    _generate(tenant)
    line = StatementLine.objects.get()
    DailyEarning.objects.filter(pk=row.pk).update(
        click_income=Decimal("550.00"), guarantee_topup=Decimal("0.00"), total=Decimal("550.00")
    )
    result = _generate(tenant)
    updated = StatementLine.objects.get()
    assert (result["lines_updated"], result["lines_created"]) == (1, 0)
    assert (updated.pk, updated.amount) == (line.pk, Decimal("550.00"))
    assert updated.updated_at > line.updated_at
    assert _statement(tenant, webmaster).total == Decimal("550.00")
