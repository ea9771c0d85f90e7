"""Writes on webmasters: profiles, the onboarding pipeline, BD ownership, notes, addresses.

Issue 3. ``status`` moves only through :func:`affiliate_transition` (the ``ALLOWED`` table);
the named wrappers (approve, reject, suspend) add their side effects. Every change is kept by
django-simple-history with the acting user as ``history_user`` and the reason as
``history_change_reason``.
"""

import datetime
import ipaddress
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from apps.affiliates.errors import AffiliateError, AffiliateTransitionError
from apps.affiliates.models import (
    Affiliate,
    AffiliateIp,
    AffiliateKind,
    AffiliateNote,
    AffiliateSignup,
    PipelineStatus,
)
from apps.core.db import lock_object, model_update
from apps.core.errors import validation_message
from apps.core.history import history_note
from apps.tenants.clock import tenant_today
from apps.tenants.live import live_state_changed
from apps.tenants.models import Tenant, User
from apps.tenants.scope import current_tenant

S = PipelineStatus

#: The onboarding pipeline. BD moves leads along lead → contacted → contracted → active;
#: self-service signups start ``pending`` and staff approve (→ active) or reject them.
#: An active webmaster is suspended, never rejected outright (suspend first: earnings and
#: statements of an active webmaster must be dealt with). A rejected profile can be reopened
#: as a lead.
ALLOWED: dict[str, set[str]] = {
    S.PENDING: {S.ACTIVE, S.REJECTED},
    S.LEAD: {S.CONTACTED, S.CONTRACTED, S.ACTIVE, S.REJECTED},
    S.CONTACTED: {S.CONTRACTED, S.ACTIVE, S.REJECTED},
    S.CONTRACTED: {S.ACTIVE, S.REJECTED},
    S.ACTIVE: {S.SUSPENDED},
    S.SUSPENDED: {S.ACTIVE, S.REJECTED},
    S.REJECTED: {S.LEAD, S.PENDING},
}

#: Profile fields ``affiliate_create`` accepts besides the named ones.
PROFILE_FIELDS = frozenset({"company", "phone"})
# Payout details are not profile fields: only the webmaster enters them, through
# ``apps.affiliates.payouts.payout_details_set`` (stored encrypted, issue 14).

#: How often one (webmaster, address) pair is written at most (see ``affiliate_ip_record``).
IP_RECORD_INTERVAL = datetime.timedelta(hours=1)


def _full_clean(affiliate: Affiliate) -> None:
    try:
        # FKs are given as objects: checking they exist would cost a query each.
        affiliate.full_clean(exclude=["tenant", "user", "bd_owner"], validate_constraints=False)
    except ValidationError as exc:
        raise AffiliateError(
            f"Webmaster {affiliate.email!r} is not valid: {validation_message(exc)}",
            code=AffiliateError.INVALID,
            fields=exc.message_dict,
        ) from exc


def affiliate_create(
    *,
    email: str,
    name: str,
    kind: str = AffiliateKind.WEBMASTER,
    status: str = PipelineStatus.LEAD,
    user: User | None = None,
    bd_owner: User | None = None,
    actor: User | None = None,
    **profile: Any,
) -> Affiliate:
    """Create a webmaster profile in the current tenant.

    Rules: the email is unique in the tenant, case-insensitively (``affiliate_email_taken``);
    a user has at most one profile per tenant; the row passes ``full_clean`` (kind, status,
    known choices). ``profile`` takes the contact fields
    (``PROFILE_FIELDS``). History records ``actor`` as the creator.
    """
    unknown = sorted(set(profile) - PROFILE_FIELDS)
    if unknown:
        raise AffiliateError(
            f"Unknown webmaster field(s): {', '.join(unknown)}.", code=AffiliateError.INVALID
        )
    email = (email or "").strip()
    affiliate = Affiliate(
        tenant=current_tenant(),
        email=email,
        name=(name or "").strip(),
        kind=kind,
        status=status,
        user=user,
        bd_owner=bd_owner,
        **profile,
    )
    if status == PipelineStatus.ACTIVE:
        affiliate.approved_at = timezone.now()
    _full_clean(affiliate)
    # Checks first, then one savepoint around the insert (imports call this per row).
    if Affiliate.objects.filter(email__iexact=email).exists():
        raise AffiliateError(
            f"A webmaster with the email {email} already exists in this network.",
            code=AffiliateError.EMAIL_TAKEN,
            email=email,
        )
    if user is not None and Affiliate.objects.filter(user=user).exists():
        raise AffiliateError(
            f"The user {user.email} already has a webmaster profile in this network.",
            code=AffiliateError.USER_TAKEN,
            email=user.email,
        )
    history_note(affiliate, actor, "created")
    try:
        with transaction.atomic():
            affiliate.save()
    except IntegrityError as exc:  # a concurrent create of the same email or user
        raise AffiliateError(
            f"A webmaster with the email {email} already exists in this network.",
            code=AffiliateError.EMAIL_TAKEN,
            email=email,
        ) from exc
    return affiliate


