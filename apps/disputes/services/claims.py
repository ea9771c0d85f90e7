"""Compensation claims on full-site plans (issue 6; DESIGN.md rule 8).

``claim_quote`` (pure: what a claim would be and why it may not be filed), ``claim_submit``,
``claim_decide`` (through ``claim_transition``, the one writer of a claim's status).
"""

import datetime
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Min, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from apps.campaigns.models import (
    Campaign,
    CampaignPhase,
    CampaignType,
    Merchant,
    MerchantUser,
)
from apps.commissions.services.ledger import merchant_compensation_credit
from apps.core import money
from apps.core.db import lock_object
from apps.core.errors import StateConflictError
from apps.core.events import event_emit
from apps.core.history import history_note, person
from apps.core.money import ZERO, quantize_money
from apps.disputes.errors import ClaimDecisionError, ClaimError
from apps.disputes.models import (
    WINDOW_DAYS_DEFAULT,
    WINDOW_DAYS_MAX,
    WINDOW_DAYS_MIN,
    Claim,
    ClaimStatus,
)
from apps.disputes.services.evidence import claim_evidence_add, evidence_validate
from apps.tenants.clock import tenant_today
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats

#: A claim may be filed from the day after its window's last day until this many days later.
CLAIM_FILING_DAYS = 30
#: A dispute may be filed up to this many days after the order date (issue 6).

# --- claims: the quote -------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimQuote:
    """What a claim on ``campaign`` would be today, and why it may not be filed (if so)."""

    campaign: Campaign
    window_days: int
    window_start: datetime.date | None
    window_end: datetime.date | None
    spend: Decimal
    gmv: Decimal
    target_roi: Decimal | None
    tolerance: Decimal
    amount: Decimal
    #: first and last day a claim may be filed
    file_from: datetime.date | None
    file_until: datetime.date | None
    refusal_code: str | None = None
    refusal_message: str = ""
    #: the input the refusal concerns (``window_days`` or ``campaign``), for ``extra.fields``
    refusal_field: str | None = None

    @property
    def is_eligible(self) -> bool:
        return self.refusal_code is None

    @property
    def roi(self) -> Decimal | None:
        return money.roi(gmv=self.gmv, spend=self.spend)


def compensation_amount(
    *, spend: Decimal, gmv: Decimal, target_roi: Decimal, tolerance: Decimal
) -> Decimal:
    """amount = max(0, S - G / (R x (1 - t))), rounded half-up to cents (DESIGN.md rule 8).

    Full precision inside, one rounding at the end: S=10,000, G=25,000, R=3 -> 1,666.67."""
    if target_roi <= 0:
        raise ValueError("target ROI must be positive")
    if not Decimal("0") <= tolerance < Decimal("1"):
        raise ValueError("tolerance must be in [0, 1)")
    raw = spend - gmv / (target_roi * (Decimal("1") - tolerance))
    return quantize_money(max(ZERO, raw))


def first_spend_day(
    *, campaign: Campaign, phase: CampaignPhase | None = None
) -> datetime.date | None:
    """The plan's (or its phase's) first tenant-local day with spend > 0 (from the daily
    roll-up)."""
    rows = CampaignDayStats.objects.filter(campaign=campaign, spend__gt=0)
    if phase is not None:
        rows = rows.filter(day__gte=phase.first_day, day__lte=phase.last_day)
    first: datetime.date | None = rows.aggregate(first=Min("day"))["first"]
    return first


@dataclass(frozen=True)
class _Refusal:
    """Why ``claim_quote`` refuses: a ``ClaimError`` code, the message, the input it concerns,
    and whether the window's figures are shown with it (not when there is no window yet)."""

    code: str
    message: str
    field: str
    shows_figures: bool = True


