"""Settlement statements: monthly generation, the four-eyes workflow, adjustments, payouts.

Issue 5 and DESIGN.md ("finance staff review and approve settlement statements (four eyes),
mark payouts paid"). A statement is one webmaster's month:

- ``EARNING`` lines: one per ``DailyEarning`` row of the period, paying the contract part
  (``click_income + guarantee_topup``); conversion fees are paid through commission lines, so
  nothing is paid twice (see the models' docstring).
- ``COMMISSION`` lines: approved commissions not yet on another statement, net of
  ``reversed_amount``.
- ``CLAWBACK`` lines: a commission refunded after it was settled gives back what was paid
  beyond its new net: ``(amount - reversed_amount) - paid line`` (= ``-reversed_amount``
  when nothing was reversed before payment). At most once per commission (unique constraint).
- ``ADJUSTMENT`` lines: finance's manual corrections, with a reason; kept on refresh.

``opening_balance`` is the previous statement's total when that one carried forward;
``total = opening_balance + lines_total``; a total below the tenant's ``minimum_payout`` (or
negative) carries forward: it is never approved for payout and opens the next statement.

Workflow: draft → submitted → approved → paid, or submitted → draft with a reason. The
approver is neither the submitter nor the last adjuster; a held webmaster's statement is not
approved; approved and paid statements never change.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db import transaction
from django.db.models import Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.affiliates.models import Affiliate
from apps.affiliates.payouts import payout_details_of, payout_missing
from apps.commissions.models import (
    Commission,
    CommissionStatus,
    DailyEarning,
    Statement,
    StatementLine,
    StatementLineKind,
    StatementStatus,
)
from apps.commissions.services.bonus import (
    Basis,
    TierRow,
    active_tiers,
    bonus_basis,
    bonus_evaluate,
)
from apps.commissions.services.withholding import NONE as NO_WITHHOLDING
from apps.commissions.services.withholding import (
    Withholding,
    WithholdingFunction,
    withholding_function,
)
from apps.core.db import advisory_xact_lock, lock_object
from apps.core.errors import DomainError, NotPermittedError, StateConflictError
from apps.core.events import event_emit
from apps.core.history import history_note
from apps.core.money import ZERO, quantize_money
from apps.tenants import clock
from apps.tenants.scope import current_tenant


class StatementError(DomainError):
    """A statement action was refused (bad period, missing reason or reference)."""

    code = "statement_error"
    PERIOD = "statement_period_invalid"
    REASON_REQUIRED = "statement_reason_required"
    REFERENCE_REQUIRED = "statement_payout_reference_required"
    AMOUNT = "statement_adjustment_amount"


class StatementStateError(StateConflictError):
    """The statement's status does not allow the action (e.g. it is approved)."""

    code = "statement_state"
    HOLD = "statement_payment_hold"
    CARRIED = "statement_carried_forward"
    PAYOUT_DETAILS = "statement_payout_details_missing"
    STALE = "statement_stale"
    FX_RATE = "statement_fx_rate_missing"


class StatementFourEyesError(NotPermittedError):
    code = "statement_four_eyes"


ALLOWED: dict[str, set[str]] = {
    StatementStatus.DRAFT: {StatementStatus.SUBMITTED},
    StatementStatus.SUBMITTED: {StatementStatus.APPROVED, StatementStatus.DRAFT},
    StatementStatus.APPROVED: {StatementStatus.PAID},
    StatementStatus.PAID: set(),
}
#: statements that never change again (issue 5: "approved statements never change")
FROZEN = frozenset({StatementStatus.APPROVED, StatementStatus.PAID})


# --- periods ------------------------------------------------------------------------------


def period_bounds(period: str) -> tuple[datetime.date, datetime.date]:
    """First and last day of ``YYYY-MM`` (``apps.tenants.clock.period_bounds``, the one home
    of periods); a malformed period is a ``StatementError`` naming the ``period`` field."""
    try:
        return clock.period_bounds(period)
    except clock.PeriodError as exc:
        raise StatementError(str(exc), code=StatementError.PERIOD, field="period") from exc


#: The month before a day's month (``apps.tenants.clock.previous_period``).
previous_period = clock.previous_period


# --- generation ---------------------------------------------------------------------------
#
# ``statements_generate`` is three steps: ``statement_inputs`` reads what the period holds
# (plain values, no model rows), ``statement_lines_wanted`` computes the lines each webmaster's
# statement should have (pure), and ``_lines_sync`` / ``_totals_sync`` make the draft
# statements match (totals and carry-over through ``statement_totals``, the one rule shared
# with ``statement_adjust``'s recompute).

