"""Accrual, approval and dispute commissions: frozen rates, idempotent, ledger-backed."""

import datetime
from decimal import Decimal

import pytest

from apps.commissions.errors import CommissionError, CommissionStateError
from apps.commissions.models import Commission, LedgerTransaction
from apps.commissions.services.accrual import (
    commission_create_from_dispute,
    commission_transition,
    commissions_accrue_day,
    commissions_approve_due,
)
from apps.tenants.scope import current_tenant, tenant_scope
from tests.affiliates.factories import AffiliateFactory
from tests.campaigns.factories import MerchantFactory
from tests.commissions.money_helpers import DAY, balances, conversion, rule
from tests.sites.factories import PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def placement(scoped):
    return PlacementFactory(tenant=current_tenant(), site__affiliate__kind="cashback")


def test_dynamic_commissions_new_electronics_and_returning_apparel(placement):
    """DESIGN.md rule 10: customer type and product type under rules of different
    specificity pay the expected amounts."""
    merchant = MerchantFactory(tenant=current_tenant())
    rule(event="order", rate_type="fixed", value=2)  # general
    rule(event="order", rate_type="percent", value=5, customer_type="new")
    rule(event="order", rate_type="percent", value=8, customer_type="new",
         product_type="electronics")  # fmt: skip
    rule(event="order", rate_type="percent", value=3, customer_type="returning",
         product_type="apparel", merchant=merchant)  # fmt: skip
    lines = [("electronics", Decimal("250.00")), ("books", Decimal("40.00"))]
    new_elec = conversion(placement, merchant=merchant, customer_type="new", items=lines)
    ret_app = conversion(placement, merchant=merchant, customer_type="returning",
                         items=[("apparel", Decimal("120.10"))])  # fmt: skip
    other = conversion(placement, customer_type="returning", items=[("apparel", Decimal("99"))])

    assert commissions_accrue_day(day=DAY)["commissions"] == 4
    lines = {
        (c.conversion_id, c.product_type): (c.rate_type, c.rate_value, c.amount)
        for c in Commission.objects.all()
    }
    assert lines == {
        (new_elec.pk, "electronics"): ("percent", Decimal("8.0000"), Decimal("20.00")),
        (new_elec.pk, "books"): ("percent", Decimal("5.0000"), Decimal("2.00")),
        (ret_app.pk, "apparel"): ("percent", Decimal("3.0000"), Decimal("3.60")),  # 3.603
        (other.pk, "apparel"): ("fixed", Decimal("2.0000"), Decimal("2.00")),
    }
    assert Commission.objects.get(conversion=other).conversion_item_id is None
    assert Commission.objects.get(conversion=ret_app).base_amount == Decimal("120.10")


def test_affiliate_rule_beats_kind_rule_beats_general(placement):
    rule(event="registration", rate_type="fixed", value=1)
    rule(event="registration", rate_type="fixed", value="1.50", affiliate_kind="cashback")
    conversion(placement, type="registration", amount=None)
    other_kind = PlacementFactory(tenant=current_tenant(), site__affiliate__kind="content")
    conversion(other_kind, type="registration", amount=None)
    commissions_accrue_day(day=DAY)
    assert Commission.objects.get(affiliate=placement.site.affiliate).amount == Decimal("1.50")
    assert Commission.objects.get(affiliate=other_kind.site.affiliate).amount == Decimal("1.00")

    mine = rule(event="registration", rate_type="fixed", value=3,
                affiliate=placement.site.affiliate)  # fmt: skip
    conversion(placement, type="registration", amount=None, day=DAY + datetime.timedelta(days=1))
    commissions_accrue_day(day=DAY + datetime.timedelta(days=1))
    newest = Commission.objects.get(day=DAY + datetime.timedelta(days=1))
    assert (newest.rule_id, newest.amount) == (mine.pk, Decimal("3.00"))


def test_accrual_is_idempotent_and_posts_one_transaction_per_commission(placement):
    rule(event="order", rate_type="fixed", value=2)
    conversion(placement)
    conversion(placement, items=[("electronics", Decimal("10"))])
    assert commissions_accrue_day(day=DAY)["commissions"] == 2
    assert commissions_accrue_day(day=DAY)["commissions"] == 0
    assert Commission.objects.count() == 2
    assert LedgerTransaction.objects.filter(kind="commission_accrued").count() == 2
    assert balances(placement.site.affiliate) == (Decimal("4.00"), Decimal("0.00"))


def test_rule_edits_never_change_past_money(placement):
    general = rule(event="order", rate_type="fixed", value=2)
    conversion(placement)
    commissions_accrue_day(day=DAY)
    general.value = Decimal("9")
    general.save()
    commissions_accrue_day(day=DAY)
    assert list(Commission.objects.values_list("amount", "rate_value")) == [
        (Decimal("2.00"), Decimal("2.0000"))
    ]


