"""Creating and revoking API keys."""

import hashlib
import secrets
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from apps.affiliates.models import Affiliate
from apps.api.models import AFFILIATE_SCOPES, MERCHANT_SCOPES, ApiKey
from apps.campaigns.models import Merchant
from apps.core.errors import DomainError
from apps.tenants.models import User
from apps.tenants.scope import current_tenant

KEY_PREFIX = "ak_"


class ApiKeyError(DomainError):
    code = "api_key_error"


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    #: the full key; it exists only here and is never stored
    plaintext: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def api_key_create(
    *,
    merchant: Merchant | None = None,
    affiliate: Affiliate | None = None,
    scopes: list[str] | None = None,
    name: str = "",
    created_by: User | None = None,
) -> IssuedKey:
    """Issue a key for exactly one principal of the current tenant.

    Scopes default to every scope of the principal's kind; a scope of the other kind is refused.
    """
    if (merchant is None) == (affiliate is None):
        raise ApiKeyError("A key belongs to exactly one merchant or one webmaster.")
    allowed = MERCHANT_SCOPES if merchant is not None else AFFILIATE_SCOPES
    scopes = list(allowed) if not scopes else [s.strip() for s in scopes if s.strip()]
    unknown = sorted(set(scopes) - set(allowed))
    if unknown:
        raise ApiKeyError(
            f"Unknown scope(s) for this key: {', '.join(unknown)}. Allowed: {', '.join(allowed)}.",
            code="unknown_scope",
        )
    prefix = KEY_PREFIX + secrets.token_hex(6)
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        api_key = ApiKey.objects.create(
            tenant=current_tenant(),
            name=name,
            prefix=prefix,
            secret_hash=hash_secret(secret),
            merchant=merchant,
            affiliate=affiliate,
            scopes=scopes,
            created_by=created_by,
        )
    return IssuedKey(api_key=api_key, plaintext=f"{prefix}.{secret}")


def api_key_revoke(*, api_key: ApiKey) -> ApiKey:
    """Revoke a key (idempotent): it stops working at once."""
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at", "updated_at"])
    return api_key