# ("earning", DailyEarning id), ("commission"/"clawback", id) or ("bonus", BonusTier id)
_LineKey = tuple[str, int]
_Wanted = tuple[Decimal, str, datetime.date]  # amount, description, day
WantedLines = dict[int, dict[_LineKey, _Wanted]]  # affiliate id -> line key -> wanted line


class EarningRow(NamedTuple):
    pk: int
    affiliate_id: int
    day: datetime.date
    click_income: Decimal
    guarantee_topup: Decimal
    site_name: str
    placement_code: str


class CommissionRow(NamedTuple):
    pk: int
    affiliate_id: int
    day: datetime.date
    event_label: str
    merchant_name: str
    amount: Decimal
    reversed_amount: Decimal
    #: for a clawback: the amount its commission line paid (None: settled without a line)
    paid_amount: Decimal | None = None


@dataclass(frozen=True)
class StatementInputs:
    """What ``period`` holds for statements, read in a fixed number of queries."""

    period: str
    start: datetime.date
    end: datetime.date
    #: affiliate id -> (statement id, status) of the period's existing statements
    existing: dict[int, tuple[int, str]]
    #: webmasters with a statement for a later period (this one is closed for them)
    closed: frozenset[int]
    earnings: list[EarningRow]
    commissions: list[CommissionRow]
    clawbacks: list[CommissionRow]
    #: affiliate id -> the balance the previous statement carried forward (non-zero only)
    openings: dict[int, Decimal]
    #: the active bonus tiers and the month's GMV and commissions per (webmaster, merchant)
    bonus_tiers: list[TierRow] = dataclasses.field(default_factory=list)
    bonus_basis: dict[tuple[int, int], Basis] = dataclasses.field(default_factory=dict)


def commission_net(amount: Decimal, reversed_amount: Decimal) -> Decimal:
    """A commission's net amount: what is left to pay after refunds, rounded to cents."""
    return quantize_money(amount - reversed_amount)


def _commission_rows(queryset: Any) -> list[CommissionRow]:
    labels = dict(Commission._meta.get_field("event").choices)
    return [
        CommissionRow(pk, affiliate_id, day, str(labels.get(event, event)), name, amount, rev)
        for pk, affiliate_id, day, event, name, amount, rev in queryset.values_list(
            "pk", "affiliate_id", "day", "event", "merchant__name", "amount", "reversed_amount"
        )
    ]


def statement_inputs(*, period: str) -> StatementInputs:
    """Read the period's inputs for statement generation.

    Earnings of the period paying clicks or a top-up, approved commissions (day up to the
    period's end) and clawbacks due, each not already on another period's statement; the
    existing statements of the period and later periods; the balance each webmaster's latest
    earlier statement carried forward."""
    start, end = period_bounds(period)
    existing = {
        affiliate_id: (pk, status)
        for pk, affiliate_id, status in Statement.objects.filter(period=period).values_list(
            "pk", "affiliate_id", "status"
        )
    }
    closed = frozenset(
        Statement.objects.filter(period__gt=period)
        .values_list("affiliate_id", flat=True)
        .distinct()
    )

    # What other periods' statements already hold, read as plain joins (a correlated
    # NOT EXISTS over freshly inserted lines made the planner loop for minutes).
    on_other = StatementLine.objects.exclude(statement__period=period)
    earning_taken = set(
        on_other.filter(earning__day__gte=start, earning__day__lte=end).values_list(
            "earning_id", flat=True
        )
    )
    commission_taken = set(
        on_other.filter(
            kind=StatementLineKind.COMMISSION,
            commission__status=CommissionStatus.APPROVED,
            commission__day__lte=end,
        ).values_list("commission_id", flat=True)
    )
    clawback_due = Q(
        status__in=[CommissionStatus.SETTLED, CommissionStatus.REVERSED],
        settled_at__isnull=False,
        reversed_amount__gt=0,
    )
    clawed_back = set(
        on_other.filter(
            kind=StatementLineKind.CLAWBACK,
            commission__status__in=[CommissionStatus.SETTLED, CommissionStatus.REVERSED],
            commission__settled_at__isnull=False,
            commission__reversed_amount__gt=0,
        ).values_list("commission_id", flat=True)
    )
    paid_amounts = dict(
        StatementLine.objects.filter(
            kind=StatementLineKind.COMMISSION,
            commission__status__in=[CommissionStatus.SETTLED, CommissionStatus.REVERSED],
            commission__settled_at__isnull=False,
            commission__reversed_amount__gt=0,
        ).values_list("commission_id", "amount")
    )
    # Plain tuples: a month of a few thousand webmasters is tens of thousands of rows.
    earnings = [
        EarningRow(*row)
        for row in DailyEarning.objects.filter(day__gte=start, day__lte=end)
        .filter(Q(click_income__gt=0) | Q(guarantee_topup__gt=0))
        .order_by("affiliate_id", "day", "placement_id")
        .values_list(
            "pk",
            "affiliate_id",
            "day",
            "click_income",
            "guarantee_topup",
            "site__name",
            "placement__code",
        )
        if row[0] not in earning_taken
    ]
    commissions = [
        row
        for row in _commission_rows(
            Commission.objects.filter(status=CommissionStatus.APPROVED, day__lte=end).order_by(
                "affiliate_id", "day", "pk"
            )
        )
        if row.pk not in commission_taken
    ]
    clawbacks = [
        row._replace(paid_amount=paid_amounts.get(row.pk))
        for row in _commission_rows(
            Commission.objects.filter(clawback_due).order_by("affiliate_id", "pk")
        )
        if row.pk not in clawed_back
    ]
    # The latest statement before this period, per webmaster (DISTINCT ON affiliate).
    openings = {
        affiliate_id: total
        for affiliate_id, total, carried in Statement.objects.filter(period__lt=period)
        .order_by("affiliate_id", "-period")
        .distinct("affiliate_id")
        .values_list("affiliate_id", "total", "carried_forward")
        if carried and total != 0
    }
    tiers = active_tiers()
    return StatementInputs(
        period=period,
        start=start,
        end=end,
        existing=existing,
        closed=closed,
        earnings=earnings,
        commissions=commissions,
        clawbacks=clawbacks,
        openings=openings,
        bonus_tiers=tiers,
        bonus_basis=bonus_basis(start=start, end=end) if tiers else {},
    )


