"""Reconciliation checks of one period (issue 13; docs/reconcile.md).

Registered from ``CommissionsConfig.ready()`` on ``apps.core.reconcile``; ``manage.py
reconcile --tenant SLUG --period YYYY-MM`` runs them in the tenant's scope. Each copy of a
figure is compared with its source, per placement and tenant-local day, to the cent:

- ``rollups.earnings``: the roll-up's valid clicks (``PlacementDayStats``) = the daily earning's,
  and the daily earning's click income / top-up = rule 1 on its own contract terms;
- ``earnings.commissions``: the daily earning's registration and order commission = the
  commissions of that placement and day, net of reversals (``commission_net``);
- ``ledger.earnings``: the ledger's contract postings of a placement and day = click income +
  top-up; ``ledger.commissions``: each commission's postings = its net amount;
  ``ledger.spend``: each campaign-day's spend charge = the roll-up's spend;
- ``ledger.balance``: every transaction of the period balances (its legs sum to 0 in each
  currency);
- ``statements.lines``: every statement line of the period = its earning / commission, and
  every statement's total = ``statement_totals`` of its opening balance and lines;
- ``ledger.payouts`` (issue 17): each paid statement's payout legs = ``payout_legs`` (gross
  off the payable, tax to tax payable, cash in the payout currency through FX clearing);
- ``statements.bonus`` (issue 17): open statements' bonus lines = the tiers reached now;
  approved ones' bonus postings = their bonus lines;
- ``reports.daily``: every row of ``/reports/daily`` (the selector the API calls) = the daily
  earning and the commissions it is built from.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.db.models import F, Sum

from apps.affiliates.models import Affiliate
from apps.commissions.models import (
    AccountKind,
    Commission,
    CommissionStatus,
    DailyEarning,
    LedgerEntry,
    Statement,
    StatementLine,
    StatementLineKind,
    StatementStatus,
)
from apps.commissions.selectors_reports import daily_report
from apps.commissions.services.earnings import contract_part
from apps.commissions.services.statements import (
    commission_net,
    statement_totals,
    statement_withhold,
)
from apps.core.money import ZERO
from apps.core.reconcile import Difference
from apps.sites.models import Placement
from apps.tenants.clock import period_bounds
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats, ConversionType, PlacementDayStats

_PlacementDay = tuple[int, datetime.date]


class _Where:
    """Names a placement (code and id) and a day for a person, from one query."""

    def __init__(self, placement_ids: Iterable[int]) -> None:
        self.codes = dict(
            Placement.objects.filter(pk__in=set(placement_ids)).values_list("pk", "code")
        )

    def __call__(self, placement_id: int, day: datetime.date) -> str:
        code = self.codes.get(placement_id, "?")
        return f"placement {code} (#{placement_id}), {day.isoformat()}"


def _earnings(period: str) -> dict[_PlacementDay, DailyEarning]:
    start, end = period_bounds(period)
    return {
        (row.placement_id, row.day): row
        for row in DailyEarning.objects.filter(day__gte=start, day__lte=end).select_related(
            "contract"
        )
    }


def _commission_sums(period: str) -> dict[_PlacementDay, dict[str, Decimal]]:
    """Net commissions by placement, day and event (fully reversed ones left out)."""
    start, end = period_bounds(period)
    sums: dict[_PlacementDay, dict[str, Decimal]] = defaultdict(
        lambda: {ConversionType.REGISTRATION: ZERO, ConversionType.ORDER: ZERO}
    )
    for row in (
        Commission.objects.filter(day__gte=start, day__lte=end, placement__isnull=False)
        .exclude(status=CommissionStatus.REVERSED)
        .values("placement_id", "day", "event")
        .annotate(net=Sum(F("amount") - F("reversed_amount")))
        .order_by()
    ):
        sums[(row["placement_id"], row["day"])][row["event"]] += row["net"] or ZERO
    return sums


def _differ(check: str, where: str, figure: str, expected: Any, found: Any) -> Iterator[Difference]:
    if expected != found:
        detail = ""
        if isinstance(expected, Decimal) and isinstance(found, Decimal):
            detail = f"off by {found - expected}"
        yield Difference(check, where, figure, expected, found, detail)


def rollups_vs_earnings(*, period: str) -> Iterator[Difference]:
    start, end = period_bounds(period)
    stats = {
        (pid, day): valid
        for pid, day, valid in PlacementDayStats.objects.filter(
            day__gte=start, day__lte=end
        ).values_list("placement_id", "day", "valid_clicks")
    }
    earnings = _earnings(period)
    where = _Where({key[0] for key in stats} | {key[0] for key in earnings})
    for key in sorted(set(stats) | set(earnings), key=lambda k: (k[1], k[0])):
        earning = earnings.get(key)
        valid = stats.get(key, 0)
        if earning is None:
            if valid:
                yield Difference(
                    "rollups.earnings",
                    where(*key),
                    "daily earning",
                    "a row",
                    "none",
                    f"{valid} valid clicks rolled up but no daily earning",
                )
            continue
        yield from _differ(
            "rollups.earnings", where(*key), "valid clicks", valid, earning.valid_clicks
        )
        if earning.contract_id is not None:
            income, topup = contract_part(
                valid_clicks=earning.valid_clicks,
                click_rate=earning.click_rate,
                daily_guarantee=earning.daily_guarantee or ZERO,
            )
        else:
            income, topup = ZERO, ZERO
        yield from _differ(
            "rollups.earnings", where(*key), "click income", income, earning.click_income
        )
        yield from _differ(
            "rollups.earnings", where(*key), "guarantee top-up", topup, earning.guarantee_topup
        )


def earnings_vs_commissions(*, period: str) -> Iterator[Difference]:
    earnings = _earnings(period)
    sums = _commission_sums(period)
    where = _Where({key[0] for key in earnings} | {key[0] for key in sums})
    for key in sorted(set(earnings) | set(sums), key=lambda k: (k[1], k[0])):
        earning = earnings.get(key)
        fees = sums.get(key, {ConversionType.REGISTRATION: ZERO, ConversionType.ORDER: ZERO})
        found_reg = earning.registration_commission if earning else ZERO
        found_order = earning.order_commission if earning else ZERO
        yield from _differ(
            "earnings.commissions", where(*key), "registration commission",
            fees[ConversionType.REGISTRATION], found_reg,
        )  # fmt: skip
        yield from _differ(
            "earnings.commissions", where(*key), "order commission",
            fees[ConversionType.ORDER], found_order,
        )  # fmt: skip


def _cost_legs(
    prefix: str, start: datetime.date, end: datetime.date
) -> Iterator[tuple[str, Decimal]]:
    """(idempotency key, network-cost leg) of the transactions keyed ``prefix...``."""
    yield from LedgerEntry.objects.filter(
        account__kind=AccountKind.NETWORK_COST,
        transaction__idempotency_key__startswith=prefix,
        transaction__occurred_on__gte=start,
        transaction__occurred_on__lte=end,
    ).values_list("transaction__idempotency_key", "amount")


def ledger_vs_earnings(*, period: str) -> Iterator[Difference]:
    """The contract part of a placement-day is posted as ``earning:<placement>:<day>[:n]``
    (payable +x, network cost -x): the cost legs sum to -(click income + top-up)."""
    start, end = period_bounds(period)
    posted: dict[_PlacementDay, Decimal] = defaultdict(lambda: ZERO)
    for key, amount in _cost_legs("earning:", start, end):
        parts = key.split(":")
        posted[(int(parts[1]), datetime.date.fromisoformat(parts[2]))] -= amount
    earnings = _earnings(period)
    where = _Where({key[0] for key in earnings} | {key[0] for key in posted})
    for key in sorted(set(earnings) | set(posted), key=lambda k: (k[1], k[0])):
        earning = earnings.get(key)
        due = (earning.click_income + earning.guarantee_topup) if earning else ZERO
        yield from _differ(
            "ledger.earnings", where(*key), "contract part posted", due, posted.get(key, ZERO)
        )


def ledger_vs_commissions(*, period: str) -> Iterator[Difference]:
    """Each commission posts ``commission:<id>`` (accrual), ``...:approved`` (pending to
    payable) and ``...:reversal:<x>``: its network-cost legs sum to minus its net amount."""
    start, end = period_bounds(period)
    posted: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for key, amount in LedgerEntry.objects.filter(
        account__kind=AccountKind.NETWORK_COST,
        transaction__idempotency_key__startswith="commission:",
    ).values_list("transaction__idempotency_key", "amount"):
        posted[int(key.split(":")[1])] -= amount
    rows = Commission.objects.filter(day__gte=start, day__lte=end).values_list(
        "pk", "placement_id", "day", "amount", "reversed_amount"
    )
    rows = list(rows)
    where = _Where(pid for _, pid, _, _, _ in rows if pid)
    for pk, placement_id, day, amount, reversed_amount in sorted(rows, key=lambda r: (r[2], r[0])):
        net = commission_net(amount, reversed_amount)
        place = where(placement_id, day) if placement_id else f"no placement, {day.isoformat()}"
        yield from _differ(
            "ledger.commissions",
            f"{place}, commission #{pk}",
            "net posted",
            net,
            posted.get(pk, ZERO),
        )


def ledger_vs_spend(*, period: str) -> Iterator[Difference]:
    """Each campaign-day's spend is charged as ``spend:<campaign>:<day>[:n]`` (merchant
    balance -s, network revenue +s): the revenue legs sum to the roll-up's spend."""
    start, end = period_bounds(period)
    posted: dict[tuple[int, datetime.date], Decimal] = defaultdict(lambda: ZERO)
    for key, amount in LedgerEntry.objects.filter(
        account__kind=AccountKind.NETWORK_REVENUE,
        transaction__idempotency_key__startswith="spend:",
        transaction__occurred_on__gte=start,
        transaction__occurred_on__lte=end,
    ).values_list("transaction__idempotency_key", "amount"):
        parts = key.split(":")
        posted[(int(parts[1]), datetime.date.fromisoformat(parts[2]))] += amount
    spend = {
        (row["campaign_id"], row["day"]): row["spend"]
        for row in CampaignDayStats.objects.filter(day__gte=start, day__lte=end)
        .values("campaign_id", "day")
        .annotate(spend=Sum("spend"))
        .order_by()
    }
    for key in sorted(set(spend) | set(posted), key=lambda k: (k[1], k[0])):
        yield from _differ(
            "ledger.spend", f"campaign #{key[0]}, {key[1].isoformat()}", "spend charged",
            spend.get(key, ZERO) or ZERO, posted.get(key, ZERO),
        )  # fmt: skip


