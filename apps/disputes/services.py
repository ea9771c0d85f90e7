"""Writes on claims and disputes (issue 6; DESIGN.md rule 8).

Claims: ``claim_quote`` (pure: what a claim would be and why it may not be filed),
``claim_submit``, ``claim_evidence_add``, ``claim_decide`` (through ``claim_transition``).
Disputes: ``dispute_file`` (checks itself against tracked clicks and orders as it is filed),
``dispute_decide`` (through ``dispute_transition``).
"""

import datetime
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Min, Sum
from django.db.models.functions import Coalesce
from django.template.loader import render_to_string
from django.utils import timezone

from apps.campaigns.models import Campaign, CampaignType, Merchant, MerchantUser
from apps.commissions.services.accrual import commission_create_from_dispute
from apps.commissions.services.ledger import merchant_compensation_credit
from apps.core.db import lock_object
from apps.core.errors import StateConflictError
from apps.core.money import ZERO, quantize_money
from apps.disputes.errors import ClaimDecisionError, ClaimError, DisputeError, EvidenceError
from apps.disputes.models import (
    WINDOW_DAYS_DEFAULT,
    WINDOW_DAYS_MAX,
    WINDOW_DAYS_MIN,
    Claim,
    ClaimEvidence,
    ClaimStatus,
    Dispute,
    DisputeStatus,
)
from apps.tenants.models import User
from apps.tenants.scope import current_tenant
from apps.tracking.models import CampaignDayStats, Click, ClickVerdict, Conversion, ConversionType

#: A claim may be filed from the day after its window's last day until this many days later.
CLAIM_FILING_DAYS = 30
#: A dispute may be filed up to this many days after the order date (issue 6).
DISPUTE_FILING_DAYS = 90

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

    @property
    def is_eligible(self) -> bool:
        return self.refusal_code is None

    @property
    def roi(self) -> Decimal | None:
        if not self.spend:
            return None
        return (self.gmv / self.spend).quantize(Decimal("0.01"))


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


def first_spend_day(*, campaign: Campaign) -> datetime.date | None:
    """The plan's first tenant-local day with spend > 0 (derived from the daily roll-up)."""
    return CampaignDayStats.objects.filter(campaign=campaign, spend__gt=0).aggregate(
        first=Min("day")
    )["first"]


def _person(actor: Any) -> Any:
    """The actor if it is a person (history and ``*_by`` columns); an API key is not."""
    return actor if isinstance(actor, User) else None


def _local_today() -> datetime.date:
    return timezone.localdate(timezone=current_tenant().zone)


