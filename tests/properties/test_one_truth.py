"""One truth for every figure (issue 13), as a property: over generated days of clicks (valid
and bots), conversions, refunds and reruns of ``run_daily``, every figure the portal and the
API show for a placement and day (both read ``daily_report``), and the statement's lines, equal
the one rule's value (rule 1's contract part on the generated valid clicks; commissions net of
refunds), and ``reconcile`` finds no difference."""

import datetime
from decimal import Decimal

import pytest
import time_machine
from django.db import transaction
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from apps.commissions.models import Commission, StatementLine, StatementLineKind
from apps.commissions.selectors_reports import daily_report
from apps.commissions.services.earnings import contract_part
from apps.commissions.services.orders import order_status_change
from apps.commissions.services.statements import commission_net, statements_generate
from apps.core.money import ZERO, quantize_money
from apps.core.reconcile import reconcile_run
from apps.tracking.services.daily import daily_run_execute
from tests.campaigns.factories import ProductFactory
from tests.commissions.money_helpers import rule
from tests.sites.factories import ContractFactory
from tests.tracking.factories import ClickFactory, ConversionFactory

pytestmark = pytest.mark.django_db

PERIOD = "2026-03"
RATE = Decimal("0.10")
GUARANTEE = Decimal("3.00")
BOT = "curl/8.5.0"

day_plan = st.fixed_dictionaries(
    {
        "valid": st.integers(min_value=0, max_value=40),
        "bots": st.integers(min_value=0, max_value=5),
        "orders": st.lists(
            st.tuples(
                st.decimals(min_value=Decimal("1.00"), max_value=Decimal("500"), places=2),
                st.sampled_from(["keep", "partial", "full"]),
            ),
            max_size=3,
        ),
        "registrations": st.integers(min_value=0, max_value=2),
        "rerun": st.booleans(),
    }
)


def at(day, hour=10):
    return datetime.datetime.combine(day, datetime.time(hour - 8), tzinfo=datetime.UTC)


@settings(
    max_examples=4,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each case is slow
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(days=st.lists(day_plan, min_size=1, max_size=2))
def test_every_shown_figure_is_the_rules_value(tenant, days):
    with transaction.atomic():
        run_example(tenant, days)
        transaction.set_rollback(True)


def converted(placement, product, day, **values):
    """A conversion on ``day`` whose click (valid) was made that day on ``placement``."""
    click = ClickFactory(tenant=placement.tenant, placement=placement, product=product,
                         clicked_at=at(day))  # fmt: skip
    return ConversionFactory(tenant=placement.tenant, click=click, day=day,
                             occurred_at=at(day, 11), **values)  # fmt: skip


def play_day(placement, product, day, plan):
    """One day of ``plan``: its clicks and conversions, the night's run, the next day's
    refunds and the rerun they need. Returns the day's valid clicks."""
    tenant = placement.tenant
    for _ in range(plan["valid"]):
        ClickFactory(tenant=tenant, placement=placement, product=product, clicked_at=at(day))
    for _ in range(plan["bots"]):
        ClickFactory(tenant=tenant, placement=placement, product=product,
                     clicked_at=at(day), user_agent=BOT)  # fmt: skip
    orders = [
        converted(placement, product, day, type="order", amount=amount)
        for amount, _ in plan["orders"]
    ]
    for _ in range(plan["registrations"]):
        converted(placement, product, day, type="registration", amount=None)
    with time_machine.travel(at(day + datetime.timedelta(days=1)), tick=False):
        daily_run_execute(day=day)
    with time_machine.travel(at(day + datetime.timedelta(days=1), 14), tick=False):
        for order, (amount, refund) in zip(orders, plan["orders"], strict=True):
            refund_order(order, amount, refund)
    if plan["rerun"] or any(refund != "keep" for _, refund in plan["orders"]):
        # a refund is in the day's earnings once the day is run again
        with time_machine.travel(at(day + datetime.timedelta(days=1), 15), tick=False):
            daily_run_execute(day=day)
    # each conversion's click is valid too
    return plan["valid"] + len(plan["orders"]) + plan["registrations"]


def refund_order(order, amount, refund):
    if refund == "partial":
        order_status_change(merchant=order.merchant, external_id=order.external_id,
                            status="refunded", refund_amount=quantize_money(amount / 2),
                            reason="returned")  # fmt: skip
    elif refund == "full":
        order_status_change(merchant=order.merchant, external_id=order.external_id,
                            status="refunded", reason="returned")  # fmt: skip


def check_day(row, line, placement, day, valid_clicks):
    """The daily report's row and the statement's earning line of ``day`` are the rules'
    values (``contract_part``, the commissions net of reversals)."""
    income, topup = contract_part(
        valid_clicks=valid_clicks, click_rate=RATE, daily_guarantee=GUARANTEE
    )
    fees = {"registration": ZERO, "order": ZERO}
    for c in Commission.objects.filter(placement=placement, day=day).exclude(status="reversed"):
        fees[c.event] += commission_net(c.amount, c.reversed_amount)
    assert row["valid_clicks"] == valid_clicks
    assert row["earnings"]["clicks"] == income
    assert row["earnings"]["guarantee_topup"] == topup
    assert row["earnings"]["registrations"] == fees["registration"]
    assert row["earnings"]["orders"] == fees["order"]
    assert row["lost_after_jump"] == row["valid_clicks"] - row["landings"] >= 0
    assert line == income + topup


def run_example(tenant, days):
    contract = ContractFactory(tenant=tenant, starts_on=datetime.date(2026, 1, 1),
                               click_rate=RATE, daily_guarantee=GUARANTEE)  # fmt: skip
    placement = contract.placement
    product = ProductFactory(tenant=tenant)
    rule(event="registration", rate_type="fixed", value=1)
    rule(event="order", rate_type="percent", value=10)
    dates = [datetime.date(2026, 3, 2) + datetime.timedelta(days=i) for i in range(len(days))]
    expected_valid = {
        day: play_day(placement, product, day, plan) for day, plan in zip(dates, days, strict=True)
    }
    with time_machine.travel(at(datetime.date(2026, 4, 2)), tick=False):
        statements_generate(period=PERIOD)

    affiliate = placement.site.affiliate
    rows = {row["date"]: row for row in daily_report(affiliate=affiliate,
            date_from=dates[0], date_to=dates[-1])}  # fmt: skip
    lines = {
        line.earning.day: line.amount
        for line in StatementLine.objects.filter(kind=StatementLineKind.EARNING).select_related(
            "earning"
        )
    }
    for day in dates:
        check_day(rows[day], lines[day], placement, day, expected_valid[day])
    assert [str(d) for d in reconcile_run(period=PERIOD)] == []