def ledger_balance(*, period: str) -> Iterator[Difference]:
    """Every transaction of the period has legs summing to zero in each currency (issue 17:
    an exchange balances through its FX clearing legs, never across currencies)."""
    start, end = period_bounds(period)
    for pk, key, currency, total in (
        LedgerEntry.objects.filter(
            transaction__occurred_on__gte=start, transaction__occurred_on__lte=end
        )
        .values("transaction_id", "transaction__idempotency_key", "account__currency")
        .annotate(total=Sum("amount"))
        .exclude(total=0)
        .values_list("transaction_id", "transaction__idempotency_key", "account__currency", "total")
        .order_by("transaction_id", "account__currency")
    ):
        yield Difference(
            "ledger.balance", f"transaction #{pk} ({key})", f"sum of {currency} legs", ZERO, total
        )


def statement_lines(*, period: str) -> Iterator[Difference]:
    """Lines of the period's statements against their sources, and each total by rule."""
    minimum = current_tenant().minimum_payout
    statements = list(Statement.objects.filter(period=period).order_by("pk"))
    open_statuses = {StatementStatus.DRAFT, StatementStatus.SUBMITTED}
    lines = list(
        StatementLine.objects.filter(statement__period=period)
        .select_related("earning", "commission", "statement")
        .order_by("pk")
    )
    where = _Where(
        [line.earning.placement_id for line in lines if line.earning_id]
        + [
            line.commission.placement_id
            for line in lines
            if line.commission_id and line.commission.placement_id
        ]
    )
    sums: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for line in lines:
        sums[line.statement_id] += line.amount
        if line.kind == StatementLineKind.EARNING and line.earning_id:
            earning = line.earning
            yield from _differ(
                "statements.lines",
                f"{where(earning.placement_id, earning.day)}, statement #{line.statement_id}",
                "earning line",
                earning.click_income + earning.guarantee_topup,
                line.amount,
            )
        elif (
            line.kind == StatementLineKind.COMMISSION
            and line.commission_id
            and line.statement.status in open_statuses
        ):
            commission = line.commission
            place = (
                where(commission.placement_id, commission.day)
                if commission.placement_id
                else f"no placement, {commission.day.isoformat()}"
            )
            yield from _differ(
                "statements.lines", f"{place}, commission #{commission.pk}, statement {period}",
                "commission line", commission_net(commission.amount, commission.reversed_amount),
                line.amount,
            )  # fmt: skip
    companies = dict(
        Affiliate.objects.filter(pk__in=[s.affiliate_id for s in statements]).values_list(
            "pk", "is_company"
        )
    )
    for statement in statements:
        label = f"statement {period} of webmaster #{statement.affiliate_id} (#{statement.pk})"
        # the tax of an open statement follows the tenant's rule now; an approved one keeps
        # the tax it was approved with (the rule may have changed since)
        is_open = statement.status in open_statuses
        totals = statement_totals(
            opening=statement.opening_balance,
            lines_total=sums[statement.pk],
            minimum=minimum,
            withhold=statement_withhold(
                statement, is_company=companies.get(statement.affiliate_id, False)
            )
            if is_open
            else None,
        )
        tax = totals.tax_withheld if is_open else statement.tax_withheld
        yield from _differ(
            "statements.totals", label, "lines total", sums[statement.pk], statement.lines_total
        )
        yield from _differ("statements.totals", label, "tax withheld", tax, statement.tax_withheld)
        yield from _differ("statements.totals", label, "total", totals.gross - tax, statement.total)
        yield from _differ(
            "statements.totals", label, "carried forward", totals.carried_forward,
            statement.carried_forward,
        )  # fmt: skip