def claim_quote(
    *,
    campaign: Campaign,
    window_days: int = WINDOW_DAYS_DEFAULT,
    today: datetime.date | None = None,
) -> ClaimQuote:
    """Compute a claim on a full-site plan and whether it may be filed ``today``.

    Rules (issue 6): eligible only for a full-site plan whose product was tagged and whose
    target ROI was one of the recommended tiers when it started (frozen on the campaign);
    the window starts on the plan's first day of spend and lasts ``window_days`` (7..15)
    days; it may be filed from the day after the window's last day until 30 days later; one
    claim per plan; an amount of 0 is nothing to compensate. Reads only; raises nothing: the
    first refusal found is in ``refusal_code`` (``ClaimError`` codes).
    """
    today = today or _local_today()
    tenant = current_tenant()
    tolerance = tenant.claim_tolerance or Decimal("0")
    target_roi = campaign.target_roi
    base: dict[str, Any] = {
        "campaign": campaign,
        "window_days": window_days,
        "target_roi": target_roi,
        "tolerance": tolerance,
    }

    def refuse(code: str, message: str, **found: Any) -> ClaimQuote:
        values = {
            "window_start": None,
            "window_end": None,
            "spend": ZERO,
            "gmv": ZERO,
            "amount": ZERO,
            "file_from": None,
            "file_until": None,
            **base,
            **found,
        }
        return ClaimQuote(**values, refusal_code=code, refusal_message=message)

    label = f"plan {campaign.name!r}"
    if not isinstance(window_days, int) or not WINDOW_DAYS_MIN <= window_days <= WINDOW_DAYS_MAX:
        return refuse(
            ClaimError.BAD_WINDOW,
            f"The evaluation window must be {WINDOW_DAYS_MIN} to {WINDOW_DAYS_MAX} days, "
            f"not {window_days}.",
        )
    if campaign.type != CampaignType.FULL_SITE:
        return refuse(
            ClaimError.NOT_ELIGIBLE,
            f"Not eligible: {label} is not a full-site promotion; only full-site plans can "
            "be compensated.",
        )
    if campaign.started_at is None:
        return refuse(
            ClaimError.TOO_EARLY,
            f"Too early: {label} has not started, so its evaluation window has not begun.",
        )
    if not campaign.product_was_tagged:
        return refuse(
            ClaimError.NOT_ELIGIBLE,
            f"Not eligible: the product of {label} was not tagged when the plan started.",
        )
    if not campaign.target_roi_was_tier or target_roi is None:
        return refuse(
            ClaimError.NOT_ELIGIBLE,
            f"Not eligible: the target ROI of {label} was not one of the recommended tiers "
            "when the plan started.",
        )
    if Claim.objects.filter(campaign=campaign).exists():
        return refuse(ClaimError.ALREADY_CLAIMED, f"A claim for {label} has already been filed.")
    start = first_spend_day(campaign=campaign)
    if start is None:
        return refuse(
            ClaimError.TOO_EARLY,
            f"Too early: {label} has no spend yet, so its evaluation window has not started.",
        )
    end = start + datetime.timedelta(days=window_days - 1)
    file_from = end + datetime.timedelta(days=1)
    file_until = end + datetime.timedelta(days=CLAIM_FILING_DAYS)
    totals = CampaignDayStats.objects.filter(
        campaign=campaign, day__gte=start, day__lte=end
    ).aggregate(
        spend=Coalesce(Sum("spend"), ZERO),
        gmv=Coalesce(Sum("gmv"), ZERO),
    )
    spend, gmv = totals["spend"], totals["gmv"]
    amount = compensation_amount(spend=spend, gmv=gmv, target_roi=target_roi, tolerance=tolerance)
    found = {
        "window_start": start,
        "window_end": end,
        "spend": spend,
        "gmv": gmv,
        "amount": amount,
        "file_from": file_from,
        "file_until": file_until,
    }
    if today < file_from:
        return refuse(
            ClaimError.TOO_EARLY,
            f"Too early: the {window_days}-day window of {label} ends on {end.isoformat()}; "
            f"a claim can be filed from {file_from.isoformat()}.",
            **found,
        )
    if today > file_until:
        return refuse(
            ClaimError.TOO_LATE,
            f"Too late: claims for {label} could be filed until {file_until.isoformat()} "
            f"({CLAIM_FILING_DAYS} days after its window ended).",
            **found,
        )
    if amount <= 0:
        return refuse(
            ClaimError.NOTHING_TO_COMPENSATE,
            f"Nothing to compensate: over {start.isoformat()}..{end.isoformat()} {label} "
            f"returned GMV {gmv} on spend {spend}, meeting its target ROI {target_roi}"
            + (f" with tolerance {tolerance.normalize()}" if tolerance else "")
            + ".",
            **found,
        )
    return ClaimQuote(**base, **found)


# --- claims: evidence --------------------------------------------------------------------

#: extension -> (content type, sniffer name)
EVIDENCE_TYPES: dict[str, str] = {
    ".pdf": "application/pdf",
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".csv": "text/csv",
    ".txt": "text/plain",
}
EVIDENCE_MAX_FILES = 10


def evidence_max_bytes() -> int:
    return int(getattr(settings, "CLAIM_EVIDENCE_MAX_BYTES", 5 * 1024 * 1024))


def _content_matches(extension: str, head: bytes) -> bool:
    if extension == ".pdf":
        return head.startswith(b"%PDF-")
    if extension == ".png":
        return head.startswith(b"\x89PNG\r\n\x1a\n")
    if extension in {".jpg", ".jpeg"}:
        return head.startswith(b"\xff\xd8\xff")
    # Text: UTF-8 with no NUL bytes (a cut multi-byte character at the end is fine).
    if b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        return exc.start >= len(head) - 3
    return True


