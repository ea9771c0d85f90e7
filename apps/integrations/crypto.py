"""Webhook secrets: made, kept encrypted, and used to sign (API.md v1.1 "Webhooks").

A secret is shown to its owner once; we must keep the plaintext to sign, so it is stored
encrypted with ``apps.core.crypto`` (Fernet keyed from ``SECRET_KEY`` through HKDF, with
its own purpose label; ``SECRET_KEY_FALLBACKS`` still decrypt, so rotating ``SECRET_KEY``
keeps endpoints working).

Signature: ``Alliance-Signature: t=UNIX_SECONDS,v1=HEX``, HEX = HMAC-SHA256(secret,
``t + "." + body``). A receiver recomputes it and should also refuse an old ``t``.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from apps.core.crypto import DecryptionError, decrypt_text, encrypt_text

SECRET_PREFIX = "whsec_"  # noqa: S105 - a prefix, not a secret
SIGNATURE_HEADER = "Alliance-Signature"
PURPOSE = "webhook endpoint secret"


def secret_new() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hint(secret: str) -> str:
    return secret[: len(SECRET_PREFIX) + 4]


def secret_encrypt(secret: str) -> str:
    return encrypt_text(secret, purpose=PURPOSE)


def secret_decrypt(token: str) -> str:
    try:
        return decrypt_text(token, purpose=PURPOSE)
    except DecryptionError:
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
