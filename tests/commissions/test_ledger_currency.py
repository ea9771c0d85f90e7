"""The ledger in more than one currency (issue 17): accounts have a currency, a transaction's
legs sum to zero per currency (in the code and in the database trigger), and money changes
currency only through an explicit FX leg pair."""

import datetime
from decimal import Decimal

import pytest
from django.db import DatabaseError, connection, transaction

from apps.commissions.errors import LedgerError
from apps.commissions.models import AccountKind, LedgerEntry
from apps.commissions.services.ledger import (
    fx_exchange_legs,
    ledger_account_for,
    ledger_post,
    network_account,
)
from apps.core.money import Money
from tests.affiliates.factories import AffiliateFactory

pytestmark = pytest.mark.django_db

DAY = datetime.date(2026, 3, 31)


def test_accounts_are_in_the_tenants_currency_unless_cash_or_fx(tenant):
    affiliate = AffiliateFactory(tenant=tenant)
    assert ledger_account_for(kind=AccountKind.WEBMASTER_PAYABLE, affiliate=affiliate).currency == (
        "CNY"
    )
    usd_cash = network_account(AccountKind.NETWORK_CASH, "usd")
    assert (usd_cash.currency, usd_cash.pk) != ("CNY", network_account(AccountKind.NETWORK_CASH).pk)
    with pytest.raises(LedgerError, match="network's currency CNY, not USD"):
        ledger_account_for(kind=AccountKind.WEBMASTER_PAYABLE, affiliate=affiliate, currency="USD")


def test_an_exchange_balances_per_currency_through_fx_clearing(tenant):
    affiliate = AffiliateFactory(tenant=tenant)
    payable = ledger_account_for(kind=AccountKind.WEBMASTER_PAYABLE, affiliate=affiliate)
    usd_cash = network_account(AccountKind.NETWORK_CASH, "USD")
    legs = [
        (payable, Decimal("-720.00")),
        *fx_exchange_legs(
            into_clearing=Money(Decimal("720.00"), "CNY"),
            out_of_clearing=Money(Decimal("100.00"), "USD"),
        ),
        (usd_cash, Decimal("100.00")),
    ]
    tx = ledger_post(kind="statement_payout", idempotency_key="fx-1", occurred_on=DAY, legs=legs)
    sums = {}
    for entry in LedgerEntry.objects.filter(transaction=tx).select_related("account"):
        sums[entry.account.currency] = sums.get(entry.account.currency, 0) + entry.amount
    assert sums == {"CNY": Decimal("0.00"), "USD": Decimal("0.00")}


def test_two_currencies_without_an_fx_leg_are_refused(tenant):
    affiliate = AffiliateFactory(tenant=tenant)
    payable = ledger_account_for(kind=AccountKind.WEBMASTER_PAYABLE, affiliate=affiliate)
    usd_cash = network_account(AccountKind.NETWORK_CASH, "USD")
    with pytest.raises(LedgerError, match=r"its CNY legs sum to -100\.00") as caught:
        ledger_post(
            kind="statement_payout",
            idempotency_key="mixed",
            occurred_on=DAY,
            legs=[(payable, Decimal("-100.00")), (usd_cash, Decimal("100.00"))],
        )
    assert caught.value.extra["currency"] == "CNY"


def test_the_database_checks_each_currency_at_commit(tenant):
    cny_cash = network_account(AccountKind.NETWORK_CASH)
    usd_cash = network_account(AccountKind.NETWORK_CASH, "USD")
    cost = network_account(AccountKind.NETWORK_COST)
    tx = ledger_post(
        kind="x", idempotency_key="raw", occurred_on=DAY,
        legs=[(cny_cash, Decimal("-1.00")), (cost, Decimal("1.00"))],
    )  # fmt: skip

    def legs_that_sum_to_zero_across_currencies():
        with transaction.atomic():
            LedgerEntry.objects.create(tenant=tenant, transaction=tx, account=cny_cash, amount=5)
            LedgerEntry.objects.create(tenant=tenant, transaction=tx, account=usd_cash, amount=-5)
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")

    with pytest.raises(DatabaseError, match=r"unbalanced: its (CNY|USD) legs sum to"):
        legs_that_sum_to_zero_across_currencies()
    assert LedgerEntry.objects.filter(transaction=tx).count() == 2


def test_an_accounts_currency_never_changes(tenant):
    from apps.commissions.models import LedgerAccount

    cash = network_account(AccountKind.NETWORK_CASH, "USD")
    with pytest.raises(DatabaseError, match="never changes"), transaction.atomic():
        LedgerAccount.objects.filter(pk=cash.pk).update(currency="EUR")