def evidence_validate(upload: Any) -> str:
    """Check one uploaded file: an allowed extension (pdf, png, jpg/jpeg, csv, txt), content
    that really is that type (sniffed, not the browser's word), at most 5 MB. Returns the
    content type to store; raises ``EvidenceError`` naming the file otherwise."""
    name = PurePath(upload.name or "").name or "(unnamed)"
    extension = PurePath(name).suffix.lower()
    if extension not in EVIDENCE_TYPES:
        allowed = ", ".join(sorted({e.lstrip(".") for e in EVIDENCE_TYPES}))
        raise EvidenceError(
            f"{name}: files of this type are not accepted as evidence (allowed: {allowed}).",
            code=EvidenceError.FORBIDDEN_TYPE,
            file=name,
        )
    limit = evidence_max_bytes()
    if upload.size > limit:
        raise EvidenceError(
            f"{name} is {upload.size / 1048576:.1f} MB; evidence files may be at most "
            f"{limit // 1048576} MB.",
            code=EvidenceError.TOO_LARGE,
            file=name,
        )
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    if not _content_matches(extension, head):
        raise EvidenceError(
            f"{name}: the content is not a {extension.lstrip('.').upper()} file.",
            code=EvidenceError.CONTENT_MISMATCH,
            file=name,
        )
    return EVIDENCE_TYPES[extension]


def claim_evidence_add(
    *, claim: Claim, files: Sequence[Any], actor: Any = None
) -> list[ClaimEvidence]:
    """Attach evidence files to a submitted claim, all or none (each checked by
    ``evidence_validate`` first). Decided claims are immutable: no new evidence."""
    files = list(files)
    if not files:
        return []
    content_types = [evidence_validate(upload) for upload in files]
    with transaction.atomic():
        locked = lock_object(Claim.objects.all(), claim.pk)
        if locked.is_decided:
            raise StateConflictError(
                f"Claim #{claim.pk} is {locked.get_status_display().lower()}; it can no "
                "longer take evidence."
            )
        if locked.evidence.count() + len(files) > EVIDENCE_MAX_FILES:
            raise EvidenceError(
                f"A claim holds at most {EVIDENCE_MAX_FILES} evidence files.",
                code=EvidenceError.TOO_MANY,
            )
        created = []
        for upload, content_type in zip(files, content_types, strict=True):
            evidence = ClaimEvidence(
                tenant=locked.tenant,
                claim=locked,
                original_name=PurePath(upload.name).name[:255],
                content_type=content_type,
                size=upload.size,
                uploaded_by=_person(actor),
            )
            evidence.file.save(upload.name, upload, save=False)
            evidence.save()
            created.append(evidence)
    return created


# --- claims: submit and decide -----------------------------------------------------------


def claim_submit(
    *,
    campaign: Campaign,
    window_days: int = WINDOW_DAYS_DEFAULT,
    note: str = "",
    actor: Any = None,
    evidence_files: Iterable[Any] = (),
    today: datetime.date | None = None,
) -> Claim:
    """File a compensation claim on ``campaign`` with the amount ``claim_quote`` computes.

    Refused with ``ClaimError`` (code not_eligible, bad_window, too_early, too_late,
    nothing_to_compensate, already_claimed) and nothing written. Evidence files are checked
    before anything is written. One claim per plan: the unique (tenant, campaign) constraint
    turns a race between two submissions into already_claimed."""
    files = list(evidence_files)
    for upload in files:
        evidence_validate(upload)
    quote = claim_quote(campaign=campaign, window_days=window_days, today=today)
    if not quote.is_eligible:
        raise ClaimError(quote.refusal_message, code=quote.refusal_code, campaign=campaign.pk)
    try:
        with transaction.atomic():
            claim = Claim(
                tenant=current_tenant(),
                campaign=campaign,
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
                submitted_by=_person(actor),
            )
            claim._history_user = _person(actor)  # type: ignore[attr-defined]
            claim.save()
            claim_evidence_add(claim=claim, files=files, actor=actor)
    except IntegrityError as exc:
        if "claim_one_per_campaign" not in str(exc):
            raise
        raise ClaimError(
            f"A claim for plan {campaign.name!r} has already been filed.",
            code=ClaimError.ALREADY_CLAIMED,
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
    locked._history_user = _person(actor)  # type: ignore[attr-defined]
    locked._change_reason = f"{to}: {reason}" if reason else to  # type: ignore[attr-defined]
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
        raise ClaimDecisionError(f"Unknown decision {decision!r}; use one of {ClaimDecision.ALL}.")
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
                occurred_on=_local_today(),
                memo=f"Compensation claim #{locked.pk} ({locked.campaign.name})",
                actor=actor,
            )
            locked.ledger_transaction = entry
            locked._history_user = _person(actor)  # type: ignore[attr-defined]
            locked.save(update_fields=["ledger_transaction", "updated_at"])
        _email_merchant_on_commit(claim=locked)
    _refresh(claim, locked)
    return locked


