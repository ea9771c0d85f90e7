"""Property tests for the money (issue 8): rule 1's contract part, claim amounts, and
statement totals, over generated inputs, beside the worked examples as fixed cases."""

import datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from apps.commissions.models import Statement
from apps.commissions.services.earnings import contract_part
from apps.commissions.services.statements import statements_generate
from apps.disputes.services import compensation_amount
from tests.commissions.factories import DailyEarningFactory
from tests.sites.factories import PlacementFactory

CENT = Decimal("0.01")
money = st.decimals(min_value=Decimal("0"), max_value=Decimal("1000000"), places=2)
rates = st.decimals(min_value=Decimal("0"), max_value=Decimal("5"), places=4)
clicks = st.integers(min_value=0, max_value=5_000_000)


@given(valid_clicks=clicks, click_rate=rates, guarantee=money)
@example(valid_clicks=6000, click_rate=Decimal("0.1000"), guarantee=Decimal("500.00"))
@example(valid_clicks=3000, click_rate=Decimal("0.1000"), guarantee=Decimal("500.00"))
def test_contract_part_pays_the_larger_of_guarantee_and_clicks(valid_clicks, click_rate, guarantee):
    income, topup = contract_part(
        valid_clicks=valid_clicks, click_rate=click_rate, daily_guarantee=guarantee
    )
    # both in cents, never negative, and together exactly max(guarantee, click income)
    assert income == income.quantize(CENT)
    assert topup == topup.quantize(CENT)
    assert topup >= 0
    assert income + topup == max(guarantee, income)
    # one more valid click never lowers the day's contract money
    more_income, more_topup = contract_part(
        valid_clicks=valid_clicks + 1, click_rate=click_rate, daily_guarantee=guarantee
    )
    assert more_income + more_topup >= income + topup


def test_contract_part_worked_examples():
    assert contract_part(
        valid_clicks=6000, click_rate=Decimal("0.10"), daily_guarantee=Decimal("500")
    ) == (Decimal("600.00"), Decimal("0.00"))
    assert contract_part(
        valid_clicks=3000, click_rate=Decimal("0.10"), daily_guarantee=Decimal("500")
    ) == (Decimal("300.00"), Decimal("200.00"))


roi = st.decimals(min_value=Decimal("0.10"), max_value=Decimal("50"), places=2)
tolerance = st.decimals(min_value=Decimal("0"), max_value=Decimal("0.9"), places=2)


@given(spend=money, gmv=money, target_roi=roi, t=tolerance)
@example(
    spend=Decimal("10000.00"), gmv=Decimal("25000.00"), target_roi=Decimal("3.0"), t=Decimal(0)
)
def test_claim_amount_is_bounded_and_monotone(spend, gmv, target_roi, t):
    amount = compensation_amount(spend=spend, gmv=gmv, target_roi=target_roi, tolerance=t)
    assert amount == amount.quantize(CENT)
    assert Decimal("0") <= amount <= spend
    # ROI met (GMV / spend at or above R x (1 - t)): nothing to compensate
    if gmv >= spend * target_roi * (1 - t):
        assert amount == 0
    # more GMV, or more tolerance, never raises the claim
    assert (
        compensation_amount(
            spend=spend, gmv=gmv + Decimal("100"), target_roi=target_roi, tolerance=t
        )
        <= amount
    )
    if t + Decimal("0.05") < 1:
        assert (
            compensation_amount(
                spend=spend, gmv=gmv, target_roi=target_roi, tolerance=t + Decimal("0.05")
            )
            <= amount
        )


@pytest.mark.parametrize(
    ("gmv", "t", "expected"),
    [
        ("25000.00", "0", "1666.67"),
        ("31000.00", "0", "0.00"),
        ("20000.00", "0.2", "1666.67"),
        ("25000.00", "0.2", "0.00"),
    ],
)
def test_claim_amount_worked_examples(gmv, t, expected):
    assert compensation_amount(
        spend=Decimal("10000.00"), gmv=Decimal(gmv), target_roi=Decimal("3.0"), tolerance=Decimal(t)
    ) == Decimal(expected)


day_amounts = st.lists(
    st.tuples(
        st.integers(min_value=0, max_value=20_000),  # valid clicks
        st.decimals(min_value=Decimal("0"), max_value=Decimal("1000"), places=2),  # guarantee
    ),
    min_size=1,
    max_size=12,
)


@pytest.mark.django_db
@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(days=day_amounts)
def test_statement_lines_always_sum_to_the_total_and_no_cent_is_lost(tenant, days):
    # given one webmaster's placement with a month of daily earnings
    placement = PlacementFactory(tenant=tenant)
    expected = Decimal("0.00")
    for index, (valid_clicks, guarantee) in enumerate(days):
        income, topup = contract_part(
            valid_clicks=valid_clicks, click_rate=Decimal("0.0333"), daily_guarantee=guarantee
        )
        expected += income + topup
        DailyEarningFactory(
            tenant=tenant,
            placement=placement,
            day=datetime.date(2026, 3, 1 + index),
            valid_clicks=valid_clicks,
            click_rate=Decimal("0.0333"),
            daily_guarantee=guarantee,
            click_income=income,
            guarantee_topup=topup,
            total=income + topup,
        )
    # when the month's statements are generated
    statements_generate(period="2026-03")
    statement = Statement.objects.filter(
        affiliate=placement.site.affiliate, period="2026-03"
    ).first()
    lines = list(statement.lines.values_list("amount", flat=True)) if statement else []
    # then the lines are the days with money, their sum is the total, and not a cent moved
    if statement is None:
        assert expected == 0  # nothing earned: no statement to pay
        return
    assert len(lines) <= len(days)  # one line per day at most (zero days may be left out)
    assert sum(lines, Decimal("0.00")) == statement.lines_total == expected
    assert statement.total == statement.opening_balance + statement.lines_total
