"""The double-entry ledger (issue 5 "Money moves only as balanced double-entry transactions").

Sign convention: a leg's ``amount`` is signed; a credit to a liability or balance is
positive. So ``webmaster_payable`` > 0 is what the network owes a webmaster,
``merchant_balance`` > 0 is what a merchant has on account (deposits, compensation credits,
rebates; spend is negative), ``network_revenue`` grows positive and ``network_cost`` grows
negative (every cost is a debit). Every transaction's legs sum to zero.

The accounting of a commission (``services.accrual``/``services.orders``):
- accrued (pending): ``network_cost`` -a, ``webmaster_pending`` +a (key ``commission:<id>``)
- approved: ``webmaster_pending`` -a, ``webmaster_payable`` +a (``commission:<id>:approved``)
- reversed (refund/cancel) of x: the account the money sits in (pending before approval,
  payable after approval and after settlement) -x, ``network_cost`` +x
  (``commission:<id>:reversal:<reversed_amount after>``). A settled commission's reversal
  makes the payable fall below what the statements paid: that is the clawback that settle's
  next statement shows as a line (the statement line itself posts no second transaction).
- contract earnings (click income + guarantee top-up) go straight to ``webmaster_payable``
  (``earning:<placement>:<day>[:<n>]``, corrections as differences);
- daily spend: ``merchant_balance`` -s, ``network_revenue`` +s
  (``spend:<campaign>:<day>[:<n>]``);
- compensation credits and rebates: ``merchant_balance`` +c, ``network_cost`` -c.

The database refuses what the code might get wrong (migration 0002): a deferred constraint
trigger checks at commit that each transaction's legs sum to zero, and UPDATE/DELETE of
ledger rows raise (corrections are reversing transactions). Balances are sums of legs.

Currencies (issue 17, docs/currency.md; migration 0010): each account is in one currency,
the tenant's (the book currency) unless it is a cash or FX clearing account of another, and
the legs of a transaction sum to zero *per currency* (here and in the trigger). Money changes
currency only through an explicit FX leg pair (``fx_exchange_legs``): the clearing account
of one currency takes the amount in, that of the other gives the converted amount out.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, connection, transaction

from apps.commissions.errors import LedgerError
from apps.commissions.models import AccountKind, LedgerAccount, LedgerEntry, LedgerTransaction
from apps.core.money import Money, quantize_money
from apps.tenants.scope import current_tenant_or_none

Legs = list[tuple[LedgerAccount, Decimal]]

NETWORK_KINDS = {
    AccountKind.NETWORK_REVENUE,
    AccountKind.NETWORK_FEE_REVENUE,
    AccountKind.NETWORK_COST,
    AccountKind.NETWORK_CASH,
    AccountKind.FX_CLEARING,
    AccountKind.TAX_PAYABLE,
}
#: accounts that may hold another currency than the tenant's (money in and out, exchanges)
FOREIGN_KINDS = {AccountKind.NETWORK_CASH, AccountKind.FX_CLEARING}
MERCHANT_KINDS = {AccountKind.MERCHANT_BALANCE, AccountKind.MERCHANT_RECEIVABLE}


def _tenant() -> Any:
    tenant = current_tenant_or_none()
    if tenant is None:
        raise LedgerError("The ledger is used only inside a tenant scope.")
    return tenant


def _check_party(*, kind: str, affiliate: Any, merchant: Any) -> None:
    """Webmaster accounts have an affiliate, merchant accounts a merchant, network ones
    neither; an unknown kind is refused."""
    if kind in (AccountKind.WEBMASTER_PAYABLE, AccountKind.WEBMASTER_PENDING):
        if affiliate is None or merchant is not None:
            raise LedgerError(f"A {kind} account belongs to one webmaster (affiliate=...).")
    elif kind in MERCHANT_KINDS:
        if merchant is None or affiliate is not None:
            raise LedgerError(f"A {kind} account belongs to one merchant (merchant=...).")
    elif kind in NETWORK_KINDS:
        if affiliate is not None or merchant is not None:
            raise LedgerError(f"The {kind} account belongs to the network, not to a party.")
    else:
        raise LedgerError(f"Unknown ledger account kind {kind!r}.")


def ledger_account_for(
    *, kind: str, affiliate: Any = None, merchant: Any = None, currency: str | None = None
) -> LedgerAccount:
    """The active tenant's account of ``kind`` for the party (get or create). Webmaster
    accounts need ``affiliate``, merchant accounts ``merchant``, network accounts neither.
    ``currency`` is the tenant's by default; only cash and FX clearing accounts hold another."""
    _check_party(kind=kind, affiliate=affiliate, merchant=merchant)
    tenant = _tenant()
    for party in (affiliate, merchant):
        if party is not None and party.tenant_id != tenant.pk:
            raise LedgerError(f"{party} belongs to another network.")
    currency = (currency or tenant.currency).upper()
    if currency != tenant.currency and kind not in FOREIGN_KINDS:
        raise LedgerError(
            f"A {kind} account is in the network's currency {tenant.currency}, not {currency}; "
            "other currencies pass through cash and FX clearing accounts only."
        )
    lookup = {
        "kind": kind,
        "affiliate_id": getattr(affiliate, "pk", None),
        "merchant_id": getattr(merchant, "pk", None),
        "currency": currency,
    }
    account = LedgerAccount.objects.filter(**lookup).first()
    if account is not None:
        return account
    try:
        with transaction.atomic():
            return LedgerAccount.objects.create(tenant=tenant, **lookup)
    except IntegrityError:
        return LedgerAccount.objects.get(**lookup)