def affiliate_signup(
    *, user: User, tenant: Tenant | None = None, name: str = "", kind: str = AffiliateKind.WEBMASTER
) -> Affiliate:
    """The profile a self-service signup gets once its email address is verified.

    Rules (issue 3): the profile is ``pending`` until staff approve it; a pending webmaster
    may register sites but gets no live ad code. Idempotent: a user who already has a profile
    in this tenant keeps it. A profile BD created earlier for the same (now verified) email
    and no user is linked to this user rather than duplicated, keeping its status.
    ``tenant`` must be the scoped tenant when given (a safety check for signal handlers).
    """
    scoped = current_tenant()
    if tenant is not None and tenant.pk != scoped.pk:
        raise AffiliateError(
            f"Signup for {tenant.slug} attempted inside the scope of {scoped.slug}.",
            code=AffiliateError.INVALID,
        )
    with transaction.atomic():
        existing = Affiliate.objects.filter(user=user).first()
        if existing is not None:
            return existing
        by_email = (
            Affiliate.objects.select_for_update()
            .filter(email__iexact=user.email, user__isnull=True)
            .first()
        )
        if by_email is not None:
            by_email.user = user
            history_note(by_email, user, "linked to a verified signup")
            by_email.save(update_fields=["user", "updated_at"])
            return by_email
        return affiliate_create(
            email=user.email,
            name=name or user.name or user.email.split("@")[0],
            kind=kind or AffiliateKind.WEBMASTER,
            status=PipelineStatus.PENDING,
            user=user,
            actor=user,
        )


def affiliate_signup_start(
    *, user: User, name: str, kind: str = AffiliateKind.WEBMASTER
) -> AffiliateSignup:
    """Remember a self-service signup on this tenant's host until its email is verified.

    Nothing is created for staff yet: the pending profile comes with the verification
    (:func:`affiliate_signup_complete`). Signing up again replaces the name and kind.
    """
    name = (name or "").strip()
    if not name:
        raise AffiliateError("Tell us your name or your site's name.", code=AffiliateError.INVALID)
    if kind not in AffiliateKind.values:
        raise AffiliateError(f"Unknown webmaster kind {kind!r}.", code=AffiliateError.INVALID)
    with transaction.atomic():
        intent, _ = AffiliateSignup.objects.update_or_create(
            tenant=current_tenant(),
            user=user,
            defaults={"name": name[:150], "kind": kind, "completed_at": None},
        )
    return intent


def affiliate_signup_complete(*, user: User) -> Affiliate | None:
    """The email of ``user`` was just verified: turn its signup in this tenant (if any) into a
    pending webmaster profile. Users who did not sign up here as webmasters (staff verifying
    their address, say) get nothing. Idempotent."""
    with transaction.atomic():
        intent = AffiliateSignup.objects.select_for_update().filter(user=user).first()
        if intent is None:
            return None
        affiliate = affiliate_signup(user=user, name=intent.name, kind=intent.kind)
        if intent.completed_at is None:
            intent.completed_at = timezone.now()
            intent.save(update_fields=["completed_at", "updated_at"])
    return affiliate


def affiliate_transition(
    *, affiliate: Affiliate, to: str, actor: User | None = None, reason: str = ""
) -> Affiliate:
    """Move a webmaster along the pipeline (``ALLOWED``), under a row lock.

    Re-applying the current status is a no-op. Moving to ``active`` stamps ``approved_at``
    the first time. History records ``actor`` and ``reason``.
    """
    if to not in PipelineStatus.values:
        raise AffiliateError(f"Unknown webmaster status {to!r}.", code=AffiliateError.INVALID)
    with transaction.atomic():
        locked = lock_object(Affiliate.objects.all(), affiliate.pk)
        if locked.status == to:
            _refresh(affiliate, locked)
            return affiliate
        if to not in ALLOWED.get(locked.status, set()):
            raise AffiliateTransitionError(
                f"Webmaster {locked.email} cannot move from {locked.status} to {to}.",
                current=locked.status,
                to=to,
            )
        locked.status = to
        fields = ["status", "updated_at"]
        if to == PipelineStatus.ACTIVE and locked.approved_at is None:
            locked.approved_at = timezone.now()
            fields.append("approved_at")
        history_note(locked, actor, reason or f"status → {to}")
        locked.save(update_fields=fields)
        live_state_changed()  # a suspended webmaster's placements stop recording clicks
    _refresh(affiliate, locked)
    return affiliate


