"""Writes on merchants: the merchant, its domains (deep links land only there) and its users.

Issue 3: a merchant has a code (unique in the tenant, case-insensitively), a name, a tier
(brand, high_potential, smb: the rebate brackets of DESIGN.md rule 9), contacts and a plan
quota (default 200 active plans, DESIGN.md rule 7). Merchant users are invited by staff.
Changes are kept by django-simple-history with the acting user.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils import timezone

from apps.campaigns import domains as domain_rules
from apps.campaigns.domains import TXT_PREFIX, LookupFailedError, registrable_domain
from apps.campaigns.models import (
    DomainVerificationMethod,
    Merchant,
    MerchantDomain,
    MerchantTier,
    MerchantUser,
    domain_validator,
)
from apps.core.db import lock_object, model_update
from apps.core.errors import DomainError, validation_message
from apps.core.history import history_note
from apps.sites.verification import WELL_KNOWN_PATH, FetchError
from apps.tenants.live import live_state_changed
from apps.tenants.models import User
from apps.tenants.scope import current_tenant
from apps.tenants.services import user_invite

#: fields ``merchant_update`` may change
UPDATABLE_FIELDS = frozenset(
    {
        "name",
        "tier",
        "contact_name",
        "contact_email",
        "phone",
        "plan_quota",
        "is_active",
        "currency",
    }
)


class MerchantError(DomainError):
    code = "merchant_error"

    CODE_TAKEN = "merchant_code_taken"
    DOMAIN_TAKEN = "merchant_domain_taken"
    PUBLIC_SUFFIX = "merchant_domain_public_suffix"
    USER_TAKEN = "merchant_user_taken"
    INVALID = "merchant_invalid"


def normalize_domain(value: str) -> str:
    """``https://Shop.Example.com/path`` → ``shop.example.com`` (host only, lower case)."""
    value = (value or "").strip()
    if "://" in value:
        value = urlsplit(value).hostname or ""
    return value.split("/", 1)[0].strip().strip(".").lower()


def _full_clean(merchant: Merchant) -> None:
    try:
        merchant.full_clean(exclude=["tenant"], validate_constraints=False)
    except ValidationError as exc:
        raise MerchantError(
            f"Merchant {merchant.code!r} is not valid: {validation_message(exc)}",
            code=MerchantError.INVALID,
            fields=exc.message_dict,
        ) from exc


def merchant_create(
    *,
    code: str,
    name: str,
    tier: str = MerchantTier.SMB,
    contact_email: str,
    domains: Iterable[str] = (),
    plan_quota: int = 200,
    contact_name: str = "",
    phone: str = "",
    currency: str = "",
    actor: User | None = None,
    domains_verified: bool = False,
) -> Merchant:
    """Create a merchant in the current tenant, with its deep-link domains (pending until
    verified, or verified at once with ``domains_verified``: imports and demo data).

    Rules: the code is unique in the tenant, case-insensitively (``merchant_code_taken``);
    the row passes ``full_clean`` (tier is a known one, plan quota at least 1, a valid email);
    each domain is valid and belongs to no other merchant of the tenant.
    """
    code = (code or "").strip()
    merchant = Merchant(
        tenant=current_tenant(),
        code=code,
        name=(name or "").strip(),
        tier=tier,
        contact_email=(contact_email or "").strip(),
        contact_name=contact_name,
        phone=phone,
        plan_quota=plan_quota,
        currency=(currency or "").strip().upper(),
    )
    _full_clean(merchant)
    with transaction.atomic():
        if Merchant.objects.filter(code__iexact=code).exists():
            raise MerchantError(
                f"A merchant with the code {code} already exists in this network.",
                code=MerchantError.CODE_TAKEN,
                column="code",
            )
        history_note(merchant, actor, "created")
        try:
            with transaction.atomic():
                merchant.save()
        except IntegrityError as exc:  # a concurrent create of the same code
            raise MerchantError(
                f"A merchant with the code {code} already exists in this network.",
                code=MerchantError.CODE_TAKEN,
                column="code",
            ) from exc
        merchant_domains_set(
            merchant=merchant, domains=domains, verified=domains_verified, actor=actor
        )
    return merchant


def merchant_update(*, merchant: Merchant, actor: User | None = None, **fields: Any) -> Merchant:
    """Change a merchant's profile (``UPDATABLE_FIELDS``; the code never changes: links and
    API keys name it). Validated like a new one; history records ``actor``."""
    unknown = sorted(set(fields) - UPDATABLE_FIELDS)
    if unknown:
        raise MerchantError(
            f"Merchant field(s) {', '.join(unknown)} cannot be changed here.",
            code=MerchantError.INVALID,
            fields={name: ["This field cannot be changed here."] for name in unknown},
        )
    with transaction.atomic():
        locked, changed = model_update(
            instance=merchant, fields=fields, actor=actor, clean=_full_clean
        )
        if {"is_active", "name"} & set(changed):  # what /c/ and /serve/ show or allow
            live_state_changed()
    return locked


