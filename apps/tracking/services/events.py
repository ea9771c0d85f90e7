"""Raw events: clicks (``/c/``), landings (``/px/land``), impressions (``/serve/``, ``/px/imp``).

These run on the public hot paths, so each is exactly one statement and none opens a
transaction of its own (a single INSERT or UPDATE is atomic already; an ``atomic()`` block
would add a SAVEPOINT round trip inside request transactions). They record facts only: whether
a click is paid is decided later by ``run_daily`` (``rollup.traffic_rollup_day``).
"""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal

from django.utils import timezone

from apps.tenants.scope import current_tenant
from apps.tracking.models import Click, Impression


def click_record(
    *,
    placement_id: int,
    affiliate_id: int,
    ip: str,
    user_agent: str,
    sub: str = "",
    merchant_id: int | None = None,
    product_id: int | None = None,
    campaign_id: int | None = None,
    impression_id: uuid.UUID | None = None,
) -> Click:
    """Record one raw click with one INSERT (API.md "Tracking": ``GET /c/{code}``).

    The caller has resolved every id from cached lookups; nothing is read here. The user agent
    is cut to the column's 512 characters and stripped of NUL (PostgreSQL text refuses it)."""
    click = Click(
        tenant_id=current_tenant().pk,
        placement_id=placement_id,
        affiliate_id=affiliate_id,
        merchant_id=merchant_id,
        product_id=product_id,
        campaign_id=campaign_id,
        impression_id=impression_id,
        ip=ip,
        user_agent=user_agent.replace("\x00", "")[:512],
        sub=sub,
    )
    click.save(force_insert=True)
    return click


def landing_mark(*, click_id: uuid.UUID, at: datetime.datetime | None = None) -> bool:
    """Mark a click as landed on the merchant's page (``/px/land``); the first landing counts.

    One UPDATE on the ``(tenant, click_id)`` unique index; an unknown id changes nothing."""
    updated = Click.objects.filter(click_id=click_id, landed_at__isnull=True).update(
        landed_at=at or timezone.now()
    )
    return bool(updated)


def impression_record(
    *,
    placement_id: int,
    campaign_id: int,
    product_id: int,
    merchant_id: int,
    price_cpm: Decimal,
    cpc_price: Decimal | None,
) -> Impression:
    """Record one served ad (the auction's winner and its clearing price) with one INSERT."""
    impression = Impression(
        tenant_id=current_tenant().pk,
        placement_id=placement_id,
        campaign_id=campaign_id,
        product_id=product_id,
        merchant_id=merchant_id,
        price_cpm=price_cpm,
        cpc_price=cpc_price,
    )
    impression.save(force_insert=True)
    return impression


def impression_mark_rendered(
    *, impression_id: uuid.UUID, at: datetime.datetime | None = None
) -> bool:
    """ad.js reports that the ad was shown (``/px/imp``): CPM plans pay for rendered
    impressions only. The first report counts; repeats and unknown ids change nothing."""
    updated = Impression.objects.filter(
        impression_id=impression_id, rendered_at__isnull=True
    ).update(rendered_at=at or timezone.now())
    return bool(updated)