def _refresh(target: Affiliate, source: Affiliate) -> None:
    for field in ("status", "approved_at", "bd_owner_id", "payment_hold", "payment_hold_reason"):
        setattr(target, field, getattr(source, field))


def _email_affiliate_on_commit(*, affiliate: Affiliate, template: str, reason: str = "") -> None:
    """Send ``templates/email/affiliates/<template>_{subject,body}.txt`` after the commit."""
    if not affiliate.email:
        return
    context = {"affiliate": affiliate, "tenant": current_tenant(), "reason": reason}
    subject = render_to_string(f"email/affiliates/{template}_subject.txt", context).strip()
    body = render_to_string(f"email/affiliates/{template}_body.txt", context)
    recipient = affiliate.email

    def send() -> None:
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [recipient])

    transaction.on_commit(send)


def affiliate_approve(*, affiliate: Affiliate, actor: User | None) -> Affiliate:
    """Staff approve a webmaster (→ ``active``): its placements get live ad code, and the
    webmaster is emailed once the transaction commits. Approving an active one is a no-op."""
    with transaction.atomic():
        before = Affiliate.objects.filter(pk=affiliate.pk).values_list("status", flat=True).first()
        affiliate_transition(
            affiliate=affiliate, to=PipelineStatus.ACTIVE, actor=actor, reason="approved"
        )
        if before != PipelineStatus.ACTIVE:
            _email_affiliate_on_commit(affiliate=affiliate, template="approved")
    return affiliate


def affiliate_reject(*, affiliate: Affiliate, actor: User | None, reason: str) -> Affiliate:
    """Staff reject a webmaster's application (→ ``rejected``) with a reason, which the
    webmaster is emailed after the commit. Rejecting a rejected one is a no-op."""
    reason = (reason or "").strip()
    if not reason:
        raise AffiliateError(
            f"Give a reason to reject webmaster {affiliate.email}.",
            code=AffiliateError.REASON_REQUIRED,
        )
    with transaction.atomic():
        before = Affiliate.objects.filter(pk=affiliate.pk).values_list("status", flat=True).first()
        affiliate_transition(
            affiliate=affiliate, to=PipelineStatus.REJECTED, actor=actor, reason=reason
        )
        if before != PipelineStatus.REJECTED:
            _email_affiliate_on_commit(affiliate=affiliate, template="rejected", reason=reason)
    return affiliate


def affiliate_suspend(*, affiliate: Affiliate, actor: User | None, reason: str = "") -> Affiliate:
    """Suspend an active webmaster: its keys stop working and its ad code is withdrawn."""
    return affiliate_transition(
        affiliate=affiliate, to=PipelineStatus.SUSPENDED, actor=actor, reason=reason or "suspended"
    )


def affiliate_assign_owner(
    *, affiliate: Affiliate, owner: User | None, actor: User | None = None
) -> Affiliate:
    """Assign (or clear, with ``owner=None``) the webmaster's BD owner; history keeps who."""
    with transaction.atomic():
        locked = lock_object(Affiliate.objects.all(), affiliate.pk)
        owner_id = owner.pk if owner is not None else None
        if locked.bd_owner_id != owner_id:
            locked.bd_owner = owner
            label = owner.email if owner is not None else "nobody"
            history_note(locked, actor, f"BD owner → {label}")
            locked.save(update_fields=["bd_owner", "updated_at"])
    affiliate.bd_owner = owner
    return affiliate


def affiliate_note_add(
    *,
    affiliate: Affiliate,
    author: User | None,
    body: str,
    noted_on: datetime.date | None = None,
) -> AffiliateNote:
    """Add a dated BD note (default: today in the tenant's zone). An empty body is refused."""
    body = (body or "").strip()
    if not body:
        raise AffiliateError(
            f"A note on webmaster {affiliate.email} needs some text.", code=AffiliateError.INVALID
        )
    tenant = current_tenant()
    if noted_on is None:
        noted_on = tenant_today(tenant)
    with transaction.atomic():
        return AffiliateNote.objects.create(
            tenant=tenant, affiliate=affiliate, author=author, body=body, noted_on=noted_on
        )