def statement_lines_wanted(inputs: StatementInputs) -> WantedLines:
    """The lines each webmaster's statement should hold (pure: no database).

    One earning line per daily earning (``click_income + guarantee_topup``), one commission
    line per approved commission with a positive net, one clawback line per refunded settled
    commission that was paid more than its new net (``net - paid``, negative), and one bonus
    line per bonus scheme whose tier the month reached (``services.bonus``, dated the month's
    last day)."""
    desired: WantedLines = defaultdict(dict)
    for row in inputs.earnings:
        desired[row.affiliate_id][(StatementLineKind.EARNING, row.pk)] = (
            quantize_money(row.click_income + row.guarantee_topup),
            f"Clicks and guarantee, {row.site_name} · {row.placement_code}"[:300],
            row.day,
        )
    for row in inputs.commissions:
        net = commission_net(row.amount, row.reversed_amount)
        if net <= 0:
            continue
        desired[row.affiliate_id][(StatementLineKind.COMMISSION, row.pk)] = (
            net,
            f"{row.event_label} commission, {row.merchant_name}"[:300],
            row.day,
        )
    for row in inputs.clawbacks:
        paid = row.paid_amount
        if paid is None:
            paid = row.amount  # settled without a line of ours: all of it was paid
        amount = quantize_money(commission_net(row.amount, row.reversed_amount) - paid)
        if amount >= 0:
            continue
        desired[row.affiliate_id][(StatementLineKind.CLAWBACK, row.pk)] = (
            amount,
            (
                f"Clawback: {row.event_label} commission of "
                f"{row.day:%Y-%m-%d} refunded after payout, {row.merchant_name}"
            )[:300],
            row.day,
        )
    for reached in bonus_evaluate(inputs.bonus_tiers, inputs.bonus_basis):
        desired[reached.affiliate_id][(StatementLineKind.BONUS, reached.tier.pk)] = (
            reached.amount,
            reached.description(),
            inputs.end,
        )
    return dict(desired)


class StatementTotals(NamedTuple):
    total: Decimal
    carried_forward: bool
    gross: Decimal = ZERO
    tax_withheld: Decimal = ZERO
    withholding: Withholding = NO_WITHHOLDING


def statement_totals(
    *,
    opening: Decimal,
    lines_total: Decimal,
    minimum: Decimal,
    withhold: WithholdingFunction | None = None,
) -> StatementTotals:
    """The one rule of a statement's total and carry-over: ``gross = opening + lines``; a
    gross below the tenant's minimum payout, or negative, carries forward and withholds
    nothing; else ``withhold`` (the tenant's rule for an individual webmaster, issue 17)
    takes the income tax, and ``total = gross - tax`` is what is paid."""
    gross = opening + lines_total
    carried = gross < minimum or gross < 0
    withholding = NO_WITHHOLDING
    if withhold is not None and not carried:
        withholding = withhold(gross)
    tax = withholding.tax
    return StatementTotals(gross - tax, carried, gross, tax, withholding)