def _window_figures(
    *,
    campaign: Campaign,
    phase: CampaignPhase | None,
    start: datetime.date,
    window_days: int,
    target_roi: Decimal | None,
    tolerance: Decimal,
) -> dict[str, Any]:
    """The evaluation window from ``start`` (within the phase, if one), its filing days, and
    its spend, GMV and compensation from the daily roll-up."""
    end = start + datetime.timedelta(days=window_days - 1)
    if phase is not None:
        end = min(end, phase.last_day)
    totals = CampaignDayStats.objects.filter(
        campaign=campaign, day__gte=start, day__lte=end
    ).aggregate(
        spend=Coalesce(Sum("spend"), ZERO),
        gmv=Coalesce(Sum("gmv"), ZERO),
    )
    spend, gmv = totals["spend"], totals["gmv"]
    amount = (
        compensation_amount(spend=spend, gmv=gmv, target_roi=target_roi, tolerance=tolerance)
        if target_roi is not None and target_roi > 0
        else ZERO
    )
    return {
        "window_start": start,
        "window_end": end,
        "spend": spend,
        "gmv": gmv,
        "amount": amount,
        "file_from": end + datetime.timedelta(days=1),
        "file_until": end + datetime.timedelta(days=CLAIM_FILING_DAYS),
    }


def _eligibility_refusal(
    *,
    campaign: Campaign,
    phase: CampaignPhase | None,
    label: str,
    target_roi: Decimal | None,
    start: datetime.date | None,
) -> _Refusal | None:
    """The first reason the plan (or phase) cannot be claimed at all, in the order the
    claimant should hear them: not full-site, not started, product untagged, target not a
    tier, already claimed, no spend yet."""
    if campaign.type != CampaignType.FULL_SITE:
        return _Refusal(
            ClaimError.NOT_ELIGIBLE,
            f"Not eligible: {label} is not a full-site promotion; only full-site plans can "
            "be compensated.",
            "campaign",
        )
    if campaign.started_at is None and start is None:
        return _Refusal(
            ClaimError.TOO_EARLY,
            f"Too early: {label} has not started, so its evaluation window has not begun.",
            "campaign",
            shows_figures=False,
        )
    if not campaign.product_was_tagged:
        return _Refusal(
            ClaimError.NOT_ELIGIBLE,
            f"Not eligible: the product of {label} was not tagged when the plan started.",
            "campaign",
        )
    tiers = {Decimal(str(tier)) for tier in campaign.roi_tiers_at_start or []}
    if phase is not None and (target_roi is None or target_roi not in tiers):
        return _Refusal(
            ClaimError.NOT_ELIGIBLE,
            f"Not eligible: the target ROI {target_roi} of {label} is not one of the tiers "
            f"offered when the plan started ({', '.join(sorted(map(str, tiers))) or 'none'}).",
            "phase",
        )
    if phase is None and (not campaign.target_roi_was_tier or target_roi is None):
        return _Refusal(
            ClaimError.NOT_ELIGIBLE,
            f"Not eligible: the target ROI of {label} was not one of the recommended tiers "
            "when the plan started.",
            "campaign",
        )
    if Claim.objects.filter(campaign=campaign, phase=phase).exists():
        return _Refusal(
            ClaimError.ALREADY_CLAIMED, f"A claim for {label} has already been filed.", "campaign"
        )
    if start is None:
        return _Refusal(
            ClaimError.TOO_EARLY,
            f"Too early: {label} has no spend yet, so its evaluation window has not started.",
            "campaign",
            shows_figures=False,
        )
    return None


def _filing_refusal(
    found: dict[str, Any],
    *,
    today: datetime.date,
    label: str,
    window_days: int,
    target_roi: Decimal | None,
    tolerance: Decimal,
) -> _Refusal | None:
    """Whether ``today`` is within the filing days and the window has something to
    compensate."""
    start, end = found["window_start"], found["window_end"]
    file_from, file_until = found["file_from"], found["file_until"]
    if today < file_from:
        return _Refusal(
            ClaimError.TOO_EARLY,
            f"Too early: the {window_days}-day window of {label} ends on {end.isoformat()}; "
            f"a claim can be filed from {file_from.isoformat()}.",
            "window_days",
        )
    if today > file_until:
        return _Refusal(
            ClaimError.TOO_LATE,
            f"Too late: claims for {label} could be filed until {file_until.isoformat()} "
            f"({CLAIM_FILING_DAYS} days after its window ended).",
            "window_days",
        )
    if found["amount"] <= 0:
        return _Refusal(
            ClaimError.NOTHING_TO_COMPENSATE,
            f"Nothing to compensate: over {start.isoformat()}..{end.isoformat()} {label} "
            f"returned GMV {found['gmv']} on spend {found['spend']}, meeting its target ROI "
            f"{target_roi}"
            + (f" with tolerance {tolerance.normalize()}" if tolerance else "")
            + ".",
            "campaign",
        )
    return None


