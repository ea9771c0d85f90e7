"""``manage.py reconcile`` (issue 13): every copy of a figure agrees with its source, per
placement and day; one corrupted daily earning, commission and ledger leg are each told by
placement, day and amount."""

import datetime
import io
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

from apps.commissions.models import (
    AccountKind,
    Commission,
    DailyEarning,
    ReconcileRun,
)
from apps.commissions.services.ledger import ledger_account_for, ledger_post, network_account
from apps.commissions.services.statements import statements_generate
from apps.core.reconcile import reconcile_checks
from apps.tenants.scope import tenant_scope
from apps.tracking.services.daily import daily_run_execute
from tests.campaigns.factories import ProductFactory
from tests.commissions.money_helpers import conversion, rule
from tests.sites.factories import ContractFactory
from tests.tracking.factories import ClickFactory

pytestmark = pytest.mark.django_db

PERIOD = "2026-03"
DAYS = [datetime.date(2026, 3, 2), datetime.date(2026, 3, 3)]


def at(day, hour=10):
    # 10:00 in Asia/Shanghai (the tenant's zone)
    return datetime.datetime.combine(day, datetime.time(hour - 8), tzinfo=datetime.UTC)


def build_month(tenant):
    """Two days of clicks and conversions on one contract placement, run_daily on each,
    then the month's statements."""
    with tenant_scope(tenant):
        contract = ContractFactory(
            tenant=tenant,
            starts_on=datetime.date(2026, 1, 1),
            click_rate=Decimal("0.10"),
            daily_guarantee=Decimal("5.00"),
        )
        placement = contract.placement
        product = ProductFactory(tenant=tenant)
        rule(event="registration", rate_type="fixed", value=1)
        rule(event="order", rate_type="percent", value=10)
        for index, day in enumerate(DAYS):
            for _ in range(30 + 40 * index):
                ClickFactory(
                    tenant=tenant, placement=placement, product=product, clicked_at=at(day)
                )
            conversion(placement, type="order", amount=Decimal("123.45"), day=day,
                       occurred_at=at(day, 11), product=product)  # fmt: skip
            conversion(placement, type="registration", amount=None, day=day,
                       occurred_at=at(day, 12), product=product)  # fmt: skip
    for day in DAYS:
        with (
            time_machine.travel(at(day + datetime.timedelta(days=1)), tick=False),
            tenant_scope(tenant),
        ):
            daily_run_execute(day=day)
    with time_machine.travel(at(datetime.date(2026, 4, 2)), tick=False), tenant_scope(tenant):
        statements_generate(period=PERIOD)
    return placement


def reconcile(tenant):
    out = io.StringIO()
    code = 0
    try:
        call_command("reconcile", tenant=tenant.slug, period=PERIOD, stdout=out)
    except SystemExit as exc:
        code = exc.code
    return code, out.getvalue().splitlines()


def test_checks_are_registered_from_the_app():
    names = {check.name for check in reconcile_checks()}
    assert {
        "rollups.earnings",
        "earnings.commissions",
        "ledger.earnings",
        "ledger.commissions",
        "ledger.balance",
        "statements.lines",
        "reports.daily",
    } <= names


def test_a_clean_month_has_no_differences_and_is_stored(tenant):
    build_month(tenant)
    code, lines = reconcile(tenant)
    assert lines == ["reconcile: 0 differences"]
    assert code == 0
    run = ReconcileRun.objects.get(period=PERIOD)
    assert run.differences == 0
    assert "reports.daily" in run.checks


def test_corrupted_earning_commission_and_ledger_leg_are_each_found(tenant):
    placement = build_month(tenant)
    first, second = DAYS
    # a daily earning whose click income is 1.00 too high (total kept consistent)
    earning = DailyEarning.objects.get(placement=placement, day=first)
    DailyEarning.objects.filter(pk=earning.pk).update(
        click_income=earning.click_income + 1,
        guarantee_topup=earning.guarantee_topup,
        total=earning.total + 1,
    )
    # an order commission changed behind the services' back
    commission = Commission.objects.get(placement=placement, day=second, event="order")
    Commission.objects.filter(pk=commission.pk).update(amount=commission.amount + 2)
    # the ledger refuses UPDATE/DELETE: a balanced-looking but wrong extra posting
    payable = ledger_account_for(
        kind=AccountKind.WEBMASTER_PAYABLE, affiliate=placement.site.affiliate
    )
    cost = network_account(AccountKind.NETWORK_COST)
    ledger_post(
        kind="contract_earning",
        idempotency_key=f"earning:{placement.pk}:{second}:9",
        occurred_on=second,
        legs=[(payable, Decimal("3.00")), (cost, Decimal("-3.00"))],
        memo="wrong",
    )
    code, lines = reconcile(tenant)
    assert code == 1
    assert lines[-1].startswith("reconcile: ")
    count = int(lines[-1].split()[1])
    assert count == len(lines) - 1 >= 3
    where_first = f"placement {placement.code} (#{placement.pk}), {first.isoformat()}"
    where_second = f"placement {placement.code} (#{placement.pk}), {second.isoformat()}"
    text = "\n".join(lines)
    # the earning: click income off by 1.00 against rule 1 and against the ledger
    assert f"[rollups.earnings] {where_first}: click income" in text
    assert "off by 1.00" in text
    # the commission: its earning, its ledger postings and the report disagree by 2.00
    assert f"[earnings.commissions] {where_second}: order commission" in text
    assert f"[ledger.commissions] {where_second}, commission #{commission.pk}" in text
    assert "off by 2.00" in text or "off by -2.00" in text
    # the extra ledger leg: the contract part posted is 3.00 too much that day
    assert f"[ledger.earnings] {where_second}: contract part posted" in text
    assert "off by 3.00" in text


def test_a_bad_period_is_refused(tenant):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("reconcile", tenant=tenant.slug, period="2026-3")


def test_the_statement_explains_what_it_pays_and_what_comes_later(tenant):
    from apps.commissions.models import Statement
    from apps.commissions.selectors_statements import (
        commissions_not_on_statement,
        statement_list_for_affiliate,
        statement_subtotals,
    )
    from apps.commissions.services.statements import commission_net

    placement = build_month(tenant)
    affiliate = placement.site.affiliate
    statement = statement_list_for_affiliate(affiliate=affiliate).get(period=PERIOD)
    subtotals = {row["kind"]: row["amount"] for row in statement_subtotals(statement)}
    assert subtotals["earning"] == statement.lines_total  # only earnings are due yet
    notes = commissions_not_on_statement(affiliate=affiliate, until=statement.period_end)
    pending = Commission.objects.filter(affiliate=affiliate, status="pending")
    expected = {}
    for c in pending:
        expected[c.event] = expected.get(c.event, 0) + commission_net(c.amount, c.reversed_amount)
    assert {row["event"]: row["amount"] for row in notes} == expected
    assert all("later statement" in row["note"] for row in notes)
    assert Statement.objects.filter(period=PERIOD).count() == 1
