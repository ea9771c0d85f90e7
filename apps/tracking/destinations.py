"""Where a click goes: the one service for ``/c/``'s destination rules (API.md "Tracking").

``click_destination`` decides, from the tenant's live snapshot and nothing else (no query):

- ``?url=`` (a deep link): an http(s) URL on a *verified* domain of an active merchant, or a
  subdomain of one; anything else is refused (400, never an open redirect). With ``sku`` as
  well, the product is that merchant's product with that sku.
- ``?sku=``: the product of the ``cid`` campaign's merchant if it sells that sku (a hint, not
  a constraint); else the only active product with that sku; several merchants' and no hint:
  400 ("ambiguous"). A product whose URL is off its merchant's verified domains is refused
  (400): its URL is never a redirect target.
- ``cid`` and ``imp`` (from ad.js links) are kept only when the campaign belongs to the
  destination's merchant; a foreign or unknown ``cid`` is dropped, and ``imp`` with it.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass

from apps.campaigns.domains import url_host
from apps.tracking.errors import TrackingError
from apps.tracking.snapshot import CampaignRef, ProductRef, TenantSnapshot

SKU_RE = re.compile(r"[^\x00-\x1f\x7f]{1,64}")
CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")
URL_MAX = 2000


@dataclass(frozen=True, slots=True)
class Destination:
    #: the redirect target (``click_id`` is added by the view)
    url: str
    merchant_id: int
    product: ProductRef | None
    campaign_id: int | None
    #: the campaign's type when ``campaign_id`` is kept (a CPC click is charged at once)
    campaign_type: str | None
    impression_id: uuid.UUID | None


def _unknown_sku() -> TrackingError:
    return TrackingError("Unknown sku.", code=TrackingError.UNKNOWN_SKU, http_status=404)


def uuid_or_none(value: str | None) -> uuid.UUID | None:
    if not value or len(value) > 36:
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def _campaign(snapshot: TenantSnapshot, raw: str | None) -> tuple[int, CampaignRef] | None:
    if not raw or not raw.isdigit() or len(raw) > 18:
        return None
    ref = snapshot.campaign_refs.get(int(raw))
    return (int(raw), ref) if ref is not None else None


def deep_link_merchant(snapshot: TenantSnapshot, url: str) -> int:
    """The merchant whose verified domain ``url`` is on; refuses anything else (400)."""
    refused = TrackingError(
        "Deep links may only go to a verified domain of one of this network's merchants.",
        code=TrackingError.DEEP_LINK_REFUSED,
        field="url",
    )
    if len(url) > URL_MAX or CONTROL_RE.search(url) or "\\" in url or " " in url:
        raise refused
    host = url_host(url)
    merchant_id = snapshot.merchant_for_host(host) if host else None
    if merchant_id is None:
        raise refused
    return merchant_id


def _product(
    snapshot: TenantSnapshot, sku: str, merchant_id: int | None, hint: int | None
) -> ProductRef:
    if not SKU_RE.fullmatch(sku):
        raise _unknown_sku()
    candidates = snapshot.products_by_sku.get(sku, ())
    if merchant_id is not None:
        candidates = tuple(p for p in candidates if p.merchant_id == merchant_id)
    elif hint is not None:
        candidates = tuple(p for p in candidates if p.merchant_id == hint) or candidates
    if not candidates:
        raise _unknown_sku()
    if len(candidates) > 1:
        raise TrackingError(
            "Ambiguous sku: several merchants sell it; use the ad code's link (with cid).",
            code=TrackingError.AMBIGUOUS_SKU,
            field="sku",
        )
    return candidates[0]


def click_destination(
    *,
    snapshot: TenantSnapshot,
    sku: str | None,
    url: str | None,
    cid: str | None = None,
    imp: str | None = None,
) -> Destination:
    """The destination of one click (rules above); raises ``TrackingError`` with the HTTP
    status to answer (404 unknown sku, 400 otherwise)."""
    campaign = _campaign(snapshot, cid)
    product: ProductRef | None = None
    if url:
        merchant_id = deep_link_merchant(snapshot, url)
        if sku:
            product = _product(snapshot, sku, merchant_id, None)
        target = url
    elif sku:
        product = _product(snapshot, sku, None, campaign[1].merchant_id if campaign else None)
        if not product.redirects:
            raise TrackingError(
                "This product's URL is not on a verified domain of its merchant; it cannot "
                "be linked to until the merchant verifies the domain or fixes the URL.",
                code=TrackingError.PRODUCT_URL_UNVERIFIED,
                field="sku",
            )
        target, merchant_id = product.url, product.merchant_id
    else:
        raise TrackingError(
            "Add sku= (a product) or url= (a page of a merchant's site).",
            code=TrackingError.TARGET_REQUIRED,
        )
    kept = campaign if campaign and campaign[1].merchant_id == merchant_id else None
    return Destination(
        url=target,
        merchant_id=merchant_id,
        product=product,
        campaign_id=kept[0] if kept else None,
        campaign_type=kept[1].type if kept else None,
        impression_id=uuid_or_none(imp) if kept else None,
    )