def claim_quote(
    *,
    campaign: Campaign,
    window_days: int = WINDOW_DAYS_DEFAULT,
    today: datetime.date | None = None,
    phase: CampaignPhase | None = None,
) -> ClaimQuote:
    """Compute a claim on a full-site plan and whether it may be filed ``today``.

    Rules (issue 6): eligible only for a full-site plan whose product was tagged and whose
    target ROI was one of the recommended tiers when it started (frozen on the campaign);
    the window starts on the plan's first day of spend and lasts ``window_days`` (7..15)
    days; it may be filed from the day after the window's last day until 30 days later; one
    claim per plan; an amount of 0 is nothing to compensate. Reads only; raises nothing: the
    first refusal found is in ``refusal_code`` (``ClaimError`` codes).

    On a ``phase`` of a phased plan (issue 18) the claim is judged on the phase: the window
    starts on the phase's first day of spend and ends ``window_days`` later or on the phase's
    last day, whichever comes first; the target is the phase's, and it must be one of the tiers
    offered when the plan started; one claim per phase.
    """
    today = today or tenant_today()
    tenant = current_tenant()
    tolerance = tenant.claim_tolerance or Decimal("0")
    target_roi = campaign.target_roi
    if phase is not None and phase.target_roi is not None:
        target_roi = phase.target_roi
    base: dict[str, Any] = {
        "campaign": campaign,
        "window_days": window_days,
        "target_roi": target_roi,
        "tolerance": tolerance,
    }

    def refuse(refusal: _Refusal, found: dict[str, Any] | None = None) -> ClaimQuote:
        values = {
            "window_start": None,
            "window_end": None,
            "spend": ZERO,
            "gmv": ZERO,
            "amount": ZERO,
            "file_from": None,
            "file_until": None,
            **base,
            **(found if found and refusal.shows_figures else {}),
        }
        return ClaimQuote(
            **values,
            refusal_code=refusal.code,
            refusal_message=refusal.message,
            refusal_field=refusal.field,
        )

    label = f"plan {campaign.name!r}"
    if phase is not None:
        label = f"the {phase.get_kind_display().lower()} phase of plan {campaign.name!r}"
        if phase.campaign_id != campaign.pk:
            return refuse(
                _Refusal(ClaimError.NOT_ELIGIBLE, f"That phase is not one of {label}'s.", "phase")
            )
    if not isinstance(window_days, int) or not WINDOW_DAYS_MIN <= window_days <= WINDOW_DAYS_MAX:
        return refuse(
            _Refusal(
                ClaimError.BAD_WINDOW,
                f"The evaluation window must be {WINDOW_DAYS_MIN} to {WINDOW_DAYS_MAX} days, "
                f"not {window_days}.",
                "window_days",
            )
        )
    # The window, spend and GMV come from the same daily roll-ups as the Performance page, and
    # are shown whatever the refusal, so the preview never contradicts Performance.
    start = first_spend_day(campaign=campaign, phase=phase)
    found = (
        _window_figures(
            campaign=campaign,
            phase=phase,
            start=start,
            window_days=window_days,
            target_roi=target_roi,
            tolerance=tolerance,
        )
        if start is not None
        else {}
    )
    refusal = _eligibility_refusal(
        campaign=campaign, phase=phase, label=label, target_roi=target_roi, start=start
    )
    if refusal is None and start is not None:
        refusal = _filing_refusal(
            found,
            today=today,
            label=label,
            window_days=window_days,
            target_roi=target_roi,
            tolerance=tolerance,
        )
    if refusal is not None:
        return refuse(refusal, found)
    return ClaimQuote(**base, **found)


