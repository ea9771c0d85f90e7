"""``Authorization: Bearer <prefix>.<secret>``: the key's tenant must be the host's tenant."""

import hmac
import re
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions
from rest_framework.request import Request

from apps.affiliates.services import affiliate_ip_record
from apps.api.models import ApiKey
from apps.api.services import hash_secret
from apps.core.clientip import client_ip

# A key presented on another tenant's host is simply not found there (tenant scope and RLS),
# so it gets the same 401 as a wrong key: the answer never tells which networks a key is for.
INVALID = "Invalid or revoked API key."
FAILURE_WINDOW_SECONDS = 60
PREFIX_RE = re.compile(r"^[A-Za-z0-9_-]{1,16}$")


def _failure_key(request: Request, prefix: str) -> str:
    # The client behind our proxies (not the proxy: else one guesser would lock out everyone)
    # and the key prefix tried (else one guesser at an office's address would lock out every
    # partner behind it). A malformed header counts in the address's own "-" bucket.
    return f"api-key-failures:{client_ip(request._request)}:{prefix}"


def _too_many_failures(request: Request, prefix: str) -> bool:
    limit = getattr(settings, "API_KEY_FAILED_ATTEMPTS_PER_MINUTE", 30)
    return (cache.get(_failure_key(request, prefix)) or 0) >= limit


def _throttled() -> exceptions.Throttled:
    return exceptions.Throttled(
        wait=FAILURE_WINDOW_SECONDS, detail="Too many failed API key attempts; wait a minute."
    )


def _count_failure(request: Request, prefix: str) -> None:
    key = _failure_key(request, prefix)
    cache.add(key, 0, FAILURE_WINDOW_SECONDS)
    try:
        cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, FAILURE_WINDOW_SECONDS)


def _prefix_of(header: str) -> str:
    """The key prefix a header presents, or "-" when it presents none we could have issued."""
    parts = header.split()
    if len(parts) == 2 and parts[0] == ApiKeyAuthentication.keyword:
        prefix, dot, secret = parts[1].partition(".")
        if dot and secret and PREFIX_RE.match(prefix):
            return prefix
    return "-"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiKey] | None:
        """Failed attempts are limited per (client address, key prefix), issue 22: past
        ``API_KEY_FAILED_ATTEMPTS_PER_MINUTE`` failures in a minute, every further failure of
        that prefix from that address answers 429 instead of 401. A valid key is never
        refused for failures, its own prefix's included: the key is still checked (the same
        indexed lookup and constant-time compare as always), so a guesser sharing a partner's
        address cannot lock the partner out. Guessing stays hopeless (256-bit secrets); the
        limit tells a broken client to back off and keeps guessers visible as 429s.
        Headers that present no well-formed key are refused before any lookup once their
        address's own bucket is full: no valid key can be among them."""
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        prefix = _prefix_of(header)
        over_limit = _too_many_failures(request, prefix)
        if over_limit and prefix == "-":
            raise _throttled()
        try:
            return self._authenticate(request, header)
        except exceptions.AuthenticationFailed:
            _count_failure(request, prefix)
            if over_limit:
                raise _throttled() from None
            raise

    def _authenticate(self, request: Request, header: str) -> tuple[Any, ApiKey]:
        parts = header.split()
        if len(parts) != 2 or parts[0] != self.keyword:
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Bearer <key>'.")
        prefix, _, secret = parts[1].partition(".")
        if not prefix or not secret or len(prefix) > 16:
            raise exceptions.AuthenticationFailed(INVALID)
        tenant = getattr(request._request, "tenant", None)
        if tenant is None:
            raise exceptions.AuthenticationFailed(INVALID)
        api_key = (
            ApiKey.objects.select_related("merchant", "affiliate")
            .filter(tenant=tenant, prefix=prefix, revoked_at__isnull=True)
            .first()
        )
        # Compare in constant time; hash a dummy when the prefix is unknown so that timing
        # does not reveal which prefixes exist.
        expected = api_key.secret_hash if api_key is not None else hash_secret("unknown-key")
        if not hmac.compare_digest(expected, hash_secret(secret)) or api_key is None:
            raise exceptions.AuthenticationFailed(INVALID)
        principal = api_key.principal
        if principal is None or not _principal_active(api_key):
            raise exceptions.AuthenticationFailed("This key's merchant or webmaster is not active.")
        now = timezone.now()
        if api_key.last_used_at is None or (now - api_key.last_used_at).total_seconds() > 60:
            # Coarse last-used stamp: one write a minute per key, not one per request.
            ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        if api_key.affiliate is not None:  # self-click detection knows the webmaster's addresses
            affiliate_ip_record(affiliate=api_key.affiliate, ip=client_ip(request._request))
        return (KeyUser(api_key), api_key)

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


def _principal_active(api_key: ApiKey) -> bool:
    if api_key.merchant is not None:
        return api_key.merchant.is_active
    return api_key.affiliate is not None and api_key.affiliate.status not in {
        "rejected",
        "suspended",
    }


class ApiKeySchemeExtension(OpenApiAuthenticationExtension):
    """Tells drf-spectacular how keys travel: ``Authorization: Bearer <prefix>.<secret>``."""

    target_class = "apps.api.authentication.ApiKeyAuthentication"
    name = "ApiKey"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "An Alliance API key."}


class KeyUser:
    """``request.user`` for key-authenticated requests: not a person, never staff."""

    is_authenticated = True
    is_active = True
    is_staff = False
    is_superuser = False
    is_anonymous = False
    pk = None
    id = None

    def __init__(self, api_key: ApiKey) -> None:
        self.api_key = api_key

    def __str__(self) -> str:
        return f"api-key:{self.api_key.prefix}"