def affiliate_ip_record(*, affiliate: Affiliate, ip: str | None) -> AffiliateIp | None:
    """Remember an address a webmaster used (portal or API), for self-click detection.

    Cheap by design: at most one write per (webmaster, address) per hour, remembered in the
    cache; returns ``None`` when skipped or when ``ip`` is not an IP address.
    """
    if not ip:
        return None
    try:
        ip = str(ipaddress.ip_address(ip.strip()))
    except ValueError:
        return None
    key = f"affiliate-ip:{affiliate.tenant_id}:{affiliate.pk}:{ip}"
    if cache.get(key):
        return None
    now = timezone.now()
    with transaction.atomic():
        record, _ = AffiliateIp.objects.update_or_create(
            tenant_id=affiliate.tenant_id,
            affiliate=affiliate,
            ip=ip,
            defaults={"last_seen_at": now},
            create_defaults={"first_seen_at": now, "last_seen_at": now},
        )
    cache.set(key, 1, int(IP_RECORD_INTERVAL.total_seconds()))
    return record


def affiliate_payment_hold_set(
    *, affiliate: Affiliate, hold: bool, reason: str, actor: User | None
) -> Affiliate:
    """Risk staff put a webmaster's payouts on hold, or release them (issue 5: statements
    still generate but cannot be approved while held). A reason is required to set a hold;
    history records who and why. Re-applying the current hold state is a no-op."""
    reason = (reason or "").strip()
    if hold and not reason:
        raise AffiliateError(
            f"Give a reason to hold payouts of webmaster {affiliate.email}.",
            code=AffiliateError.REASON_REQUIRED,
        )
    with transaction.atomic():
        locked = lock_object(Affiliate.objects.all(), affiliate.pk)
        if locked.payment_hold != hold:
            locked.payment_hold = hold
            locked.payment_hold_reason = reason[:500] if hold else ""
            label = "payment hold set" if hold else "payment hold released"
            history_note(locked, actor, f"{label}: {reason}" if reason else label)
            locked.save(update_fields=["payment_hold", "payment_hold_reason", "updated_at"])
    _refresh(affiliate, locked)
    return affiliate


#: What a webmaster may change on their own profile (the portal's profile page).
SELF_SERVICE_FIELDS = frozenset({"name", "kind"} | PROFILE_FIELDS)
#: What staff may change on the back office's form (status, owner and hold have services).
#: ``is_company`` and ``payout_currency`` (issue 17) decide withholding and the payout's
#: currency: finance's word, not the webmaster's.
STAFF_FIELDS = SELF_SERVICE_FIELDS | {"email", "is_company", "payout_currency"}


def _profile_update(
    *, affiliate: Affiliate, actor: User | None, allowed: frozenset[str], changes: dict[str, Any]
) -> Affiliate:
    unknown = sorted(set(changes) - allowed)
    if unknown:
        raise AffiliateError(
            f"These webmaster fields cannot be changed here: {', '.join(unknown)}.",
            code=AffiliateError.INVALID,
            fields={name: ["This field cannot be changed here."] for name in unknown},
        )
    if "email" in changes:
        changes["email"] = (changes["email"] or "").strip()
        taken = Affiliate.objects.filter(email__iexact=changes["email"]).exclude(pk=affiliate.pk)
        if taken.exists():
            raise AffiliateError(
                f"A webmaster with the email {changes['email']} already exists in this network.",
                code=AffiliateError.EMAIL_TAKEN,
                field="email",
            )
    locked, changed = model_update(
        instance=affiliate,
        fields=changes,
        actor=actor,
        reason="profile updated:",
        clean=_full_clean,
    )
    for field in changed:
        setattr(affiliate, field, getattr(locked, field))
    return affiliate


def affiliate_profile_update(
    *, affiliate: Affiliate, actor: User | None, **changes: Any
) -> Affiliate:
    """The webmaster updates their contact details (``SELF_SERVICE_FIELDS`` only: never the
    status, owner or hold). Validated with ``full_clean``; history records who changed what."""
    return _profile_update(
        affiliate=affiliate, actor=actor, allowed=SELF_SERVICE_FIELDS, changes=changes
    )


def affiliate_update(*, affiliate: Affiliate, actor: User | None, **changes: Any) -> Affiliate:
    """Staff change a webmaster's profile (``STAFF_FIELDS``: the self-service fields and the
    email, which stays unique in the tenant, case-insensitively). Status, BD owner and payment
    hold move through their own services. History records who changed what."""
    return _profile_update(affiliate=affiliate, actor=actor, allowed=STAFF_FIELDS, changes=changes)
