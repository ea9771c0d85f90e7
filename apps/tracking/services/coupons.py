"""Coupons a merchant registers for a webmaster (issue 16, API.md v1.1 ``/coupons``).

An order that carries a registered coupon and no usable ``click_id`` is attributed to the
coupon's webmaster (``conversions_record``); with both, the tenant's ``coupon_attribution``
decides (docs/integrations.md "Coupons").
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from apps.affiliates.models import Affiliate, PipelineStatus
from apps.campaigns.models import Merchant
from apps.sites.models import Placement
from apps.tenants.clock import tenant_today
from apps.tenants.scope import current_tenant
from apps.tracking.errors import CouponError
from apps.tracking.models import Coupon

CODE_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
CODE_HELP = "1-64 letters, digits, '.', '_' or '-', starting with a letter or digit."
#: a coupon cannot go to a webmaster the network has turned away
REFUSED_STATUSES = {PipelineStatus.REJECTED, PipelineStatus.SUSPENDED}


def coupon_code_normal(code: Any) -> str | None:
    """The code as stored (trimmed), or None when it is not a valid code."""
    if not isinstance(code, str):
        return None
    code = code.strip()
    return code if CODE_RE.fullmatch(code) else None


def coupons_active(*, merchant: Merchant) -> QuerySet[Coupon]:
    return Coupon.objects.filter(merchant=merchant, deleted_at__isnull=True)


def coupon_for_code(*, merchant: Merchant, code: str) -> Coupon | None:
    """The merchant's live (not deleted) coupon with this code, any letter case."""
    return coupons_active(merchant=merchant).filter(code__iexact=code).first()


def coupon_create(
    *,
    merchant: Merchant,
    code: str,
    affiliate: Affiliate,
    placement: Placement | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    actor: Any = None,
) -> Coupon:
    """Register ``code`` for ``affiliate`` (optionally one of its placements).

    Rules: the code is ``CODE_RE`` and not yet live for this merchant in any letter case (a
    deleted one may be registered again); the webmaster is this tenant's and not rejected or
    suspended; a placement must be one of that webmaster's; ``valid_from`` defaults to the
    tenant's today and ``valid_to`` (inclusive, tenant-local) is not before it."""
    normal = coupon_code_normal(code)
    if normal is None:
        raise CouponError(CODE_HELP, code=CouponError.INVALID, field="code")
    if affiliate.status in REFUSED_STATUSES:
        raise CouponError(
            f"{affiliate.email} is {affiliate.status}; a coupon needs a webmaster in good "
            "standing.",
            code=CouponError.INVALID,
            field="webmaster",
        )
    if placement is not None and placement.site.affiliate_id != affiliate.pk:
        raise CouponError(
            f"Placement {placement.code} is not one of {affiliate.email}'s placements.",
            code=CouponError.INVALID,
            field="placement",
        )
    valid_from = valid_from or tenant_today()
    if valid_to is not None and valid_to < valid_from:
        raise CouponError(
            f"valid_to {valid_to} is before valid_from {valid_from}.",
            code=CouponError.INVALID,
            field="valid_to",
        )
    taken = CouponError(
        f"Coupon {normal} is already registered; delete it first to reassign it.",
        code=CouponError.CODE_TAKEN,
        field="code",
    )
    if coupon_for_code(merchant=merchant, code=normal) is not None:
        raise taken
    try:
        with transaction.atomic():
            return Coupon.objects.create(
                tenant=current_tenant(),
                merchant=merchant,
                code=normal,
                affiliate=affiliate,
                placement=placement,
                valid_from=valid_from,
                valid_to=valid_to,
                created_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError:  # a racing registration of the same code won
        raise taken from None


def coupon_delete(*, coupon: Coupon) -> Coupon:
    """Stop the coupon attributing orders and free its code (idempotent). The row stays for
    the conversions it attributed."""
    if coupon.deleted_at is None:
        coupon.deleted_at = timezone.now()
        coupon.save(update_fields=["deleted_at", "updated_at"])
    return coupon


def coupon_register(
    *,
    merchant: Merchant,
    code: str,
    webmaster_email: str,
    placement_code: str | None = None,
    valid_from: datetime.date | None = None,
    valid_to: datetime.date | None = None,
    actor: Any = None,
) -> Coupon:
    """``coupon_create`` from what a merchant types or posts: the webmaster by email and the
    placement by code (API ``POST /coupons`` and the portal share it)."""
    affiliate = Affiliate.objects.filter(email__iexact=webmaster_email.strip()).first()
    if affiliate is None:
        raise CouponError(
            "No webmaster with this email in the network.",
            code=CouponError.INVALID,
            field="webmaster",
        )
    placement = None
    if placement_code:
        placement = (
            Placement.objects.select_related("site")
            .filter(code=placement_code, site__affiliate=affiliate)
            .first()
        )
        if placement is None:
            raise CouponError(
                f"{placement_code} is not one of that webmaster's placements.",
                code=CouponError.INVALID,
                field="placement",
            )
    return coupon_create(
        merchant=merchant, code=code, affiliate=affiliate, placement=placement,
        valid_from=valid_from, valid_to=valid_to, actor=actor,
    )  # fmt: skip