def _claim_outcome(
    claim: Claim, decision: str, amount: Decimal | None, reason: str
) -> tuple[str, Decimal | None]:
    if decision == ClaimDecision.REJECT:
        if not reason:
            raise ClaimDecisionError("A rejection needs a reason the merchant will read.")
        return ClaimStatus.REJECTED, None
    if decision == ClaimDecision.APPROVE:
        return ClaimStatus.APPROVED, claim.computed_amount
    if not reason:
        raise ClaimDecisionError(
            "Approving a reduced amount needs a reason the merchant will read."
        )
    if amount is None:
        raise ClaimDecisionError("Approving a reduced amount needs the amount.")
    amount = quantize_money(Decimal(amount))
    if not Decimal("0") < amount < claim.computed_amount:
        raise ClaimDecisionError(
            f"A reduced amount must be above 0 and below the computed {claim.computed_amount} "
            f"(got {amount})."
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


# --- disputes ----------------------------------------------------------------------------


def dispute_evidence(
    *, affiliate: Any, merchant: Merchant, order_reference: str, order_date: datetime.date
) -> dict[str, Any]:
    """What tracking holds for a dispute: the webmaster's clicks on the merchant in the
    tenant's click window before the order (from ``order_date - click_window_days`` to the
    end of ``order_date``, tenant-local), and an order with that reference at the merchant."""
    tenant = current_tenant()
    zone = tenant.zone
    window_start_day = order_date - datetime.timedelta(days=tenant.click_window_days)
    start = datetime.datetime.combine(window_start_day, datetime.time.min, tzinfo=zone)
    end = datetime.datetime.combine(
        order_date + datetime.timedelta(days=1), datetime.time.min, tzinfo=zone
    )
    clicks = Click.objects.filter(
        affiliate=affiliate, merchant=merchant, clicked_at__gte=start, clicked_at__lt=end
    )
    found = clicks.aggregate(first=Min("clicked_at"), last=Max("clicked_at"))
    click_count = clicks.count()
    valid_count = clicks.filter(verdict=ClickVerdict.VALID).count() if click_count else 0
    conversion = (
        Conversion.objects.filter(
            merchant=merchant, type=ConversionType.ORDER, external_id=order_reference
        )
        .values("id", "status", "affiliate_id", "day", "amount")
        .first()
    )
    return {
        "click_window": {"from": window_start_day.isoformat(), "to": order_date.isoformat()},
        "clicks": {
            "count": click_count,
            "valid": valid_count,
            "first_at": found["first"].isoformat() if found["first"] else None,
            "last_at": found["last"].isoformat() if found["last"] else None,
        },
        "order": (
            {
                "found": True,
                "id": conversion["id"],
                "status": conversion["status"],
                "day": conversion["day"].isoformat(),
                "amount": str(conversion["amount"]) if conversion["amount"] is not None else None,
                "attributed_to_this_webmaster": conversion["affiliate_id"] == affiliate.pk,
            }
            if conversion
            else {"found": False}
        ),
        "checked_at": timezone.now().isoformat(),
    }


def dispute_file(
    *,
    affiliate: Any,
    merchant: Merchant,
    order_reference: str,
    order_date: datetime.date,
    amount: Decimal,
    note: str = "",
    today: datetime.date | None = None,
    actor: Any = None,
) -> Dispute:
    """A webmaster disputes a missing commission on one order (issue 6).

    Filed within 90 days of the order date (not for a future date), against an active
    merchant of the tenant; one live dispute per (webmaster, merchant, order reference). As it
    is filed it records ``dispute_evidence`` (clicks found in the click window, a matching
    order) so merchant and staff decide on evidence."""
    today = today or _local_today()
    reference = (order_reference or "").strip()
    if order_date > today:
        raise DisputeError(
            f"The order date {order_date.isoformat()} is in the future.",
            code=DisputeError.FUTURE_ORDER,
        )
    if (today - order_date).days > DISPUTE_FILING_DAYS:
        raise DisputeError(
            f"Too late: order {reference} of {order_date.isoformat()} is more than "
            f"{DISPUTE_FILING_DAYS} days old; disputes must be filed within "
            f"{DISPUTE_FILING_DAYS} days of the order.",
            code=DisputeError.TOO_LATE,
        )
    if not merchant.is_active:
        raise DisputeError(
            f"Merchant {merchant.code} is not active.", code=DisputeError.MERCHANT_INACTIVE
        )
    duplicate = DisputeError(
        f"Order {reference} at {merchant.code} already has a dispute that is open or accepted.",
        code=DisputeError.ALREADY_DISPUTED,
    )
    live = [DisputeStatus.SUBMITTED, DisputeStatus.ACCEPTED]
    if Dispute.objects.filter(
        affiliate=affiliate, merchant=merchant, order_reference=reference, status__in=live
    ).exists():
        raise duplicate
    evidence = dispute_evidence(
        affiliate=affiliate, merchant=merchant, order_reference=reference, order_date=order_date
    )
    try:
        with transaction.atomic():
            dispute = Dispute(
                tenant=current_tenant(),
                affiliate=affiliate,
                merchant=merchant,
                order_reference=reference,
                order_date=order_date,
                amount=quantize_money(Decimal(amount)),
                note=(note or "").strip(),
                evidence=evidence,
            )
            dispute.full_clean()
            dispute._history_user = _person(actor)  # type: ignore[attr-defined]
            dispute.save()
    except IntegrityError as exc:
        if "dispute_one_open_per_order" not in str(exc):
            raise
        raise duplicate from exc
    return dispute


DISPUTE_ALLOWED: dict[str, set[str]] = {
    DisputeStatus.SUBMITTED: {DisputeStatus.ACCEPTED, DisputeStatus.REJECTED},
    DisputeStatus.ACCEPTED: set(),
    DisputeStatus.REJECTED: set(),
}


def dispute_transition(*, dispute: Dispute, to: str, actor: Any, reason: str = "") -> Dispute:
    """The one place a dispute's status moves (``DISPUTE_ALLOWED``), under a row lock;
    re-applying the current state is a no-op. Callers are inside ``transaction.atomic()``."""
    locked = lock_object(Dispute.objects.all(), dispute.pk)
    if locked.status == to:
        return locked
    if to not in DISPUTE_ALLOWED[locked.status]:
        raise StateConflictError(
            f"Dispute #{dispute.pk} is {locked.get_status_display().lower()}; it cannot "
            f"become {to}."
        )
    locked.status = to
    locked.decided_by = actor
    locked.decided_at = timezone.now()
    locked.decision_reason = reason
    locked._history_user = _person(actor)  # type: ignore[attr-defined]
    locked._change_reason = f"{to}: {reason}" if reason else to  # type: ignore[attr-defined]
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
    )
    return locked