def network_account(kind: str, currency: str | None = None) -> LedgerAccount:
    return ledger_account_for(kind=kind, currency=currency)


def fx_exchange_legs(*, into_clearing: Money, out_of_clearing: Money) -> Legs:
    """The explicit FX leg pair of an exchange: ``into_clearing`` is credited to the FX
    clearing account of its currency, ``out_of_clearing`` debited from that of its own. With
    the transaction's other legs, each currency then sums to zero (e.g. a payout of 720.00
    CNY as 100.00 USD: payable CNY -720, clearing CNY +720, clearing USD -100, cash USD +100).
    """
    if into_clearing.currency == out_of_clearing.currency:
        raise LedgerError("An exchange is between two currencies.")
    return [
        (network_account(AccountKind.FX_CLEARING, into_clearing.currency), into_clearing.amount),
        (
            network_account(AccountKind.FX_CLEARING, out_of_clearing.currency),
            -out_of_clearing.amount,
        ),
    ]


def _check_legs(idempotency_key: str, legs: Legs) -> list[tuple[LedgerAccount, Decimal]]:
    if len(legs) < 2:
        raise LedgerError(
            f"Ledger transaction {idempotency_key!r} needs at least two legs.",
            code=LedgerError.UNBALANCED,
        )
    clean = []
    per_currency: dict[str, Money] = {}
    for account, amount in legs:
        if not isinstance(amount, Decimal):
            raise LedgerError(f"Ledger leg amounts are Decimals ({idempotency_key!r}).")
        amount = quantize_money(amount)
        clean.append((account, amount))
        leg = Money(amount, account.currency)
        per_currency[leg.currency] = per_currency.get(leg.currency, Money.zero(leg.currency)) + leg
    for currency, total in sorted(per_currency.items()):
        if total.amount != 0:
            where = f"its {currency} legs" if len(per_currency) > 1 else "its legs"
            raise LedgerError(
                f"Ledger transaction {idempotency_key!r} is unbalanced: {where} sum to "
                f"{total.amount}.",
                code=LedgerError.UNBALANCED,
                total=str(total.amount),
                currency=currency,
            )
    return clean


@dataclass
class Posting:
    """One transaction to post in bulk (``ledger_post_many``)."""

    kind: str
    idempotency_key: str
    occurred_on: datetime.date
    legs: Legs
    memo: str = ""
    created_by: Any = None
    result: LedgerTransaction | None = field(default=None, repr=False)


def ledger_post(
    *,
    kind: str,
    idempotency_key: str,
    occurred_on: datetime.date,
    legs: Legs,
    memo: str = "",
    created_by: Any = None,
) -> LedgerTransaction:
    """Post one balanced transaction. Idempotent: a key already posted returns the existing
    transaction (its legs unchanged). Unbalanced legs are refused before the database sees
    them (and the database would refuse them at commit anyway)."""
    posting = Posting(kind, idempotency_key, occurred_on, legs, memo, created_by)
    return ledger_post_many([posting])[0]