def statement_withhold(statement: Statement, *, is_company: bool | None = None) -> Any:
    """The withholding function for ``statement``'s webmaster under the tenant's rule."""
    if is_company is None:
        is_company = statement.affiliate.is_company
    return withholding_function(current_tenant(), is_company=is_company)


def _lines_sync(
    *, statements: dict[int, Statement], desired: WantedLines, actor: Any
) -> tuple[int, int, int]:
    """Make the lines of ``statements`` (draft, locked) match ``desired``; adjustments stay.
    Returns (created, updated, deleted)."""
    tenant = current_tenant()
    current: dict[int, dict[_LineKey, tuple[int, Decimal, str]]] = defaultdict(dict)
    for pk, statement_id, kind, earning_id, commission_id, tier_id, amount, description in (
        StatementLine.objects.filter(statement__in=list(statements.values()))
        .exclude(kind=StatementLineKind.ADJUSTMENT)
        .values_list(
            "pk",
            "statement_id",
            "kind",
            "earning_id",
            "commission_id",
            "bonus_tier_id",
            "amount",
            "description",
        )
    ):
        ref = {StatementLineKind.EARNING: earning_id, StatementLineKind.BONUS: tier_id}.get(
            kind, commission_id
        )
        current[statement_id][(kind, ref)] = (pk, amount, description)

    now = timezone.now()
    to_create: list[StatementLine] = []
    to_update: list[StatementLine] = []
    to_delete: list[int] = []
    for affiliate_id, statement in statements.items():
        wanted = desired.get(affiliate_id, {})
        have = current.get(statement.pk, {})
        for (kind, ref), (amount, description, day) in wanted.items():
            old = have.get((kind, ref))
            if old is None:
                to_create.append(
                    StatementLine(
                        tenant=tenant,
                        statement=statement,
                        kind=kind,
                        description=description,
                        day=day,
                        amount=amount,
                        earning_id=ref if kind == StatementLineKind.EARNING else None,
                        bonus_tier_id=ref if kind == StatementLineKind.BONUS else None,
                        commission_id=ref
                        if kind not in (StatementLineKind.EARNING, StatementLineKind.BONUS)
                        else None,
                        created_by=actor,
                    )
                )
            elif old[1] != amount or old[2] != description:
                to_update.append(
                    StatementLine(pk=old[0], amount=amount, description=description, updated_at=now)
                )
        to_delete += [old[0] for key, old in have.items() if key not in wanted]

    StatementLine.objects.bulk_create(to_create, ignore_conflicts=True)
    if to_update:
        StatementLine.objects.bulk_update(to_update, ["amount", "description", "updated_at"])
    if to_delete:
        StatementLine.objects.filter(pk__in=to_delete).delete()
    return len(to_create), len(to_update), len(to_delete)


def _totals_sync(*, statements: dict[int, Statement], openings: dict[int, Decimal]) -> int:
    """Set opening balance, lines total, total and carry-over of ``statements`` from their
    lines (one aggregate query, one bulk update). Returns how many changed."""
    tenant = current_tenant()
    minimum = tenant.minimum_payout
    companies = dict(
        Affiliate.objects.filter(pk__in=list(statements)).values_list("pk", "is_company")
    )
    sums = dict(
        StatementLine.objects.filter(statement__in=list(statements.values()))
        .values("statement_id")
        .annotate(total=Coalesce(Sum("amount"), ZERO))
        .values_list("statement_id", "total")
    )
    changed: list[Statement] = []
    for affiliate_id, statement in statements.items():
        if _apply_totals(
            statement,
            opening=openings.get(affiliate_id, ZERO),
            lines_total=sums.get(statement.pk, ZERO),
            minimum=minimum,
            withhold=withholding_function(tenant, is_company=companies.get(affiliate_id, False)),
        ):
            changed.append(statement)
    if changed:
        Statement.objects.bulk_update(changed, TOTAL_FIELDS)
    return len(changed)


TOTAL_FIELDS = [
    "opening_balance", "lines_total", "tax_withheld", "withholding_rule", "total",
    "carried_forward", "updated_at",
]  # fmt: skip


def _apply_totals(
    statement: Statement,
    *,
    opening: Decimal,
    lines_total: Decimal,
    minimum: Decimal,
    withhold: WithholdingFunction | None = None,
) -> bool:
    """Set the statement's totals by ``statement_totals``; True when something changed."""
    totals = statement_totals(
        opening=opening, lines_total=lines_total, minimum=minimum, withhold=withhold
    )
    rule = totals.withholding.rule if totals.tax_withheld else ""
    if (
        statement.opening_balance == opening
        and statement.lines_total == lines_total
        and statement.total == totals.total
        and statement.tax_withheld == totals.tax_withheld
        and statement.withholding_rule == rule
        and statement.carried_forward == totals.carried_forward
    ):
        return False
    statement.opening_balance = opening
    statement.lines_total = lines_total
    statement.tax_withheld = totals.tax_withheld
    statement.withholding_rule = rule
    statement.total = totals.total
    statement.carried_forward = totals.carried_forward
    return True