def dispute_decide(*, dispute: Dispute, accept: bool, actor: Any, reason: str = "") -> Dispute:
    """The merchant (portal) or staff (admin) accept or reject a dispute.

    Accepting creates the commission through the commission service
    (``commission_create_from_dispute``, idempotent on ``dispute:<id>``), marked as coming
    from a dispute, so it flows into the webmaster's next statement; it happens once (a row
    lock, then a no-op for the same decision, a ``StateConflictError`` for the other).
    Rejecting needs a reason. If no commission rule matches, the acceptance is refused and
    nothing changes."""
    reason = (reason or "").strip()
    to = DisputeStatus.ACCEPTED if accept else DisputeStatus.REJECTED
    if not accept and not reason:
        raise DisputeError(
            "A rejection needs a reason the webmaster will read.",
            code=DisputeError.REASON_REQUIRED,
        )
    with transaction.atomic():
        locked = lock_object(Dispute.objects.all(), dispute.pk)
        if locked.is_decided:
            if locked.status == to:
                return locked
            raise StateConflictError(
                f"Dispute #{locked.pk} was already {locked.get_status_display().lower()}; "
                "decided disputes cannot change."
            )
        locked = dispute_transition(dispute=locked, to=to, actor=actor, reason=reason)
        if accept:
            commission = commission_create_from_dispute(
                affiliate=locked.affiliate,
                merchant=locked.merchant,
                order_reference=locked.order_reference,
                order_date=locked.order_date,
                amount=locked.amount,
                dispute_reference=f"dispute:{locked.pk}",
                actor=actor,
            )
            locked.commission = commission
            locked._history_user = _person(actor)  # type: ignore[attr-defined]
            locked.save(update_fields=["commission", "updated_at"])
        _email_affiliate_on_commit(dispute=locked)
    for field in ("status", "decided_by_id", "decided_at", "decision_reason", "commission_id"):
        setattr(dispute, field, getattr(locked, field))
    return locked


def _email_affiliate_on_commit(*, dispute: Dispute) -> None:
    email = dispute.affiliate.email
    if not email:
        return
    context = {"dispute": dispute, "tenant": current_tenant()}
    subject = render_to_string("email/disputes/dispute_decided_subject.txt", context).strip()
    body = render_to_string("email/disputes/dispute_decided_body.txt", context)

    def send() -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])

    transaction.on_commit(send)