def _clean_domain(raw: str) -> str:
    domain = normalize_domain(raw)
    try:
        domain_validator(domain)
    except ValidationError as exc:
        raise MerchantError(
            f"{raw!r} is not a domain: {' '.join(exc.messages)}",
            code=MerchantError.INVALID,
            column="domains",
        ) from exc
    if not registrable_domain(domain):
        raise MerchantError(
            f"{domain} is a public suffix (anyone can register names under it), not a "
            "merchant's domain: give the merchant's own domain, such as shop.example.com.",
            code=MerchantError.PUBLIC_SUFFIX,
            field="domains",
        )
    return domain


def merchant_domains_set(
    *,
    merchant: Merchant,
    domains: Iterable[str],
    verified: bool = False,
    method: str = DomainVerificationMethod.IMPORT,
    actor: User | None = None,
) -> list[MerchantDomain]:
    """Make ``domains`` the merchant's exact set of deep-link domains.

    Rules: each is a host name (``shop.example.com``; a pasted URL is reduced to its host);
    never a public suffix (``co.uk``, ``github.io``: the Public Suffix List,
    ``merchant_domain_public_suffix``); no other merchant of the tenant holds a domain with
    the same registrable domain (``shop.example.com`` and ``example.com`` are one owner's;
    ``merchant_domain_taken`` names the other). A new domain is pending until it is verified
    (``merchant_domain_verify``) unless ``verified`` is given (staff, imports and demo data,
    recorded with ``method``); a domain already verified stays so. Pending domains are sent
    to the verification task after the commit."""
    wanted = _wanted_domains(domains)
    with transaction.atomic():
        lock_object(Merchant.objects.all(), merchant.pk)
        _check_domains_free(merchant=merchant, wanted=wanted)
        removed = list(MerchantDomain.objects.filter(merchant=merchant).exclude(domain__in=wanted))
        for row in removed:
            history_note(row, actor, "removed")
            row.delete()
        new = _domains_add(
            merchant=merchant, wanted=wanted, verified=verified, method=method, actor=actor
        )
        if removed or new:
            live_state_changed()
        for row in new:
            if not row.is_verified:
                merchant_domain_verification_request(domain=row)
    return list(MerchantDomain.objects.filter(merchant=merchant))


def _wanted_domains(domains: Iterable[str]) -> list[str]:
    """The given domains cleaned (``_clean_domain``), blanks dropped, each once, in order."""
    wanted: list[str] = []
    for raw in domains:
        if not normalize_domain(raw):
            continue
        domain = _clean_domain(raw)
        if domain not in wanted:
            wanted.append(domain)
    return wanted


def _check_domains_free(*, merchant: Merchant, wanted: list[str]) -> None:
    """No other merchant of the tenant holds a domain with the registrable domain of one of
    ``wanted`` (``merchant_domain_taken`` names the first such owner)."""
    wanted_roots = {registrable_domain(domain): domain for domain in wanted}
    others = (
        MerchantDomain.objects.exclude(merchant=merchant)
        .select_related("merchant")
        .order_by("domain")
    )
    for other in others:
        mine = wanted_roots.get(registrable_domain(other.domain))
        if mine is None:
            continue
        code = other.merchant.code
        if other.domain == mine:
            message = f"The domain {mine} already belongs to merchant {code}."
        else:
            message = (
                f"The domain {mine} is under {registrable_domain(mine)}, which already "
                f"belongs to merchant {code} (through {other.domain})."
            )
        raise MerchantError(message, code=MerchantError.DOMAIN_TAKEN, field="domains")


def _domains_add(
    *, merchant: Merchant, wanted: list[str], verified: bool, method: str, actor: User | None
) -> list[MerchantDomain]:
    """Add the wanted domains the merchant lacks (verified if ``verified``), and with
    ``verified`` mark its pending ones verified: the rows added or changed."""
    new: list[MerchantDomain] = []
    current = {row.domain: row for row in MerchantDomain.objects.filter(merchant=merchant)}
    now = timezone.now()
    for domain in wanted:
        row = current.get(domain)
        if row is None:
            row = MerchantDomain(tenant=merchant.tenant, merchant=merchant, domain=domain)
            if verified:
                row.verified_at, row.verification_method = now, method
            history_note(row, actor, "added" + (f", {method}" if verified else ""))
            row.save()
            new.append(row)
        elif verified and not row.is_verified:
            _mark_verified(row, method=method, actor=actor, reason=f"verified ({method})")
            new.append(row)
    return new


def _mark_verified(row: MerchantDomain, *, method: str, actor: User | None, reason: str) -> None:
    row.verified_at = timezone.now()
    row.verification_method = method
    row.last_verification_error = ""
    history_note(row, actor, reason)
    row.save(
        update_fields=[
            "verified_at",
            "verification_method",
            "last_verification_error",
            "updated_at",
        ]
    )


def merchant_domain_instructions(domain: MerchantDomain) -> dict[str, str]:
    """What the merchant publishes to prove ownership (either one is enough)."""
    return {
        "dns_name": domain.domain,
        "dns_txt": f"{TXT_PREFIX}{domain.verification_token}",
        "file_url": f"https://{domain.domain}{WELL_KNOWN_PATH}",
        "file_content": domain.verification_token,
    }