def ledger_post_many(postings: list[Posting]) -> list[LedgerTransaction]:
    """Post many transactions with a few queries (the daily steps post thousands): existing
    keys are returned as they are; new ones are inserted with ``bulk_create``."""
    if not postings:
        return []
    tenant = _tenant()
    cleaned = [(p, _check_legs(p.idempotency_key, p.legs)) for p in postings]
    keys = [p.idempotency_key for p in postings]
    if len(set(keys)) != len(keys):
        raise LedgerError("The same idempotency key is posted twice in one batch.")
    with transaction.atomic():
        existing = {
            tx.idempotency_key: tx
            for tx in LedgerTransaction.objects.filter(idempotency_key__in=keys)
        }
        new = [(p, legs) for p, legs in cleaned if p.idempotency_key not in existing]
        created = LedgerTransaction.objects.bulk_create(
            [
                LedgerTransaction(
                    tenant=tenant,
                    kind=p.kind,
                    idempotency_key=p.idempotency_key,
                    occurred_on=p.occurred_on,
                    memo=p.memo[:300],
                    created_by=p.created_by,
                )
                for p, _ in new
            ]
        )
        entries: list[LedgerEntry] = []
        for tx, (_, legs) in zip(created, new, strict=True):
            existing[tx.idempotency_key] = tx
            entries.extend(
                LedgerEntry(tenant=tenant, transaction=tx, account=account, amount=amount)
                for account, amount in legs
            )
        LedgerEntry.objects.bulk_create(entries, batch_size=2000)
    return [existing[key] for key in keys]


_BULK_SQL = """
WITH tx AS (
    INSERT INTO commissions_ledgertransaction
        (created_at, updated_at, tenant_id, kind, memo, idempotency_key, occurred_on)
    SELECT now(), now(), %(tenant)s, %(kind)s, t.memo, t.key, t.day
      FROM unnest(%(keys)s::text[], %(memos)s::text[], %(days)s::date[]) AS t(key, memo, day)
    ON CONFLICT (tenant_id, idempotency_key) DO NOTHING
    RETURNING id, idempotency_key
)
INSERT INTO commissions_ledgerentry (tenant_id, transaction_id, account_id, amount, created_at)
SELECT %(tenant)s, tx.id, leg.account, leg.amount, now()
  FROM tx
  JOIN unnest(%(leg_keys)s::text[], %(leg_accounts)s::bigint[], %(leg_amounts)s::numeric[])
       AS leg(key, account, amount) ON leg.key = tx.idempotency_key
"""


def ledger_post_bulk(postings: list[Posting]) -> int:
    """Post thousands of transactions of one ``kind`` each in one statement per kind (the
    daily steps): legs are checked here as in ``ledger_post``; keys already posted are left
    alone (``ON CONFLICT DO NOTHING``), so a rerun posts nothing twice. Returns how many
    legs were written."""
    if not postings:
        return 0
    tenant = _tenant()
    by_kind: dict[str, list[Posting]] = {}
    for posting in postings:
        by_kind.setdefault(posting.kind, []).append(posting)
    written = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for kind, group in by_kind.items():
            keys, memos, days = [], [], []
            leg_keys, leg_accounts, leg_amounts = [], [], []
            for posting in group:
                legs = _check_legs(posting.idempotency_key, posting.legs)
                keys.append(posting.idempotency_key)
                memos.append(posting.memo[:300])
                days.append(posting.occurred_on)
                for account, amount in legs:
                    if account.tenant_id != tenant.pk:
                        raise LedgerError(f"Account {account.pk} belongs to another network.")
                    leg_keys.append(posting.idempotency_key)
                    leg_accounts.append(account.pk)
                    leg_amounts.append(amount)
            if len(set(keys)) != len(keys):
                raise LedgerError("The same idempotency key is posted twice in one batch.")
            cursor.execute(
                _BULK_SQL,
                {
                    "tenant": tenant.pk,
                    "kind": kind,
                    "keys": keys,
                    "memos": memos,
                    "days": days,
                    "leg_keys": leg_keys,
                    "leg_accounts": leg_accounts,
                    "leg_amounts": leg_amounts,
                },
            )
            written += cursor.rowcount
    return written