def test_no_matching_rule_no_commission(placement):
    rule(event="registration", rate_type="fixed", value=1)
    conversion(placement)
    assert commissions_accrue_day(day=DAY)["commissions"] == 0
    assert Commission.objects.count() == 0
    assert LedgerTransaction.objects.count() == 0


def test_order_without_items_pays_percent_of_its_amount(placement):
    rule(event="order", rate_type="percent", value="2.5")
    conversion(placement, amount=Decimal("100.30"))
    commissions_accrue_day(day=DAY)
    assert Commission.objects.get().amount == Decimal("2.51")  # 2.5075 half-up


def test_approval_after_the_lock_period_moves_pending_to_payable(placement, tenant):
    rule(event="order", rate_type="fixed", value=2)
    conversion(placement)
    commissions_accrue_day(day=DAY)
    assert tenant.lock_period_days == 30
    assert commissions_approve_due(day=DAY + datetime.timedelta(days=29))["approved"] == 0
    assert Commission.objects.get().status == "pending"
    assert commissions_approve_due(day=DAY + datetime.timedelta(days=30))["approved"] == 1
    assert commissions_approve_due(day=DAY + datetime.timedelta(days=31))["approved"] == 0
    commission = Commission.objects.get()
    assert commission.status == "approved"
    assert commission.approved_at is not None
    assert balances(placement.site.affiliate) == (Decimal("0.00"), Decimal("2.00"))


def test_confirmed_orders_are_approved_by_the_next_run(placement):
    rule(event="order", rate_type="fixed", value=2)
    conv = conversion(placement)
    commissions_accrue_day(day=DAY)
    conv.status = "confirmed"
    conv.save()
    assert commissions_approve_due(day=DAY)["approved"] == 1


def test_transition_table_refuses_going_back(placement):
    rule(event="order", rate_type="fixed", value=2)
    conversion(placement)
    commissions_accrue_day(day=DAY)
    commission = Commission.objects.get()
    commission = commission_transition(commission=commission, to="approved")
    assert commission_transition(commission=commission, to="approved").status == "approved"
    with pytest.raises(CommissionStateError, match="is approved; it cannot become pending"):
        commission_transition(commission=commission, to="pending")
    assert Commission.objects.get().status == "approved"
    settled = commission_transition(commission=commission, to="settled")
    assert settled.settled_at is not None


def test_dispute_commission_uses_the_any_rule_and_is_idempotent(scoped):
    affiliate = AffiliateFactory(tenant=current_tenant(), kind="content")
    merchant = MerchantFactory(tenant=current_tenant())
    rule(event="order", rate_type="percent", value=4)
    rule(event="order", rate_type="percent", value=9, customer_type="new")  # not "any"
    rule(event="order", rate_type="percent", value=7, product_type="electronics")
    kwargs = {
        "affiliate": affiliate,
        "merchant": merchant,
        "order_reference": "SHOP-991",
        "order_date": DAY,
        "amount": Decimal("250.00"),
        "dispute_reference": "DSP-1",
    }
    first = commission_create_from_dispute(**kwargs)
    again = commission_create_from_dispute(**kwargs)
    assert again.pk == first.pk
    assert (first.amount, first.status, first.source, first.order_reference) == (
        Decimal("10.00"),
        "pending",
        "dispute",
        "SHOP-991",
    )
    assert LedgerTransaction.objects.filter(kind="commission_accrued").count() == 1
    assert balances(affiliate) == (Decimal("10.00"), Decimal("0.00"))


def test_dispute_commission_without_a_rule_is_refused(scoped):
    rule(event="registration", rate_type="fixed", value=1)
    with pytest.raises(CommissionError, match="No order commission rule matches") as exc:
        commission_create_from_dispute(
            affiliate=AffiliateFactory(tenant=current_tenant()),
            merchant=MerchantFactory(tenant=current_tenant()),
            order_reference="X",
            order_date=DAY,
            amount=Decimal("10"),
            dispute_reference="DSP-2",
        )
    assert exc.value.code == "no_matching_rule"
    assert Commission.objects.count() == 0


def test_accrual_sees_only_its_tenants_rules_and_conversions(tenant, other_tenant):
    with tenant_scope(other_tenant):
        rule(event="order", rate_type="fixed", value=50)
        conversion(PlacementFactory(tenant=current_tenant()))
    conversion(PlacementFactory(tenant=current_tenant()))
    assert commissions_accrue_day(day=DAY)["commissions"] == 0
    rule(event="order", rate_type="fixed", value=2)
    assert commissions_accrue_day(day=DAY)["commissions"] == 1
    assert Commission.objects.get().amount == Decimal("2.00")
    with tenant_scope(other_tenant):
        assert Commission.objects.count() == 0
