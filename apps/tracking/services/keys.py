"""Postback keys and pixel tokens: how ``/postback`` and ``/px/conv`` know the merchant.

- A postback key travels in a query string (``/postback?key=...``), so it is its own
  credential: it records conversions for one merchant and opens nothing else (the partner
  API's Bearer keys are separate). Shown once; only its SHA-256 is stored.
- A pixel token sits in the merchant's thank-you page, so it is public: it only names the
  merchant. Anyone who reads the page can send pixel conversions, which is why pixel
  conversions still need a click (or registered coupon) of this merchant and are marked
  ``source=pixel``; merchants who can, use the postback (docs/integrations.md).
Rotation is "issue a new one, then revoke the old" so a shop can switch without a gap.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from apps.campaigns.models import Merchant
from apps.tenants.scope import current_tenant
from apps.tracking.errors import TrackingKeyError
from apps.tracking.models import MerchantTrackingKey, TrackingKeyKind

PREFIX: dict[str, str] = {TrackingKeyKind.POSTBACK: "pbk_", TrackingKeyKind.PIXEL: "px_"}
#: active keys of one kind per merchant (two is enough to rotate without a gap)
MAX_ACTIVE = 5


@dataclass(frozen=True)
class IssuedTrackingKey:
    key: MerchantTrackingKey
    #: the full key or token; for postback keys it exists only here
    plaintext: str


def tracking_key_hash(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode()).hexdigest()


def tracking_key_issue(*, merchant: Merchant, kind: str, actor: Any = None) -> IssuedTrackingKey:
    """A new postback key or pixel token for ``merchant`` (at most ``MAX_ACTIVE`` live)."""
    if kind not in TrackingKeyKind.values:
        raise TrackingKeyError(f"Unknown kind {kind!r}; use postback or pixel.", field="kind")
    with transaction.atomic():
        live = MerchantTrackingKey.objects.filter(
            merchant=merchant, kind=kind, revoked_at__isnull=True
        ).select_for_update()
        if len(live) >= MAX_ACTIVE:
            raise TrackingKeyError(
                f"{merchant.code} already has {MAX_ACTIVE} live {kind} keys; revoke one first.",
                field="kind",
            )
        plaintext = PREFIX[kind] + secrets.token_urlsafe(32)
        key = MerchantTrackingKey.objects.create(
            tenant=current_tenant(),
            merchant=merchant,
            kind=kind,
            token_hash=tracking_key_hash(plaintext),
            hint=plaintext[:10],
            public_token=plaintext if kind == TrackingKeyKind.PIXEL else "",
            created_by=actor if getattr(actor, "pk", None) else None,
        )
    return IssuedTrackingKey(key=key, plaintext=plaintext)


def tracking_key_revoke(*, key: MerchantTrackingKey) -> MerchantTrackingKey:
    """Revoke (idempotent): it stops working at once."""
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at", "updated_at"])
    return key


def tracking_key_merchant(*, plaintext: str, kind: str) -> Merchant | None:
    """The active merchant a live key or token of ``kind`` belongs to in the current tenant,
    or None. The lookup is by hash (the token has 256 bits: nothing to learn from timing)."""
    if not plaintext or len(plaintext) > 100 or not plaintext.startswith(PREFIX[kind]):
        return None
    key = (
        MerchantTrackingKey.objects.select_related("merchant")
        .filter(token_hash=tracking_key_hash(plaintext), kind=kind, revoked_at__isnull=True)
        .first()
    )
    if key is None or not key.merchant.is_active:
        return None
    now = timezone.now()
    stale = key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60
    if stale:  # one write a minute per key, not one per request
        MerchantTrackingKey.objects.filter(pk=key.pk).update(last_used_at=now)
    return key.merchant