def ledger_reverse(
    *,
    transaction_to_reverse: LedgerTransaction,
    idempotency_key: str,
    occurred_on: Any,
    memo: str = "",
    created_by: Any = None,
) -> LedgerTransaction:
    """Correct a mistake: post the mirror image of a transaction (rows are never edited)."""
    legs = [
        (e.account, -e.amount) for e in transaction_to_reverse.entries.select_related("account")
    ]
    return ledger_post(
        kind="reversal",
        idempotency_key=idempotency_key,
        occurred_on=occurred_on,
        legs=legs,
        memo=memo or f"Reverses {transaction_to_reverse.idempotency_key}",
        created_by=created_by,
    )


def merchant_compensation_credit(
    *,
    merchant: Any,
    amount: Decimal,
    idempotency_key: str,
    occurred_on: datetime.date,
    memo: str = "",
    actor: Any = None,
) -> LedgerTransaction:
    """DESIGN.md rule 8: an accepted cost-compensation claim is paid as account credit:
    ``merchant_balance`` +amount, ``network_cost`` -amount. Idempotent on the key (the claim
    service passes e.g. ``claim:<id>``); later daily spend charges run against the credit."""
    amount = quantize_money(amount)
    if amount <= 0:
        raise LedgerError(f"A compensation credit must be positive, not {amount}.")
    return ledger_post(
        kind="compensation_credit",
        idempotency_key=idempotency_key,
        occurred_on=occurred_on,
        legs=[
            (ledger_account_for(kind=AccountKind.MERCHANT_BALANCE, merchant=merchant), amount),
            (network_account(AccountKind.NETWORK_COST), -amount),
        ],
        memo=memo or f"Compensation credit for {merchant}",
        created_by=actor,
    )


def merchant_spend_charge_day(*, day: datetime.date) -> dict[str, int]:
    """Daily step ``commissions.spend`` (order 35): each campaign's spend of ``day`` (tracking's
    ``CampaignDayStats.spend``, summed over products) is charged to its merchant:
    ``merchant_balance`` -s, ``network_revenue`` +s, keyed ``spend:<campaign>:<day>``; a rerun
    with a changed spend posts the difference as ``spend:<campaign>:<day>:<n>``. A
    compensation credit on the merchant's balance is so spent against later charges."""
    from django.db.models import Sum

    from apps.campaigns.models import Merchant
    from apps.tracking.models import CampaignDayStats

    with transaction.atomic():
        due = {
            row["campaign_id"]: (row["merchant_id"], row["spend"] or Decimal("0.00"))
            for row in CampaignDayStats.objects.filter(day=day)
            .values("campaign_id", "merchant_id")
            .annotate(spend=Sum("spend"))
        }
        already: dict[int, Decimal] = {}
        seq: dict[int, int] = {}
        for key, amount in LedgerEntry.objects.filter(
            transaction__kind="spend",
            transaction__occurred_on=day,
            account__kind=AccountKind.NETWORK_REVENUE,
        ).values_list("transaction__idempotency_key", "amount"):
            campaign_id = int(key.split(":")[1])
            already[campaign_id] = already.get(campaign_id, Decimal("0.00")) + amount
            seq[campaign_id] = seq.get(campaign_id, 0) + 1
        merchants = Merchant.objects.in_bulk({m for m, _ in due.values()})
        revenue = network_account(AccountKind.NETWORK_REVENUE)
        postings = []
        for campaign_id, (merchant_id, spend) in sorted(due.items()):
            diff = quantize_money(spend) - already.get(campaign_id, Decimal("0.00"))
            if diff == 0:
                continue
            n = seq.get(campaign_id, 0)
            balance = ledger_account_for(
                kind=AccountKind.MERCHANT_BALANCE, merchant=merchants[merchant_id]
            )
            postings.append(
                Posting(
                    kind="spend",
                    idempotency_key=f"spend:{campaign_id}:{day}" + (f":{n}" if n else ""),
                    occurred_on=day,
                    legs=[(balance, -diff), (revenue, diff)],
                    memo=f"Spend of campaign {campaign_id} on {day}",
                )
            )
        ledger_post_bulk(postings)
    return {"spend_postings": len(postings)}
