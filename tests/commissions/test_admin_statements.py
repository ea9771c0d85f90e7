"""The finance back office for statements, and risk's payment holds (issue 5)."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apps.affiliates.models import Affiliate
from apps.commissions.models import Statement, StatementLine
from apps.commissions.services.statements import statement_submit, statements_generate
from apps.tenants.scope import tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.statement_helpers import earning
from tests.conftest import client_for, make_staff
from tests.tenancy.harness import rows_unchanged

pytestmark = pytest.mark.django_db

URL = "/admin/commissions/statement/"
HOLDS = "/admin/commissions/webmasterpaymenthold/"


def _drafts(tenant, count=1, amount="300.00"):
    for _ in range(count):
        earning(
            AffiliateFactory(tenant=tenant, payout_details=True), datetime.date(2026, 3, 1), amount
        )
    with tenant_scope(tenant):
        statements_generate(period="2026-03")
        return list(Statement.objects.order_by("pk"))


def _status(tenant, statement):
    with tenant_scope(tenant):
        return Statement.objects.get(pk=statement.pk).status


def _act(client, action, statements, **data):
    return client.post(
        URL,
        {"action": action, "_selected_action": [s.pk for s in statements], **data},
        follow=True,
    )


def test_changelist_shows_totals_per_status_in_constant_queries(tenant):
    client = client_for(tenant, make_staff(tenant, "finance"))
    _drafts(tenant, 2)
    client.get(URL)
    with CaptureQueriesContext(connection) as few:
        response = client.get(URL)
    _drafts(tenant, 8)
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert response.status_code == 200
    content = response.content.decode()
    assert "10 · 3,000.00 CNY" in content  # ten drafts of 300.00
    assert len(many.captured_queries) == len(few.captured_queries)


def test_submit_needs_confirmation_then_submits(tenant):
    (statement,) = _drafts(tenant)
    client = client_for(tenant, make_staff(tenant, "finance"))
    response = client.post(URL, {"action": "submit_statements", "_selected_action": [statement.pk]})
    assert response.status_code == 200
    assert "Confirm: Submit" in response.content.decode()
    assert _status(tenant, statement) == "draft"
    _act(client, "submit_statements", [statement], apply="1")
    assert _status(tenant, statement) == "submitted"


def test_own_statement_approval_is_refused_with_message(tenant):
    (statement,) = _drafts(tenant)
    finance = make_staff(tenant, "finance")
    client = client_for(tenant, finance)
    _act(client, "submit_statements", [statement], apply="1")
    response = _act(client, "approve_statements", [statement], apply="1")
    assert "four eyes" in response.content.decode()
    assert _status(tenant, statement) == "submitted"
    other = client_for(tenant, make_staff(tenant, "finance"))
    _act(other, "approve_statements", [statement], apply="1")
    assert _status(tenant, statement) == "approved"


def test_return_to_draft_asks_for_a_reason(tenant):
    (statement,) = _drafts(tenant)
    finance = make_staff(tenant, "finance")
    statement_submit(statement=statement, actor=finance)
    client = client_for(tenant, make_staff(tenant, "finance"))
    response = _act(client, "return_to_draft", [statement], apply="1", reason="")
    assert "Give a reason" in response.content.decode()
    assert _status(tenant, statement) == "submitted"
    _act(client, "return_to_draft", [statement], apply="1", reason="Wrong top-up")
    back = Statement.objects.get(pk=statement.pk)
    assert (back.status, back.returned_reason) == ("draft", "Wrong top-up")


def test_mark_paid_needs_a_reference(tenant):
    (statement,) = _drafts(tenant)
    submitter = client_for(tenant, make_staff(tenant, "finance"))
    approver = client_for(tenant, make_staff(tenant, "finance"))
    _act(submitter, "submit_statements", [statement], apply="1")
    _act(approver, "approve_statements", [statement], apply="1")
    _act(approver, "mark_paid", [statement], apply="1", payout_reference="")
    assert _status(tenant, statement) == "approved"
    _act(approver, "mark_paid", [statement], apply="1", payout_reference="BANK-77")
    paid = Statement.objects.get(pk=statement.pk)
    assert (paid.status, paid.payout_reference) == ("paid", "BANK-77")


def test_adjustment_action_adds_a_line(tenant):
    (statement,) = _drafts(tenant)
    client = client_for(tenant, make_staff(tenant, "finance"))
    _act(client, "add_adjustment", [statement], apply="1", amount="-12.50", reason="Late fraud")
    line = StatementLine.objects.get(statement=statement, kind="adjustment")
    total = Statement.objects.get(pk=statement.pk).total
    assert (line.amount, line.reason, total) == (Decimal("-12.50"), "Late fraud", Decimal("287.50"))


def test_bd_staff_cannot_run_finance_actions(tenant):
    (statement,) = _drafts(tenant)
    client = client_for(tenant, make_staff(tenant, "bd"))
    assert client.get(URL).status_code == 200
    _act(client, "submit_statements", [statement], apply="1")
    assert _status(tenant, statement) == "draft"


def test_change_page_is_read_only_with_lines(tenant):
    (statement,) = _drafts(tenant)
    client = client_for(tenant, make_staff(tenant, "finance"))
    response = client.get(f"{URL}{statement.pk}/change/")
    assert response.status_code == 200
    content = response.content.decode()
    assert "300.00" in content
    assert 'name="_save"' not in content


@pytest.mark.parametrize("role", ["risk", "finance"])
def test_holds_are_placed_and_lifted_with_a_reason(tenant, role):
    # given: a webmaster who is not held, and one who is
    webmaster = AffiliateFactory(tenant=tenant, name="To Hold")
    AffiliateFactory(tenant=tenant, name="Held Already", payment_hold=True)
    client = client_for(tenant, make_staff(tenant, role))
    # the holds page lists only held webmasters
    listing = client.get(HOLDS).content.decode()
    assert "Held Already" in listing
    assert "To Hold" not in listing
    # when: the hold is placed from its form (prefilled from the webmaster's page)
    form = client.get(f"{HOLDS}add/?affiliate={webmaster.pk}").content.decode()
    assert webmaster.email in form
    refused = client.post(f"{HOLDS}add/", {"webmaster": webmaster.email, "reason": ""})
    assert refused.status_code == 200
    response = client.post(
        f"{HOLDS}add/", {"webmaster": webmaster.email, "reason": "KYC"}, follow=True
    )
    assert "Payouts to To Hold are on hold: KYC" in response.content.decode()
    held = Affiliate.objects.get(pk=webmaster.pk)
    assert (held.payment_hold, held.payment_hold_reason) == (True, "KYC")
    assert held.history.first().history_change_reason == "payment hold set: KYC"
    # then: lifted with a reason from the list
    confirm = client.post(HOLDS, {"action": "lift_hold", "_selected_action": [webmaster.pk]})
    assert "Reason" in confirm.content.decode()
    client.post(
        HOLDS,
        {"action": "lift_hold", "_selected_action": [webmaster.pk], "apply": "1", "reason": "OK"},
    )
    assert Affiliate.objects.get(pk=webmaster.pk).payment_hold is False


def test_bd_cannot_place_holds(tenant):
    webmaster = AffiliateFactory(tenant=tenant)
    client = client_for(tenant, make_staff(tenant, "bd"))
    response = client.post(f"{HOLDS}add/", {"webmaster": webmaster.email, "reason": "x"})
    assert response.status_code == 403
    assert Affiliate.objects.get(pk=webmaster.pk).payment_hold is False


def test_another_tenants_webmaster_cannot_be_held(tenant, other_tenant):
    theirs = AffiliateFactory(tenant=other_tenant)
    client = client_for(tenant, make_staff(tenant, "finance"))
    with rows_unchanged(tenant, other_tenant):
        response = client.post(f"{HOLDS}add/", {"webmaster": theirs.email, "reason": "x"})
    assert "No webmaster with the email" in response.content.decode()
    with tenant_scope(other_tenant):
        assert Affiliate.objects.get(pk=theirs.pk).payment_hold is False


def test_statement_page_carries_the_actions_its_status_allows(tenant):
    (statement,) = _drafts(tenant)
    submitter = make_staff(tenant, "finance")
    client = client_for(tenant, make_staff(tenant, "finance"))
    page = client.get(f"{URL}{statement.pk}/change/").content.decode()
    assert f"{URL}{statement.pk}/submit/" in page
    assert f"{URL}{statement.pk}/approve/" not in page
    assert "March 2026 · " in page  # named for people
    statement_submit(statement=statement, actor=submitter)
    page = client.get(f"{URL}{statement.pk}/change/").content.decode()
    assert f"{URL}{statement.pk}/approve/" in page
    assert f"{URL}{statement.pk}/return/" in page
    # the button opens the confirmation page, which posts back to it
    confirm = client.get(f"{URL}{statement.pk}/approve/")
    assert 'id="confirm-action"' in confirm.content.decode()
    done = client.post(f"{URL}{statement.pk}/approve/", {"apply": "1"}, follow=True)
    assert "1 statement(s) approved" in done.content.decode()
    assert _status(tenant, statement) == "approved"


def test_statement_page_actions_of_another_tenant_are_404(tenant, other_tenant):
    (statement,) = _drafts(tenant)
    client = client_for(other_tenant, make_staff(other_tenant, "finance"))
    assert client.get(f"{URL}{statement.pk}/submit/").status_code == 404
    with rows_unchanged(tenant, other_tenant):
        assert client.post(f"{URL}{statement.pk}/submit/", {"apply": "1"}).status_code == 404
    assert _status(tenant, statement) == "draft"


def test_other_tenant_statement_actions_do_nothing(tenant, other_tenant):
    (statement,) = _drafts(tenant)
    client = client_for(other_tenant, make_staff(other_tenant, "finance"))
    with rows_unchanged(tenant, other_tenant):
        _act(client, "submit_statements", [statement], apply="1")
    assert _status(tenant, statement) == "draft"
    assert client.get(f"{URL}{statement.pk}/change/").status_code == 404


def test_statement_page_shows_the_portals_subtotals_and_pending_note(tenant):
    from apps.commissions.selectors_statements import (
        commissions_not_on_statement,
        statement_list_for_affiliate,
        statement_subtotals,
    )
    from tests.commissions.statement_helpers import commission

    # given: March with clicks, an approved order commission and a pending registration one
    webmaster = AffiliateFactory(tenant=tenant, payout_details=True)
    earning(webmaster, datetime.date(2026, 3, 1), "300.00")
    commission(webmaster, "12.50", status="approved")
    pending = commission(webmaster, "4.00", status="pending")
    type(pending).objects.filter(pk=pending.pk).update(event="registration")
    statements_generate(period="2026-03")
    statement = statement_list_for_affiliate(affiliate=webmaster).get(period="2026-03")
    subtotals = statement_subtotals(statement)
    notes = commissions_not_on_statement(affiliate=webmaster, until=statement.period_end)
    assert [(row["kind"], row["amount"]) for row in subtotals] == [
        ("earning", Decimal("300.00")),
        ("order", Decimal("12.50")),
    ]
    assert [(row["status"], row["event"], row["amount"]) for row in notes] == [
        ("pending", "registration", Decimal("4.00"))
    ]
    # when: finance opens the statement
    client = client_for(tenant, make_staff(tenant, "finance"))
    page = client.get(f"{URL}{statement.pk}/change/").content.decode()
    # then: the same subtotals and note as the portal's statement page
    assert '<tr data-kind="earning"><td class="pr-4">Clicks and guarantee</td>' in page
    assert "300.00 CNY" in page
    assert '<tr data-kind="order"><td class="pr-4">Order commissions</td>' in page
    assert "12.50 CNY" in page
    assert '<tr data-status="pending" data-event="registration">' in page
    assert "4.00 CNY" in page
    assert "locked until approved" in page
