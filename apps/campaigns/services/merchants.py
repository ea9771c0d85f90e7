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

from apps.campaigns.models import (
    Merchant,
    MerchantDomain,
    MerchantTier,
    MerchantUser,
    domain_validator,
)
from apps.core.db import model_update
from apps.core.errors import DomainError, validation_message
from apps.core.history import history_note
from apps.tenants.models import User
from apps.tenants.scope import current_tenant
from apps.tenants.services import user_invite

#: fields ``merchant_update`` may change
UPDATABLE_FIELDS = frozenset(
    {"name", "tier", "contact_name", "contact_email", "phone", "plan_quota", "is_active"}
)


class MerchantError(DomainError):
    code = "merchant_error"

    CODE_TAKEN = "merchant_code_taken"
    DOMAIN_TAKEN = "merchant_domain_taken"
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
    actor: User | None = None,
) -> Merchant:
    """Create a merchant in the current tenant, with its deep-link domains.

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
        merchant_domains_set(merchant=merchant, domains=domains)
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
    locked, _ = model_update(instance=merchant, fields=fields, actor=actor, clean=_full_clean)
    return locked


def merchant_domains_set(*, merchant: Merchant, domains: Iterable[str]) -> list[MerchantDomain]:
    """Make ``domains`` the merchant's exact set of deep-link domains.

    Rules: each is a host name (``shop.example.com``; a pasted URL is reduced to its host);
    a domain belongs to one merchant of the tenant (``merchant_domain_taken`` names the other).
    """
    wanted: list[str] = []
    for raw in domains:
        domain = normalize_domain(raw)
        if not domain:
            continue
        try:
            domain_validator(domain)
        except ValidationError as exc:
            raise MerchantError(
                f"{raw!r} is not a domain: {' '.join(exc.messages)}",
                code=MerchantError.INVALID,
                column="domains",
            ) from exc
        if domain not in wanted:
            wanted.append(domain)
    with transaction.atomic():
        taken = (
            MerchantDomain.objects.filter(domain__in=wanted)
            .exclude(merchant=merchant)
            .select_related("merchant")
            .first()
        )
        if taken is not None:
            raise MerchantError(
                f"The domain {taken.domain} already belongs to merchant {taken.merchant.code}.",
                code=MerchantError.DOMAIN_TAKEN,
                column="domains",
            )
        MerchantDomain.objects.filter(merchant=merchant).exclude(domain__in=wanted).delete()
        current = MerchantDomain.objects.filter(merchant=merchant)
        have = set(current.values_list("domain", flat=True))
        MerchantDomain.objects.bulk_create(
            [
                MerchantDomain(tenant=merchant.tenant, merchant=merchant, domain=domain)
                for domain in wanted
                if domain not in have
            ]
        )
    return list(MerchantDomain.objects.filter(merchant=merchant))


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