# --- claims: submit and decide -----------------------------------------------------------


def claim_submit(
    *,
    campaign: Campaign,
    window_days: int = WINDOW_DAYS_DEFAULT,
    note: str = "",
    actor: Any = None,
    evidence_files: Iterable[Any] = (),
    today: datetime.date | None = None,
    phase: CampaignPhase | None = None,
) -> Claim:
    """File a compensation claim on ``campaign`` with the amount ``claim_quote`` computes.

    Refused with ``ClaimError`` (code not_eligible, bad_window, too_early, too_late,
    nothing_to_compensate, already_claimed) and nothing written. Evidence files are checked
    before anything is written. One claim per plan: the unique (tenant, campaign) constraint
    turns a race between two submissions into already_claimed."""
    files = list(evidence_files)
    for upload in files:
        evidence_validate(upload)
    quote = claim_quote(campaign=campaign, window_days=window_days, today=today, phase=phase)
    if not quote.is_eligible:
        raise ClaimError(
            quote.refusal_message,
            code=quote.refusal_code,
            field=quote.refusal_field,
            campaign=campaign.pk,
        )
    try:
        with transaction.atomic():
            claim = Claim(
                tenant=current_tenant(),
                campaign=campaign,
                phase=phase,
                merchant_id=campaign.merchant_id,
                window_days=window_days,
                window_start=quote.window_start,
                window_end=quote.window_end,
                spend=quote.spend,
                gmv=quote.gmv,
                target_roi=quote.target_roi,
                tolerance=quote.tolerance,
                computed_amount=quote.amount,
                note=note.strip(),
                submitted_by=person(actor),
            )
            history_note(claim, actor)
            claim.save()
            claim_evidence_add(claim=claim, files=files, actor=actor)
    except IntegrityError as exc:
        if "claim_one_per_campaign" not in str(exc):
            raise
        raise ClaimError(
            f"A claim for plan {campaign.name!r} has already been filed.",
            code=ClaimError.ALREADY_CLAIMED,
            field="campaign",
            campaign=campaign.pk,
        ) from exc
    return claim


class ClaimDecision:
    APPROVE = "approve"
    APPROVE_REDUCED = "approve_reduced"
    REJECT = "reject"
    ALL = (APPROVE, APPROVE_REDUCED, REJECT)


CLAIM_ALLOWED: dict[str, set[str]] = {
    ClaimStatus.SUBMITTED: {ClaimStatus.APPROVED, ClaimStatus.REJECTED},
    ClaimStatus.APPROVED: set(),
    ClaimStatus.REJECTED: set(),
}


def claim_transition(
    *, claim: Claim, to: str, actor: Any, reason: str = "", amount: Decimal | None = None
) -> Claim:
    """The one place a claim's status moves (``CLAIM_ALLOWED``), under a row lock, with the
    decision stamped and a history row. Re-applying the current state is a no-op. Callers are
    inside ``transaction.atomic()``."""
    locked = lock_object(Claim.objects.all(), claim.pk)
    if locked.status == to:
        return locked
    if to not in CLAIM_ALLOWED[locked.status]:
        raise StateConflictError(
            f"Claim #{claim.pk} is {locked.get_status_display().lower()}; it cannot become {to}."
        )
    locked.status = to
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked.approved_amount = amount
    history_note(locked, actor, f"{to}: {reason}" if reason else to)
    locked.save(
        update_fields=[
            "status",
            "decided_by",
            "decided_at",
            "decision_reason",
            "approved_amount",
            "updated_at",
        ]
    )
    event_emit(
        "claim.decided",
        data={
            "id": locked.pk,
            "campaign": locked.campaign_id,
            "status": to,
            "approved_amount": str(amount) if amount is not None else None,
            "reason": reason,
        },
        merchant_id=locked.merchant_id,
    )
    return locked