def merchant_domain_verify(*, domain: MerchantDomain) -> MerchantDomain:
    """Check ownership of a pending domain: a TXT record ``alliance-domain-verification=TOKEN``
    on the domain, else TOKEN in ``https://DOMAIN/.well-known/alliance-verification.txt``
    (http if https cannot be reached). Records the method on success, otherwise
    ``last_verification_error`` naming what was looked for. The network is read before any
    row lock; a verified domain stays verified (a re-check changes nothing)."""
    if domain.is_verified:
        return domain
    token = domain.verification_token
    problems: list[str] = []
    method = ""
    try:
        if f"{TXT_PREFIX}{token}" in [r.strip() for r in domain_rules.txt_records(domain.domain)]:
            method = DomainVerificationMethod.DNS
        else:
            problems.append(f"no TXT record {TXT_PREFIX}{token} on {domain.domain}")
    except LookupFailedError as exc:
        problems.append(str(exc))
    if not method:
        for scheme in ("https", "http"):
            url = f"{scheme}://{domain.domain}{WELL_KNOWN_PATH}"
            try:
                status, text = domain_rules.fetch_proof_file(url)
            except FetchError as exc:
                problems.append(str(exc).rstrip("."))
                continue
            if status == 200 and token in text:
                method = DomainVerificationMethod.FILE
            else:
                problems.append(f"{url} answered {status} without your token")
            break
    with transaction.atomic():
        locked = lock_object(MerchantDomain.objects.all(), domain.pk)
        if locked.is_verified:
            return locked
        locked.last_verification_at = timezone.now()
        if method:
            locked.save(update_fields=["last_verification_at", "updated_at"])
            _mark_verified(locked, method=method, actor=None, reason=f"verified ({method})")
            live_state_changed()
        else:
            locked.last_verification_error = ("Not verified: " + "; ".join(problems) + ".")[:500]
            locked.save(
                update_fields=["last_verification_at", "last_verification_error", "updated_at"]
            )
    return locked


def merchant_domain_verify_by_hand(
    *, domain: MerchantDomain, actor: User | None, reason: str
) -> MerchantDomain:
    """Staff verify a domain themselves (a contract, a call): the reason is required and kept
    in the domain's history with who did it."""
    reason = (reason or "").strip()
    if not reason:
        raise MerchantError(
            "Say why this domain is verified by hand (kept in its history).",
            code=MerchantError.INVALID,
            field="reason",
        )
    with transaction.atomic():
        locked = lock_object(MerchantDomain.objects.all(), domain.pk)
        if locked.is_verified:
            return locked
        _mark_verified(
            locked, method=DomainVerificationMethod.STAFF, actor=actor, reason=f"by hand: {reason}"
        )
        live_state_changed()
    return locked


def merchant_domain_verification_request(*, domain: MerchantDomain) -> None:
    """Queue the ownership check of ``domain`` after the commit (Celery)."""
    from apps.campaigns.tasks import merchant_domain_verify_task

    merchant_domain_verify_task.delay_on_commit(tenant_id=domain.tenant_id, domain_id=domain.pk)


def merchant_user_invite(
    *,
    merchant: Merchant,
    email: str,
    actor: User | None = None,
    request: HttpRequest | None = None,
    notify: bool = True,
) -> MerchantUser:
    """Give the person at ``email`` access to the merchant's portal, and tell them by email.

    A new account is created without a password and gets allauth's set-password mail as its
    invitation (``user_invite``, when there is a request to build the link from); every invitee
    is also sent a notice naming the merchant, after the commit. A person acts for at most one
    merchant per tenant (``merchant_user_taken``); inviting them again is a no-op (a removed
    one is reactivated). With ``notify=False`` (demo data) no notice is sent.
    """
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise MerchantError(
            f"{email!r} is not an email address.", code=MerchantError.INVALID, column="email"
        ) from exc
    tenant = current_tenant()
    with transaction.atomic():
        user = user_invite(email=email, request=request)
        existing = MerchantUser.objects.filter(user=user).select_related("merchant").first()
        if existing is not None and existing.merchant_id != merchant.pk:
            raise MerchantError(
                f"{email} already acts for merchant {existing.merchant.code} in this network.",
                code=MerchantError.USER_TAKEN,
                column="email",
            )
        if existing is not None:
            if not existing.is_active:
                existing.is_active = True
                existing.save(update_fields=["is_active", "updated_at"])
            return existing
        merchant_user = MerchantUser.objects.create(tenant=tenant, merchant=merchant, user=user)
        if not notify:
            return merchant_user
        context = {"merchant": merchant, "tenant": tenant, "user": user, "actor": actor}
        subject = render_to_string("email/merchants/invited_subject.txt", context).strip()
        body = render_to_string("email/merchants/invited_body.txt", context)
        transaction.on_commit(
            lambda: send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])
        )
    return merchant_user