def statements_generate(*, period: str, actor: Any = None) -> dict[str, Any]:
    """Create or refresh the period's draft statement of every webmaster with activity.

    Activity: a ``DailyEarning`` of the period paying clicks or a top-up, an approved commission
    (day up to the period's end) on no other statement, a clawback due, or a carried-forward
    balance. Only DRAFT statements are refreshed (submitted ones are under review; approved and
    paid never change), and a statement is left alone once a later period's statement exists
    for the webmaster (its total may already have opened that one).

    Idempotent and safe to run twice at once: runs of one tenant and period are serialized by a
    transaction-level advisory lock, the period's statement rows are locked ``FOR UPDATE``
    (so workflow actions wait), and lines are unique per earning / commission and kind. A rerun
    creates nothing new; a changed amount is updated in place. The number of queries does not
    grow with the number of webmasters (bulk reads, ``bulk_create``, ``bulk_update``).
    """
    start, end = period_bounds(period)
    tenant = current_tenant()
    with transaction.atomic():
        # generation runs of one tenant and period never interleave (released at commit)
        advisory_xact_lock(f"statements:{tenant.pk}:{period}")
        inputs = statement_inputs(period=period)
        desired = statement_lines_wanted(inputs)
        existing = inputs.existing
        candidates = set(desired) | set(inputs.openings) | set(existing)
        targets = sorted(
            affiliate_id
            for affiliate_id in candidates
            if affiliate_id not in inputs.closed
            and (affiliate_id not in existing or existing[affiliate_id][1] == "draft")
        )
        skipped = len(candidates) - len(targets)

        missing = [affiliate_id for affiliate_id in targets if affiliate_id not in existing]
        Statement.objects.bulk_create(
            [
                Statement(
                    tenant=tenant,
                    affiliate_id=affiliate_id,
                    period=period,
                    period_start=start,
                    period_end=end,
                )
                for affiliate_id in missing
            ],
            ignore_conflicts=True,
        )
        statements = {
            row.affiliate_id: row
            for row in Statement.objects.filter(
                period=period, affiliate_id__in=targets, status=StatementStatus.DRAFT
            )
            .select_for_update(of=("self",))
            .order_by("pk")
        }
        created, updated, deleted = _lines_sync(statements=statements, desired=desired, actor=actor)
        changed = _totals_sync(statements=statements, openings=inputs.openings)
    return {
        "period": period,
        "statements": len(statements),
        "created": len(missing),
        "updated": changed,
        "skipped": skipped,
        "lines_created": created,
        "lines_updated": updated,
        "lines_deleted": deleted,
    }


# --- workflow -----------------------------------------------------------------------------


def _set_history(statement: Statement, *, actor: Any, reason: str) -> None:
    history_note(statement, actor, reason)


def _refresh(target: Statement, source: Statement) -> Statement:
    for field in Statement._meta.concrete_fields:
        setattr(target, field.attname, getattr(source, field.attname))
    return target


def statement_transition(
    *,
    statement: Statement,
    to: str,
    actor: Any,
    reason: str = "",
    payout_reference: str = "",
) -> Statement:
    """Move a statement along ``ALLOWED``, under a row lock; re-applying the current status is a
    no-op. Guards of each step (four eyes, holds, references) live in the named wrappers, which
    call this inside their own transaction after locking; history records who, when and why."""
    with transaction.atomic():
        locked = lock_object(Statement.objects.all(), statement.pk)
        if locked.status == to:
            return _refresh(statement, locked)
        if to not in ALLOWED[locked.status]:
            raise StatementStateError(
                f"Statement {locked.period} of webmaster #{locked.affiliate_id} is "
                f"{locked.get_status_display().lower()}; it cannot become {to}.",
                statement=locked.pk,
                status=locked.status,
            )
        now = timezone.now()
        fields = ["status", "updated_at"]
        if to == StatementStatus.SUBMITTED:
            locked.submitted_by, locked.submitted_at = actor, now
            locked.returned_reason = ""
            fields += ["submitted_by", "submitted_at", "returned_reason"]
        elif to == StatementStatus.APPROVED:
            locked.approved_by, locked.approved_at = actor, now
            fields += ["approved_by", "approved_at"]
        elif to == StatementStatus.PAID:
            locked.paid_by, locked.paid_at = actor, now
            locked.payout_reference = payout_reference
            fields += ["paid_by", "paid_at", "payout_reference"]
        elif to == StatementStatus.DRAFT:
            locked.returned_reason = reason[:500]
            locked.submitted_by, locked.submitted_at = None, None
            fields += ["returned_reason", "submitted_by", "submitted_at"]
        locked.status = to
        _set_history(locked, actor=actor, reason=reason or f"statement {to}")
        locked.save(update_fields=fields)
        if to in (StatementStatus.APPROVED, StatementStatus.PAID):  # webhooks (issue 16)
            event_emit(
                f"statement.{to}",
                data={
                    "id": locked.pk,
                    "period": locked.period,
                    "status": to,
                    "total": str(locked.total),
                    "currency": current_tenant().currency,
                    "payout_reference": locked.payout_reference or None,
                },
                affiliate_id=locked.affiliate_id,
            )
    return _refresh(statement, locked)