def _legs_by_key(prefix: str, keys: Iterable[str]) -> dict[str, dict[tuple[str, str], Decimal]]:
    """{idempotency key: {(account kind, currency): amount}} of the given transactions."""
    out: dict[str, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    for key, kind, currency, amount in LedgerEntry.objects.filter(
        transaction__idempotency_key__in=list(keys)
    ).values_list("transaction__idempotency_key", "account__kind", "account__currency", "amount"):
        legs = out[key]
        legs[(kind, currency)] = legs.get((kind, currency), ZERO) + amount
    return out


def ledger_vs_payouts(*, period: str) -> Iterator[Difference]:
    """Issue 17: each paid statement of the period posted its payout as ``payout_legs`` says:
    the payable debited by the gross, the tax withheld to ``tax_payable``, what was paid to
    cash (in the payout currency, through the FX clearing legs when it is another)."""
    from apps.commissions.services.statements import payout_legs

    paid = list(
        Statement.objects.filter(period=period, status=StatementStatus.PAID)
        .select_related("affiliate")
        .order_by("pk")
    )
    keys = {f"statement:{s.pk}:paid": s for s in paid if s.total or s.tax_withheld}
    posted = _legs_by_key("statement:", keys)
    for key, statement in keys.items():
        expected: dict[tuple[str, str], Decimal] = {}
        for account, amount in payout_legs(statement):
            slot = (account.kind, account.currency)
            expected[slot] = expected.get(slot, ZERO) + amount
        found = posted.get(key, {})
        label = f"statement {period} of webmaster #{statement.affiliate_id} ({key})"
        for slot in sorted(set(expected) | set(found)):
            yield from _differ(
                "ledger.payouts", label, f"{slot[0]} {slot[1]} leg",
                expected.get(slot, ZERO), found.get(slot, ZERO),
            )  # fmt: skip


def statement_bonuses(*, period: str) -> Iterator[Difference]:
    """Issue 17: the bonus lines of the period's open statements = the tiers their month
    reaches now (``statement_lines_wanted``); an approved statement's bonus posting
    (``statement:<id>:bonus``) = its bonus lines."""
    from apps.commissions.services.statements import statement_inputs, statement_lines_wanted

    statements = {s.pk: s for s in Statement.objects.filter(period=period).order_by("pk")}
    if not statements:
        return
    lines: dict[int, dict[int, Decimal]] = defaultdict(dict)
    for statement_id, tier_id, amount in StatementLine.objects.filter(
        statement__period=period, kind=StatementLineKind.BONUS
    ).values_list("statement_id", "bonus_tier_id", "amount"):
        lines[statement_id][tier_id] = amount
    wanted = statement_lines_wanted(statement_inputs(period=period))
    open_statuses = {StatementStatus.DRAFT, StatementStatus.SUBMITTED}
    keys = {f"statement:{pk}:bonus": pk for pk, s in statements.items()
            if s.status not in open_statuses}  # fmt: skip
    posted = _legs_by_key("statement:", keys)
    for pk, statement in statements.items():
        label = f"statement {period} of webmaster #{statement.affiliate_id} (#{pk})"
        have = lines.get(pk, {})
        if statement.status in open_statuses:
            due = {
                ref: line[0]
                for (kind, ref), line in wanted.get(statement.affiliate_id, {}).items()
                if kind == StatementLineKind.BONUS
            }
            for tier_id in sorted(set(due) | set(have)):
                yield from _differ(
                    "statements.bonus", f"{label}, bonus tier #{tier_id}", "bonus line",
                    due.get(tier_id, ZERO), have.get(tier_id, ZERO),
                )  # fmt: skip
        else:
            legs = posted.get(f"statement:{pk}:bonus", {})
            found = sum(
                (a for (kind, _), a in legs.items() if kind == AccountKind.WEBMASTER_PAYABLE),
                ZERO,
            )
            yield from _differ(
                "statements.bonus", label, "bonus posted", sum(have.values(), ZERO), found
            )


def reports_daily(*, period: str) -> Iterator[Difference]:
    """``/reports/daily`` (``daily_report``, the API's selector) row by row against the daily
    earnings, the commissions and the roll-ups."""
    start, end = period_bounds(period)
    earnings = _earnings(period)
    sums = _commission_sums(period)
    stats = {
        (pid, day): valid
        for pid, day, valid in PlacementDayStats.objects.filter(
            day__gte=start, day__lte=end
        ).values_list("placement_id", "day", "valid_clicks")
    }
    affiliates = Affiliate.objects.filter(
        pk__in=DailyEarning.objects.filter(day__gte=start, day__lte=end).values("affiliate_id")
    ).order_by("pk")
    for affiliate in affiliates:
        # closed days only: a day the nightly run has not closed has nothing to agree with yet
        rows = daily_report(affiliate=affiliate, date_from=start, date_to=end, provisional=False)
        for row in rows:
            key = (row["placement_id"], row["date"])
            place = (
                f"placement {row['placement']} (#{row['placement_id']}), {row['date'].isoformat()}"
            )
            earning = earnings.get(key)
            fees = sums.get(key, {ConversionType.REGISTRATION: ZERO, ConversionType.ORDER: ZERO})
            shown = row["earnings"]
            income = earning.click_income if earning else ZERO
            topup = earning.guarantee_topup if earning else ZERO
            lost = row["valid_clicks"] - row["landings"]
            checks = [
                ("valid clicks", stats.get(key, 0), row["valid_clicks"]),
                ("click earnings", income, shown["clicks"]),
                ("guarantee top-up", topup, shown["guarantee_topup"]),
                (
                    "registration earnings",
                    fees[ConversionType.REGISTRATION],
                    shown["registrations"],
                ),
                ("order earnings", fees[ConversionType.ORDER], shown["orders"]),
                ("lost after the jump", lost, row["lost_after_jump"]),
            ]
            for figure, expected, found in checks:
                yield from _differ("reports.daily", place, figure, expected, found)


CHECKS = [
    (10, "rollups.earnings", rollups_vs_earnings),
    (20, "earnings.commissions", earnings_vs_commissions),
    (30, "ledger.earnings", ledger_vs_earnings),
    (31, "ledger.commissions", ledger_vs_commissions),
    (32, "ledger.spend", ledger_vs_spend),
    (39, "ledger.balance", ledger_balance),
    (40, "ledger.payouts", ledger_vs_payouts),
    (50, "statements.lines", statement_lines),
    (51, "statements.bonus", statement_bonuses),
    (60, "reports.daily", reports_daily),
]


def register_checks() -> None:
    """Called from ``CommissionsConfig.ready()``."""
    from apps.core.reconcile import register_reconcile_check

    for order, name, function in CHECKS:
        register_reconcile_check(order, name, f"{__name__}.{function.__name__}")


def reconcile_record(*, period: str) -> tuple[Any, list[Difference]]:
    """Run every registered check for ``period`` in the active tenant scope and store the
    result as the period's ``ReconcileRun`` (one row per period, replaced by each run)."""
    from django.utils import timezone

    from apps.commissions.models import ReconcileRun
    from apps.core.reconcile import reconcile_checks, reconcile_run

    period_bounds(period)  # a malformed period is refused before anything runs
    differences = reconcile_run(period=period)
    run, _ = ReconcileRun.objects.update_or_create(
        period=period,
        defaults={
            "tenant": current_tenant(),
            "ran_at": timezone.now(),
            "differences": len(differences),
            "report": "\n".join(str(difference) for difference in differences),
            "checks": [check.name for check in reconcile_checks()],
        },
    )
    return run, differences
