"""Disputes over a missing commission (issue 6): ``dispute_file`` (checks itself against
tracked clicks and orders as it is filed), ``dispute_decide`` (through ``dispute_transition``,
the one writer of a dispute's status).
"""

import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.template.loader import render_to_string
from django.utils import timezone

from apps.campaigns.models import Merchant
from apps.commissions.services.accrual import commission_create_from_dispute
from apps.core.db import lock_object
from apps.core.errors import StateConflictError
from apps.core.events import event_emit
from apps.core.history import history_note
from apps.core.money import quantize_money
from apps.disputes.errors import DisputeError
from apps.disputes.models import (
    Dispute,
    DisputeStatus,
)
from apps.tenants.clock import days_window, tenant_today
from apps.tenants.scope import current_tenant
from apps.tracking.models import Click, ClickVerdict, Conversion, ConversionType
from apps.tracking.services.retention import raw_events_purged_before

#: A dispute may be filed up to this many days after the order date (issue 6).
DISPUTE_FILING_DAYS = 90

# --- disputes ----------------------------------------------------------------------------


def dispute_evidence(
    *, affiliate: Any, merchant: Merchant, order_reference: str, order_date: datetime.date
) -> dict[str, Any]:
    """What tracking holds for a dispute: the webmaster's clicks on the merchant in the
    tenant's click window before the order (from ``order_date - click_window_days`` to the
    end of ``order_date``, tenant-local), and an order with that reference at the merchant."""
    tenant = current_tenant()
    window_start_day = order_date - datetime.timedelta(days=tenant.click_window_days)
    start, end = days_window(window_start_day, order_date, tenant)
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
    # Issue 19: raw clicks older than the tenant's retention are gone; the evidence says so
    # rather than reading as "no clicks".
    kept_from = raw_events_purged_before()
    complete = kept_from is None or window_start_day >= kept_from
    return {
        "click_window": {"from": window_start_day.isoformat(), "to": order_date.isoformat()},
        "clicks": {
            "count": click_count,
            "valid": valid_count,
            "first_at": found["first"].isoformat() if found["first"] else None,
            "last_at": found["last"].isoformat() if found["last"] else None,
            "complete": complete,
            "kept_from": kept_from.isoformat() if kept_from is not None and not complete else None,
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
    today = today or tenant_today()
    reference = (order_reference or "").strip()
    if order_date > today:
        raise DisputeError(
            f"The order date {order_date.isoformat()} is in the future.",
            code=DisputeError.FUTURE_ORDER,
            field="order_date",
        )
    if (today - order_date).days > DISPUTE_FILING_DAYS:
        raise DisputeError(
            f"Too late: order {reference} of {order_date.isoformat()} is more than "
            f"{DISPUTE_FILING_DAYS} days old; disputes must be filed within "
            f"{DISPUTE_FILING_DAYS} days of the order.",
            code=DisputeError.TOO_LATE,
            field="order_date",
        )
    if not merchant.is_active:
        raise DisputeError(
            f"Merchant {merchant.code} is not active.",
            code=DisputeError.MERCHANT_INACTIVE,
            field="merchant",
        )
    duplicate = DisputeError(
        f"Order {reference} at {merchant.code} already has a dispute that is open or accepted.",
        code=DisputeError.ALREADY_DISPUTED,
        field="order_reference",
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
            history_note(dispute, actor)
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
    history_note(locked, actor, f"{to}: {reason}" if reason else to)
    locked.save(
        update_fields=["status", "decided_by", "decided_at", "decision_reason", "updated_at"]
    )
    event_emit(
        "dispute.decided",
        data={
            "id": locked.pk,
            "status": to,
            "order_reference": locked.order_reference,
            "amount": str(locked.amount),
            "reason": reason,
        },
        merchant_id=locked.merchant_id,
        affiliate_id=locked.affiliate_id,
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
            field="reason",
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
            history_note(locked, actor)
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