def _locked(statement: Statement) -> Statement:
    return lock_object(Statement.objects.select_related("affiliate"), statement.pk)


def statement_submit(*, statement: Statement, actor: Any) -> Statement:
    """Finance submits a draft for approval by someone else."""
    return statement_transition(statement=statement, to=StatementStatus.SUBMITTED, actor=actor)


def statement_return_to_draft(*, statement: Statement, actor: Any, reason: str) -> Statement:
    """Send a submitted statement back to draft; the reason is required and kept."""
    reason = (reason or "").strip()
    if not reason:
        raise StatementError(
            f"Give a reason to return statement {statement.period} to draft.",
            code=StatementError.REASON_REQUIRED,
        )
    return statement_transition(
        statement=statement, to=StatementStatus.DRAFT, actor=actor, reason=reason
    )


def statement_approve(*, statement: Statement, actor: Any) -> Statement:
    """Approve a submitted statement for payout (issue 5).

    Four eyes: the approver is neither who submitted it nor who last adjusted it. A webmaster
    on payment hold is refused with the hold's reason, and so is one without complete payout
    details (``apps.affiliates.payouts``); a carried-forward statement (below the
    minimum payout, or negative) is never approved for payout. Two approvals racing give one
    approval: the row lock serializes them and the second finds it approved (a no-op). The
    statement's commissions become settled in the same transaction; if one changed since the
    statement was drafted (reversed or refunded), approval is refused: return it to draft and
    generate again."""
    with transaction.atomic():
        locked = _locked(statement)
        if locked.status == StatementStatus.APPROVED:
            return _refresh(statement, locked)
        if locked.status != StatementStatus.SUBMITTED:
            raise StatementStateError(
                f"Statement {locked.period} of {locked.affiliate.name} is "
                f"{locked.get_status_display().lower()}; only a submitted statement is approved.",
                statement=locked.pk,
                status=locked.status,
            )
        actor_id = getattr(actor, "pk", None)
        if actor_id is not None and actor_id in (
            locked.submitted_by_id,
            locked.last_adjusted_by_id,
        ):
            role = "submitted" if actor_id == locked.submitted_by_id else "last adjusted"
            raise StatementFourEyesError(
                f"You {role} statement {locked.period} of {locked.affiliate.name}; another "
                "finance user must approve it (four eyes).",
                statement=locked.pk,
            )
        if locked.affiliate.payment_hold:
            raise StatementStateError(
                f"Payouts to {locked.affiliate.name} are on hold: "
                f"{locked.affiliate.payment_hold_reason or 'no reason recorded'}. "
                "Risk staff must lift the hold before this statement is approved.",
                code=StatementStateError.HOLD,
                statement=locked.pk,
            )
        missing = payout_missing(payout_details_of(locked.affiliate))
        if missing:
            # Issue 14: money is never approved for a webmaster the bank cannot pay.
            raise StatementStateError(
                f"{locked.affiliate.name} has {missing}: the webmaster enters account holder, "
                "bank or Alipay account, account number and tax id under Payout details in "
                "the portal; then approve the statement.",
                code=StatementStateError.PAYOUT_DETAILS,
                statement=locked.pk,
            )
        if locked.carried_forward:
            raise StatementStateError(
                f"Statement {locked.period} of {locked.affiliate.name} carries its total "
                f"({locked.total}) forward to the next period; it is not approved for payout.",
                code=StatementStateError.CARRIED,
                statement=locked.pk,
            )
        _payout_currency_freeze(locked)
        statement_commissions_settle(statement=locked)
        _post_bonus(statement=locked, actor=actor)
        statement_transition(statement=locked, to=StatementStatus.APPROVED, actor=actor)
    return _refresh(statement, locked)


