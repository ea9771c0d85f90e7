"""Issue 21: disputes cannot double-pay, and a found order is paid as any order."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.errors import CommissionError
from apps.commissions.models import Commission, LedgerEntry
from apps.commissions.services.accrual import commissions_accrue_day
from apps.disputes.models import Dispute
from apps.disputes.services import dispute_decide
from tests.affiliates.factories import AffiliateFactory
from tests.commissions.factories import CommissionRuleFactory
from tests.conftest import make_staff
from tests.disputes.factories import DisputeFactory
from tests.tracking.factories import ConversionFactory, ConversionItemFactory

pytestmark = pytest.mark.django_db
DAY = datetime.date(2026, 3, 2)


def test_accepting_a_dispute_for_an_order_already_paid_is_refused_and_pays_nothing(scoped):
    CommissionRuleFactory(tenant=scoped, value=Decimal("2.00"))
    order = ConversionFactory(tenant=scoped, day=DAY)
    commissions_accrue_day(day=DAY)
    dispute = DisputeFactory(
        tenant=scoped,
        affiliate=order.affiliate,
        merchant=order.merchant,
        order_reference=order.external_id,
        order_date=DAY,
        amount=Decimal("200.00"),
    )
    legs = LedgerEntry.objects.count()

    with pytest.raises(CommissionError) as refused:
        dispute_decide(dispute=dispute, accept=True, actor=make_staff(scoped, "risk"))

    assert refused.value.code == CommissionError.ALREADY_ATTRIBUTED
    assert "already attributed to this webmaster" in refused.value.message
    assert refused.value.fields == {"order_reference": [refused.value.message]}
    assert Dispute.objects.get(pk=dispute.pk).status == "submitted"
    assert Commission.objects.filter(source="dispute").count() == 0
    assert Commission.objects.get().amount == Decimal("2.00")
    assert LedgerEntry.objects.count() == legs


def test_a_found_order_is_paid_on_its_real_amount_customer_and_product_types(scoped):
    # The webmaster stated 999.00; tracking holds the order (another webmaster's click) with
    # 300.00 of electronics for a new customer: 5 % of electronics for new customers applies.
    CommissionRuleFactory(tenant=scoped, value=Decimal("2.00"))
    CommissionRuleFactory(
        tenant=scoped,
        rate_type="percent",
        value=Decimal("5"),
        customer_type="new",
        product_type="electronics",
    )
    order = ConversionFactory(tenant=scoped, day=DAY, amount=Decimal("300.00"), customer_type="new")
    ConversionItemFactory(
        tenant=scoped, conversion=order, product_type="electronics", amount=Decimal("300.00")
    )
    disputing = AffiliateFactory(tenant=scoped)
    dispute = DisputeFactory(
        tenant=scoped,
        affiliate=disputing,
        merchant=order.merchant,
        order_reference=order.external_id,
        order_date=DAY + datetime.timedelta(days=3),
        amount=Decimal("999.00"),
    )

    dispute = dispute_decide(dispute=dispute, accept=True, actor=make_staff(scoped, "risk"))

    commission = Commission.objects.get(pk=dispute.commission_id)
    assert commission.affiliate == disputing
    assert commission.amount == Decimal("15.00")
    assert (commission.rate_type, commission.rate_value) == ("percent", Decimal("5.0000"))
    assert (commission.customer_type, commission.product_type) == ("new", "electronics")
    assert commission.base_amount == Decimal("300.00")
    assert commission.day == DAY
