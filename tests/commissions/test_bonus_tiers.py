"""Monthly bonus tiers for webmasters (issue 17): evaluated when statements are generated, one
line per scheme with the tier reached (the network's and a merchant's), an order on the
month's last day counting for that month, refunds followed while the statement is a draft,
and the bonus posted to the ledger when the statement is approved."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.models import AccountKind, LedgerEntry, Statement, StatementLine
from apps.commissions.services.statements import (
    statement_approve,
    statement_submit,
    statements_generate,
)
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantFactory
from tests.commissions.factories import BonusTierFactory
from tests.commissions.statement_helpers import commission
from tests.conftest import make_staff
from tests.tracking.factories import ConversionFactory

pytestmark = pytest.mark.django_db

D = datetime.date


@pytest.fixture
def tiers(tenant):
    return (
        BonusTierFactory(tenant=tenant, gmv_from=Decimal("100000.00"), percent=Decimal("1")),
        BonusTierFactory(tenant=tenant, gmv_from=Decimal("500000.00"), percent=Decimal("2")),
    )


def order(affiliate, amount, day, merchant=None):
    extra = {"merchant": merchant} if merchant else {}
    return ConversionFactory(
        tenant=affiliate.tenant, affiliate=affiliate, amount=Decimal(amount), day=day, **extra
    )


def bonus_lines(affiliate, period="2026-03"):
    return list(
        StatementLine.objects.filter(
            statement__affiliate=affiliate, statement__period=period, kind="bonus"
        ).values_list("bonus_tier_id", "amount", "day")
    )


def test_a_tier_reached_on_the_last_day_is_on_that_months_statement(tenant, tiers):
    _, high = tiers
    webmaster = AffiliateFactory(tenant=tenant, payout_details=True)
    order(webmaster, "450000.00", D(2026, 3, 10))
    order(webmaster, "50000.00", D(2026, 3, 31))  # the last day: 500,000 reached
    order(webmaster, "90000.00", D(2026, 4, 1))  # April's: not March's
    # the month's commissions (still pending: the bonus does not wait for approval)
    commission(webmaster, "20000.00", status="pending", day=D(2026, 3, 10))
    commission(webmaster, "5000.00", status="pending", day=D(2026, 3, 31))
    commission(webmaster, "999.00", status="pending", day=D(2026, 4, 1))
    statements_generate(period="2026-03")
    assert bonus_lines(webmaster) == [(high.pk, Decimal("500.00"), D(2026, 3, 31))]
    line = StatementLine.objects.get(kind="bonus")
    assert "reached 500000.00" in line.description
    assert "2 % of 25000.00 commissions" in line.description
    statement = Statement.objects.get(affiliate=webmaster)
    assert statement.total == Decimal("500.00")


def test_a_refund_in_the_draft_drops_the_tier_and_a_merchant_pays_its_own(tenant, tiers):
    low, high = tiers
    shop = MerchantFactory(tenant=tenant, name="Shop")
    fixed = BonusTierFactory(
        tenant=tenant, merchant=shop, gmv_from=Decimal("1000.00"), percent=None,
        fixed_amount=Decimal("88.00"),
    )  # fmt: skip
    webmaster = AffiliateFactory(tenant=tenant)
    big = order(webmaster, "500000.00", D(2026, 3, 3))
    order(webmaster, "1000.00", D(2026, 3, 4), merchant=shop)
    commission(webmaster, "1000.00", status="approved", day=D(2026, 3, 3))
    statements_generate(period="2026-03")
    assert sorted(bonus_lines(webmaster)) == sorted(
        [(high.pk, Decimal("20.00"), D(2026, 3, 31)), (fixed.pk, Decimal("88.00"), D(2026, 3, 31))]
    )
    # half of the big order refunded: 251,000 of GMV is the 1 % tier now
    type(big).objects.filter(pk=big.pk).update(status="refunded", refund_amount=Decimal("250000"))
    statements_generate(period="2026-03")
    assert sorted(bonus_lines(webmaster)) == sorted(
        [(low.pk, Decimal("10.00"), D(2026, 3, 31)), (fixed.pk, Decimal("88.00"), D(2026, 3, 31))]
    )
    assert Statement.objects.get(affiliate=webmaster).total == Decimal("1098.00")


def test_the_approval_posts_the_bonus(tenant, tiers):
    webmaster = AffiliateFactory(tenant=tenant, payout_details=True)
    order(webmaster, "100000.00", D(2026, 3, 3))
    commission(webmaster, "12000.00", day=D(2026, 3, 3))
    statements_generate(period="2026-03")
    statement = Statement.objects.get(affiliate=webmaster)
    statement_submit(statement=statement, actor=make_staff(tenant, "finance", email="f1@a.test"))
    statement_approve(statement=statement, actor=make_staff(tenant, "finance", email="f2@a.test"))
    legs = dict(
        LedgerEntry.objects.filter(
            transaction__idempotency_key=f"statement:{statement.pk}:bonus"
        ).values_list("account__kind", "amount")
    )
    assert legs == {
        AccountKind.WEBMASTER_PAYABLE: Decimal("120.00"),
        AccountKind.NETWORK_COST: Decimal("-120.00"),
    }