def claim_decide(
    *,
    claim: Claim,
    decision: str,
    actor: Any,
    amount: Decimal | None = None,
    reason: str = "",
) -> Claim:
    """Risk or finance staff decide a submitted claim: approve (the computed amount), approve a
    reduced amount (reason required, 0 < amount < computed) or reject (reason required).

    The claim row is locked first, so two clicks serialise: the second finds the claim decided
    and is a no-op if it asks for the same outcome, a ``StateConflictError`` otherwise.
    Approval credits the merchant's balance through the ledger with the idempotency key
    ``claim:<id>:credit`` (a double click credits once). Decided claims are immutable. The
    merchant's users are emailed after the commit."""
    if decision not in ClaimDecision.ALL:
        raise ClaimDecisionError(
            f"Unknown decision {decision!r}; use one of {ClaimDecision.ALL}.", field="decision"
        )
    reason = (reason or "").strip()
    with transaction.atomic():
        locked = lock_object(Claim.objects.all(), claim.pk)
        to, approved = _claim_outcome(locked, decision, amount, reason)
        if locked.is_decided:
            if locked.status == to and (approved is None or locked.approved_amount == approved):
                return locked  # the same decision again (a double click): nothing changes
            raise StateConflictError(
                f"Claim #{locked.pk} was already {locked.get_status_display().lower()} "
                f"by {locked.decided_by} on {locked.decided_at:%Y-%m-%d}; decided claims "
                "cannot change."
            )
        locked = claim_transition(claim=locked, to=to, actor=actor, reason=reason, amount=approved)
        if to == ClaimStatus.APPROVED:
            entry = merchant_compensation_credit(
                merchant=locked.merchant,
                amount=approved,
                idempotency_key=f"claim:{locked.pk}:credit",
                occurred_on=tenant_today(),
                memo=f"Compensation claim #{locked.pk} ({locked.campaign.name})",
                actor=actor,
            )
            locked.ledger_transaction = entry
            history_note(locked, actor)
            locked.save(update_fields=["ledger_transaction", "updated_at"])
        _email_merchant_on_commit(claim=locked)
    _refresh(claim, locked)
    return locked


def _claim_outcome(
    claim: Claim, decision: str, amount: Decimal | None, reason: str
) -> tuple[str, Decimal | None]:
    if decision == ClaimDecision.REJECT:
        if not reason:
            raise ClaimDecisionError(
                "A rejection needs a reason the merchant will read.", field="reason"
            )
        return ClaimStatus.REJECTED, None
    if decision == ClaimDecision.APPROVE:
        return ClaimStatus.APPROVED, claim.computed_amount
    if not reason:
        raise ClaimDecisionError(
            "Approving a reduced amount needs a reason the merchant will read.", field="reason"
        )
    if amount is None:
        raise ClaimDecisionError("Approving a reduced amount needs the amount.", field="amount")
    amount = quantize_money(Decimal(amount))
    if not Decimal("0") < amount < claim.computed_amount:
        raise ClaimDecisionError(
            f"A reduced amount must be above 0 and below the computed {claim.computed_amount} "
            f"(got {amount}).",
            field="amount",
        )
    return ClaimStatus.APPROVED, amount


def _refresh(target: Claim, source: Claim) -> None:
    for field in (
        "status",
        "decided_by_id",
        "decided_at",
        "decision_reason",
        "approved_amount",
        "ledger_transaction_id",
    ):
        setattr(target, field, getattr(source, field))


def _merchant_emails(merchant_id: int) -> list[str]:
    emails = list(
        MerchantUser.objects.filter(merchant_id=merchant_id, is_active=True)
        .values_list("user__email", flat=True)
        .order_by("user__email")
    )
    if not emails:
        contact = Merchant.objects.filter(pk=merchant_id).values_list("contact_email", flat=True)
        emails = [email for email in contact if email]
    return emails


def _email_merchant_on_commit(*, claim: Claim) -> None:
    """``templates/email/disputes/claim_decided_{subject,body}.txt`` to the merchant's users."""
    recipients = _merchant_emails(claim.merchant_id)
    if not recipients:
        return
    context = {"claim": claim, "campaign": claim.campaign, "tenant": current_tenant()}
    subject = render_to_string("email/disputes/claim_decided_subject.txt", context).strip()
    body = render_to_string("email/disputes/claim_decided_body.txt", context)

    def send() -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, recipients)

    transaction.on_commit(send)
