"""Webhook secrets: made, kept encrypted, and used to sign (API.md v1.1 "Webhooks").

A secret is shown to its owner once; we must keep the plaintext to sign, so it is stored
encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from ``cryptography``) under a key derived
from ``SECRET_KEY`` with HKDF. ``SECRET_KEY_FALLBACKS`` still decrypt, so rotating
``SECRET_KEY`` keeps endpoints working (re-encrypt by rotating each endpoint's secret).

Signature: ``Alliance-Signature: t=UNIX_SECONDS,v1=HEX``, HEX = HMAC-SHA256(secret,
``t + "." + body``). A receiver recomputes it and should also refuse an old ``t``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SIGNATURE_HEADER = "Alliance-Signature"
_INFO = b"alliance webhook endpoint secrets v1"


def _fernet_for(key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(key.encode())
    return Fernet(base64.urlsafe_b64encode(derived))


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet_for(key) for key in keys])


def secret_new() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hint(secret: str) -> str:
    return secret[: len(SECRET_PREFIX) + 4]


def secret_encrypt(secret: str) -> str:
    return _fernet().encrypt(secret.encode()).decode()


def secret_decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise ValueError(
            "This endpoint's secret cannot be decrypted (SECRET_KEY changed without keeping "
            "the old one in SECRET_KEY_FALLBACKS); rotate the endpoint's secret."
        ) from None


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={digest.hexdigest()}"


def signature_verify(*, secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (and our tests do): recompute and compare in constant time."""
    parts = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp)
    return hmac.compare_digest(expected, header)