def statement_commissions_settle(*, statement: Statement) -> int:
    """Mark the approved commissions on ``statement`` settled (status settled, ``settled_at``),
    under row locks. A commission that changed since it was put on the statement (no longer
    approved, or its net differs from the line) refuses the whole approval (``STALE``).

    The status itself is written by ``accrual.commissions_settle``, with the other commission
    status writers (``commission_transition``, ``commissions_approve``,
    ``commission_reversal_apply``)."""
    lines = {
        line.commission_id: line
        for line in StatementLine.objects.filter(
            statement=statement, kind=StatementLineKind.COMMISSION
        )
    }
    if not lines:
        return 0
    commissions = list(
        Commission.objects.filter(pk__in=list(lines)).select_for_update(of=("self",)).order_by("pk")
    )
    for commission in commissions:
        net = commission_net(commission.amount, commission.reversed_amount)
        if commission.status != CommissionStatus.APPROVED or net != lines[commission.pk].amount:
            raise StatementStateError(
                f"Commission #{commission.pk} changed since statement {statement.period} was "
                f"drafted (now {commission.get_status_display().lower()}, net {net}); return "
                "the statement to draft and generate it again.",
                code=StatementStateError.STALE,
                commission=commission.pk,
            )
    from apps.commissions.services.accrual import commissions_settle

    return commissions_settle(ids=list(lines))


def statement_mark_paid(*, statement: Statement, actor: Any, payout_reference: str) -> Statement:
    """Record the bank payout of an approved statement (a payout reference is required) and post
    it to the ledger: the webmaster's payable is debited and network cash credited by the total,
    once per statement (idempotency key ``statement:<id>:paid``)."""
    payout_reference = (payout_reference or "").strip()
    if not payout_reference:
        raise StatementError(
            f"Give the bank's payout reference to mark statement {statement.period} paid.",
            code=StatementError.REFERENCE_REQUIRED,
        )
    with transaction.atomic():
        locked = _locked(statement)
        if locked.status == StatementStatus.PAID:
            return _refresh(statement, locked)
        statement_transition(
            statement=locked,
            to=StatementStatus.PAID,
            actor=actor,
            reason=f"paid: {payout_reference}",
            payout_reference=payout_reference[:120],
        )
        _post_payout(statement=locked, actor=actor)
    return _refresh(statement, locked)


def payout_legs(statement: Statement) -> list[tuple[Any, Decimal]]:
    """The legs of a statement's payout (issue 17): the webmaster's payable is debited by the
    gross (``total + tax_withheld``); network cash is credited by what is paid, and the tax
    withheld goes to ``tax_payable``. Paid in another currency, the net passes through the FX
    clearing accounts (``fx_exchange_legs``) and leaves the cash account of that currency as
    ``payout_amount``, so each currency's legs sum to zero."""
    from apps.commissions.models import AccountKind
    from apps.commissions.services.ledger import (
        fx_exchange_legs,
        ledger_account_for,
        network_account,
    )
    from apps.core.money import Money

    book = current_tenant().currency
    payable = ledger_account_for(kind=AccountKind.WEBMASTER_PAYABLE, affiliate=statement.affiliate)
    legs: list[tuple[Any, Decimal]] = [(payable, -(statement.total + statement.tax_withheld))]
    if statement.tax_withheld:
        legs.append((network_account(AccountKind.TAX_PAYABLE), statement.tax_withheld))
    foreign = statement.payout_currency and statement.payout_currency != book
    if foreign and statement.payout_amount is not None:
        paid = Money(statement.payout_amount, statement.payout_currency)
        legs += fx_exchange_legs(into_clearing=Money(statement.total, book), out_of_clearing=paid)
        legs.append((network_account(AccountKind.NETWORK_CASH, paid.currency), paid.amount))
    else:
        legs.append((network_account(AccountKind.NETWORK_CASH), statement.total))
    return legs


def _post_payout(*, statement: Statement, actor: Any) -> None:
    from apps.commissions.services.ledger import ledger_post

    if statement.total == 0 and statement.tax_withheld == 0:
        return
    ledger_post(
        kind="statement_payout",
        idempotency_key=f"statement:{statement.pk}:paid",
        occurred_on=clock.local_day(statement.paid_at),
        legs=payout_legs(statement),
        memo=f"Payout of statement {statement.period}, reference {statement.payout_reference}",
        created_by=actor,
    )


