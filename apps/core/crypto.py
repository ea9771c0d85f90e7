"""Encryption of small secrets at rest (payout details; anyone else who needs it).

Fernet (AES-128-CBC with HMAC-SHA256, from ``cryptography``) keyed from ``SECRET_KEY`` through
HKDF with a purpose label, so a leaked database dump alone reads nothing, and each purpose has
its own key. Rotating ``SECRET_KEY``: move the old one to ``SECRET_KEY_FALLBACKS``; values
encrypted under it still decrypt (``MultiFernet``) and ``rotate_text`` re-encrypts them under
the new key.
"""

from __future__ import annotations

import base64
import functools

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


class DecryptionError(Exception):
    """A stored value does not decrypt under the current or a fallback key."""


def _derive(secret: str, purpose: str) -> bytes:
    hkdf = HKDF(
        algorithm=hashes.SHA256(),
        length=32,
        salt=b"alliance-at-rest-v1",
        info=purpose.encode(),
    )
    return base64.urlsafe_b64encode(hkdf.derive(secret.encode()))


@functools.cache
def _fernet(purpose: str, secret: str, fallbacks: tuple[str, ...]) -> MultiFernet:
    keys = [Fernet(_derive(key, purpose)) for key in (secret, *fallbacks)]
    return MultiFernet(keys)


def _current(purpose: str) -> MultiFernet:
    fallbacks = tuple(getattr(settings, "SECRET_KEY_FALLBACKS", ()) or ())
    return _fernet(purpose, settings.SECRET_KEY, fallbacks)


def encrypt_text(plain: str, *, purpose: str) -> str:
    """The token of ``plain`` (empty stays empty: "not given" needs no secret)."""
    if not plain:
        return ""
    return _current(purpose).encrypt(plain.encode()).decode()


def decrypt_text(token: str, *, purpose: str) -> str:
    if not token:
        return ""
    try:
        return _current(purpose).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise DecryptionError(f"a stored {purpose} value does not decrypt") from exc


def rotate_text(token: str, *, purpose: str) -> str:
    """``token`` re-encrypted under the current key."""
    if not token:
        return ""
    return _current(purpose).rotate(token.encode()).decode()


def mask_tail(value: str, *, keep: int = 4) -> str:
    """``6222021234567890`` -> ``•••• 7890``: enough to recognise, never enough to use."""
    compact = "".join(value.split())
    if not compact:
        return ""
    if len(compact) <= keep:
        return "•" * len(compact)
    return "•••• " + compact[-keep:]


def mask_name(value: str) -> str:
    """``Li Wei`` -> ``L••• W•••``."""
    return " ".join(word[0] + "•••" for word in value.split() if word)
