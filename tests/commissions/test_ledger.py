"""The double-entry ledger: idempotent balanced postings, database guards, balances."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from apps.commissions.errors import LedgerError
from apps.commissions.models import AccountKind, LedgerEntry, LedgerTransaction
from apps.commissions.selectors import account_balance, merchant_balance
from apps.commissions.services.ledger import (
    ledger_account_for,
    ledger_post,
    ledger_reverse,
    merchant_compensation_credit,
)
from apps.tenants.scope import current_tenant, tenant_scope
from tests.campaigns.factories import MerchantFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 2)


def _accounts():
    merchant = MerchantFactory(tenant=current_tenant())
    return (
        merchant,
        ledger_account_for(kind=AccountKind.MERCHANT_BALANCE, merchant=merchant),
        ledger_account_for(kind=AccountKind.NETWORK_REVENUE),
    )


def test_post_is_balanced_and_idempotent(scoped):
    merchant, balance, revenue = _accounts()
    legs = [(balance, Decimal("-12.50")), (revenue, Decimal("12.50"))]
    first = ledger_post(kind="spend", idempotency_key="k1", occurred_on=DAY, legs=legs)
    again = ledger_post(kind="spend", idempotency_key="k1", occurred_on=DAY, legs=legs)
    assert again.pk == first.pk
    assert LedgerTransaction.objects.count() == 1
    assert LedgerEntry.objects.count() == 2
    assert account_balance(balance) == Decimal("-12.50")
    assert merchant_balance(merchant) == Decimal("-12.50")
    assert account_balance(revenue) == Decimal("12.50")


def test_unbalanced_legs_are_refused_before_the_database(scoped):
    _, balance, revenue = _accounts()
    with pytest.raises(LedgerError, match=r"unbalanced: its legs sum to -0\.01"):
        ledger_post(
            kind="spend",
            idempotency_key="bad",
            occurred_on=DAY,
            legs=[(balance, Decimal("-12.51")), (revenue, Decimal("12.50"))],
        )
    assert LedgerTransaction.objects.count() == 0


def test_account_party_must_fit_its_kind(scoped):
    with pytest.raises(LedgerError, match="belongs to one merchant"):
        ledger_account_for(kind=AccountKind.MERCHANT_BALANCE)


def test_database_refuses_an_unbalanced_raw_insert_at_commit(scoped, tenant):
    _, balance, revenue = _accounts()
    tx = ledger_post(
        kind="x",
        idempotency_key="raw",
        occurred_on=DAY,
        legs=[(balance, Decimal("-1.00")), (revenue, Decimal("1.00"))],
    )

    def one_more_leg():
        with transaction.atomic():
            LedgerEntry.objects.create(tenant=tenant, transaction=tx, account=revenue, amount=1)
            with connection.cursor() as cursor:
                # what COMMIT does to the deferred trigger (the test runs inside a transaction)
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(DatabaseError, match="unbalanced"):
        one_more_leg()
    assert LedgerEntry.objects.filter(transaction=tx).count() == 2


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE commissions_ledgerentry SET amount = amount + 1",
        "DELETE FROM commissions_ledgerentry",
        "UPDATE commissions_ledgertransaction SET memo = 'edited'",
        "DELETE FROM commissions_ledgertransaction",
    ],
)
def test_ledger_rows_cannot_be_updated_or_deleted(scoped, sql):
    _, balance, revenue = _accounts()
    ledger_post(
        kind="x",
        idempotency_key="fixed",
        occurred_on=DAY,
        legs=[(balance, Decimal("-3.00")), (revenue, Decimal("3.00"))],
    )
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute(sql)
    assert account_balance(revenue) == Decimal("3.00")
    assert LedgerTransaction.objects.get().memo == ""


def test_a_mistake_is_corrected_by_a_reversing_transaction(scoped):
    _, balance, revenue = _accounts()
    wrong = ledger_post(
        kind="spend",
        idempotency_key="wrong",
        occurred_on=DAY,
        legs=[(balance, Decimal("-30.00")), (revenue, Decimal("30.00"))],
    )
    ledger_reverse(transaction_to_reverse=wrong, idempotency_key="wrong:reversed", occurred_on=DAY)
    ledger_post(
        kind="spend",
        idempotency_key="right",
        occurred_on=DAY,
        legs=[(balance, Decimal("-3.00")), (revenue, Decimal("3.00"))],
    )
    assert account_balance(balance) == Decimal("-3.00")
    assert LedgerTransaction.objects.count() == 3


def test_compensation_credit_is_idempotent_and_spent_by_later_charges(scoped):
    merchant = MerchantFactory(tenant=current_tenant())
    first = merchant_compensation_credit(
        merchant=merchant, amount=Decimal("120.455"), idempotency_key="claim:1", occurred_on=DAY
    )
    merchant_compensation_credit(
        merchant=merchant, amount=Decimal("120.455"), idempotency_key="claim:1", occurred_on=DAY
    )
    assert LedgerTransaction.objects.filter(pk=first.pk).count() == 1
    assert merchant_balance(merchant) == Decimal("120.46")
    cost = ledger_account_for(kind=AccountKind.NETWORK_COST)
    assert account_balance(cost) == Decimal("-120.46")


def test_compensation_credit_must_be_positive(scoped):
    merchant = MerchantFactory(tenant=current_tenant())
    with pytest.raises(LedgerError, match="must be positive"):
        merchant_compensation_credit(
            merchant=merchant, amount=Decimal("0"), idempotency_key="claim:0", occurred_on=DAY
        )
    assert LedgerTransaction.objects.count() == 0


def test_balances_are_per_tenant(tenant, other_tenant):
    with tenant_scope(other_tenant):
        theirs = MerchantFactory(tenant=current_tenant())
        merchant_compensation_credit(
            merchant=theirs, amount=Decimal("50"), idempotency_key="claim:9", occurred_on=DAY
        )
    mine = MerchantFactory(tenant=current_tenant())
    # the same key in another tenant is another transaction
    merchant_compensation_credit(
        merchant=mine, amount=Decimal("7"), idempotency_key="claim:9", occurred_on=DAY
    )
    assert merchant_balance(mine) == Decimal("7.00")
    assert LedgerTransaction.objects.count() == 1
    cost = ledger_account_for(kind=AccountKind.NETWORK_COST)
    assert account_balance(cost) == Decimal("-7.00")


def test_daily_spend_is_charged_once_and_corrected_by_differences(scoped):
    from apps.commissions.services.ledger import merchant_spend_charge_day
    from apps.tracking.models import CampaignDayStats
    from tests.campaigns.factories import CampaignFactory, ProductFactory
    from tests.tracking.factories import CampaignDayStatsFactory

    merchant = MerchantFactory(tenant=scoped)
    campaign = CampaignFactory(tenant=scoped, merchant=merchant)
    merchant_compensation_credit(
        merchant=merchant, amount=Decimal("100.00"), idempotency_key="claim:7", occurred_on=DAY
    )
    for spend in ("15.10", "4.90"):  # two products of one campaign
        CampaignDayStatsFactory(
            tenant=scoped,
            campaign=campaign,
            merchant=merchant,
            product=ProductFactory(tenant=scoped, merchant=merchant),
            day=DAY,
            spend=Decimal(spend),
        )
    assert merchant_spend_charge_day(day=DAY) == {"spend_postings": 1}
    assert merchant_spend_charge_day(day=DAY) == {"spend_postings": 0}
    assert merchant_balance(merchant) == Decimal("80.00")  # the credit is spent first
    CampaignDayStats.objects.filter(spend=Decimal("4.90")).update(spend=Decimal("6.00"))
    assert merchant_spend_charge_day(day=DAY) == {"spend_postings": 1}
    assert merchant_balance(merchant) == Decimal("78.90")
    keys = set(
        LedgerTransaction.objects.filter(kind="spend").values_list("idempotency_key", flat=True)
    )
    assert keys == {f"spend:{campaign.pk}:{DAY}", f"spend:{campaign.pk}:{DAY}:1"}
    revenue = ledger_account_for(kind=AccountKind.NETWORK_REVENUE)
    assert account_balance(revenue) == Decimal("21.10")