def _post_bonus(*, statement: Statement, actor: Any) -> None:
    """A bonus is the network's cost owed to the webmaster once its statement is approved:
    ``network_cost`` -b, ``webmaster_payable`` +b, once per statement
    (``statement:<id>:bonus``), b the sum of its bonus lines (issue 17)."""
    from apps.commissions.models import AccountKind
    from apps.commissions.services.ledger import ledger_account_for, ledger_post, network_account

    bonus = StatementLine.objects.filter(
        statement=statement, kind=StatementLineKind.BONUS
    ).aggregate(total=Coalesce(Sum("amount"), ZERO))["total"]
    if bonus == 0:
        return
    payable = ledger_account_for(kind=AccountKind.WEBMASTER_PAYABLE, affiliate=statement.affiliate)
    ledger_post(
        kind="statement_bonus",
        idempotency_key=f"statement:{statement.pk}:bonus",
        occurred_on=statement.period_end,
        legs=[(payable, bonus), (network_account(AccountKind.NETWORK_COST), -bonus)],
        memo=f"Bonus tiers of statement {statement.period}",
        created_by=actor,
    )


def _payout_currency_freeze(statement: Statement) -> None:
    """A webmaster paid in another currency (``Affiliate.payout_currency``, issue 17): the
    total at the rate of the approval's tenant-local day, frozen on the statement (the bank
    file and the payout posting use it). No rate that day refuses the approval naming
    ``currency``, never 1.0."""
    from apps.core.money import Money
    from apps.fx.errors import FxRateMissingError
    from apps.fx.services import fx_convert

    book = current_tenant().currency
    wanted = (statement.affiliate.payout_currency or "").upper()
    if not wanted or wanted == book:
        fields = (statement.payout_currency, statement.payout_rate, statement.payout_amount)
        if fields == ("", None, None):
            return
        statement.payout_currency, statement.payout_rate, statement.payout_amount = "", None, None
    else:
        try:
            paid, rate = fx_convert(
                Money(statement.total, book), day=clock.tenant_today(), to=wanted
            )
        except FxRateMissingError as exc:
            raise StatementStateError(
                f"{statement.affiliate.name} is paid in {wanted}: {exc.message}",
                code=StatementStateError.FX_RATE,
                field="currency",
                statement=statement.pk,
            ) from exc
        statement.payout_currency, statement.payout_rate = wanted, rate
        statement.payout_amount = paid.amount
    statement.save(update_fields=["payout_currency", "payout_rate", "payout_amount", "updated_at"])


def statement_adjust(
    *, statement: Statement, amount: Decimal, reason: str, actor: Any
) -> StatementLine:
    """Add a manual adjustment line (positive or negative, with a reason) to a draft statement,
    recompute its totals and carry-over, and record the adjuster (who may then not approve)."""
    reason = (reason or "").strip()
    if not reason:
        raise StatementError(
            f"Give a reason for the adjustment of statement {statement.period}.",
            code=StatementError.REASON_REQUIRED,
        )
    if not isinstance(amount, Decimal) or amount == 0:
        raise StatementError(
            "An adjustment is a non-zero amount such as 25.00 or -10.00.",
            code=StatementError.AMOUNT,
        )
    amount = quantize_money(amount)
    with transaction.atomic():
        locked = lock_object(Statement.objects.all(), statement.pk)
        if locked.status != StatementStatus.DRAFT:
            raise StatementStateError(
                f"Statement {locked.period} is {locked.get_status_display().lower()}; only a "
                "draft is adjusted (return it to draft first).",
                statement=locked.pk,
                status=locked.status,
            )
        if Statement.objects.filter(
            affiliate_id=locked.affiliate_id, period__gt=locked.period
        ).exists():
            # Its total may already have opened the next statement: correct the latest one.
            raise StatementStateError(
                f"Statement {locked.period} is followed by a later statement of this webmaster; "
                "add the adjustment to the latest statement instead.",
                statement=locked.pk,
            )
        line = StatementLine.objects.create(
            tenant=locked.tenant,
            statement=locked,
            kind=StatementLineKind.ADJUSTMENT,
            description=f"Adjustment: {reason}"[:300],
            amount=amount,
            reason=reason[:500],
            created_by=actor,
        )
        _recompute(locked)
        locked.last_adjusted_by = actor
        _set_history(locked, actor=actor, reason=f"adjusted {amount}: {reason}")
        locked.save(update_fields=[*TOTAL_FIELDS, "last_adjusted_by"])
    _refresh(statement, locked)
    return line


def _recompute(statement: Statement) -> None:
    """Totals and carry-over of one statement from its lines (``statement_totals``)."""
    lines_total = StatementLine.objects.filter(statement=statement).aggregate(
        total=Coalesce(Sum("amount"), ZERO)
    )["total"]
    _apply_totals(
        statement,
        opening=statement.opening_balance,
        lines_total=lines_total,
        minimum=current_tenant().minimum_payout,
        withhold=statement_withhold(statement),
    )
