"""Raw events: clicks (``/c/``), landings (``/px/land``), impressions (``/serve/``, ``/px/imp``).

These run on the public hot paths, so each is one round trip to PostgreSQL: one query string
that sets the row-level-security tenant for its own implicit transaction
(``set_config('app.tenant_id', ..., true)``) and then runs the event's single statement, so
no BEGIN/COMMIT round trips and no tenant left on the connection afterwards. A charged event
(a rendered CPM impression, a CPC winner's click) adds to its campaign's provisional spend in
the same statement (``apps.tracking.budget``). They record facts only: whether a click is paid
is decided later by ``run_daily`` (``rollup.traffic_rollup_day``).

Column lists come from the models, so a field added to ``Click`` or ``Impression`` (with a
default) is written here too without touching this file.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.db import connection
from django.db.models import Model
from django.utils import timezone

from apps.tenants import rls
from apps.tracking.budget import spend_slot
from apps.tracking.models import Click, Impression

_SET_TENANT = "SELECT set_config('app.tenant_id', %(_tenant)s, true); "
_RESET_TENANT = "; SELECT set_config('app.tenant_id', %(_previous)s, true)"

_SPEND_UPSERT = """
INSERT INTO tracking_campaignspend AS s (tenant_id, campaign_id, day, slot, amount)
SELECT %(tenant_id)s, charged.campaign_id, %(_day)s, %(_slot)s, charged.amount FROM charged
WHERE charged.amount IS NOT NULL
ON CONFLICT (tenant_id, campaign_id, day, slot)
DO UPDATE SET amount = s.amount + EXCLUDED.amount
RETURNING campaign_id, amount"""


@lru_cache(maxsize=4)
def _insert(model: type[Model]) -> tuple[str, tuple[Any, ...]]:
    fields = tuple(f for f in model._meta.concrete_fields if not f.primary_key)
    columns = ", ".join(f'"{f.column}"' for f in fields)
    values = ", ".join(f"%({f.attname})s" for f in fields)
    # names from the model's own metadata, values as parameters
    sql = f'INSERT INTO "{model._meta.db_table}" ({columns}) VALUES ({values})'  # noqa: S608
    return sql, fields


def _values(model: type[Model], given: dict[str, Any]) -> dict[str, Any]:
    _, fields = _insert(model)
    return {
        f.attname: f.get_db_prep_save(
            given[f.attname] if f.attname in given else f.get_default(), connection
        )
        for f in fields
    }


def _run(sql: str, params: dict[str, Any], *, tenant_id: int) -> tuple[Any, ...] | None:
    """Run ``sql`` (one statement) for ``tenant_id`` in one round trip; the first row of its
    answer, if it has one. Inside a caller's transaction (tests, scripts) the tenant setting
    is put back afterwards, since it would otherwise last to that transaction's end."""
    params["_tenant"] = str(tenant_id)
    text = _SET_TENANT + sql
    if connection.in_atomic_block:
        previous = rls.current_tenant_id()
        params["_previous"] = "" if previous is None else str(previous)
        text += _RESET_TENANT
    with connection.cursor() as cursor:
        cursor.execute(text, params)
        cursor.nextset()
        row = cursor.fetchone() if cursor.description else None
    return row


@dataclass(frozen=True, slots=True)
class Charge:
    """What a charged event added to its campaign's spend: this slot's new figure."""

    campaign_id: int
    slot: int
    amount: Decimal
    day: datetime.date


def click_record(
    *,
    tenant_id: int,
    placement_id: int,
    affiliate_id: int,
    ip: str,
    user_agent: str,
    sub: str = "",
    merchant_id: int | None = None,
    product_id: int | None = None,
    campaign_id: int | None = None,
    impression_id: uuid.UUID | None = None,
    charge_day: datetime.date | None = None,
) -> tuple[uuid.UUID, Charge | None]:
    """Record one raw click with one INSERT (API.md "Tracking": ``GET /c/{code}``); its
    ``click_id`` and, with ``charge_day`` (a CPC winner's ad: ``campaign_id`` and
    ``impression_id`` given), the campaign's spend after adding the impression's cpc_price
    in the same statement.

    The caller resolved every id from the snapshot; nothing is read here but that one
    impression's price. The user agent is cut to 512 characters and stripped of NUL."""
    click_id = uuid.uuid4()
    insert, _ = _insert(Click)
    params = _values(
        Click,
        {
            "tenant_id": tenant_id,
            "click_id": click_id,
            "clicked_at": timezone.now(),
            "placement_id": placement_id,
            "affiliate_id": affiliate_id,
            "merchant_id": merchant_id,
            "product_id": product_id,
            "campaign_id": campaign_id,
            "impression_id": impression_id,
            "ip": ip,
            "user_agent": user_agent.replace("\x00", "")[:512],
            "sub": sub,
        },
    )
    if charge_day is None or campaign_id is None or impression_id is None:
        _run(insert, params, tenant_id=tenant_id)
        return click_id, None
    slot = spend_slot()
    params.update(_day=charge_day, _slot=slot)
    # fixed SQL text, values as parameters
    sql = (
        f"WITH stored AS ({insert} RETURNING impression_id), charged AS ("  # noqa: S608
        " SELECT i.campaign_id, i.cpc_price AS amount FROM tracking_impression i"
        " WHERE i.tenant_id = %(tenant_id)s AND i.impression_id = %(impression_id)s"
        " AND i.campaign_id = %(campaign_id)s AND i.cpc_price IS NOT NULL)" + _SPEND_UPSERT
    )
    row = _run(sql, params, tenant_id=tenant_id)
    charge = Charge(campaign_id=row[0], slot=slot, amount=row[1], day=charge_day) if row else None
    return click_id, charge


def landing_mark(
    *, tenant_id: int, click_id: uuid.UUID, at: datetime.datetime | None = None
) -> bool:
    """Mark a click as landed on the merchant's page (``/px/land``); the first landing counts.

    One UPDATE on the ``(tenant, click_id)`` unique index; an unknown id changes nothing."""
    row = _run(
        "UPDATE tracking_click SET landed_at = %(at)s WHERE tenant_id = %(tenant_id)s"
        " AND click_id = %(click_id)s AND landed_at IS NULL RETURNING id",
        {"at": at or timezone.now(), "tenant_id": tenant_id, "click_id": click_id},
        tenant_id=tenant_id,
    )
    return row is not None


def impression_record(
    *,
    tenant_id: int,
    placement_id: int,
    campaign_id: int,
    product_id: int,
    merchant_id: int,
    price_cpm: Decimal,
    cpc_price: Decimal | None,
) -> uuid.UUID:
    """Record one served ad (the auction's winner and its clearing price) with one INSERT."""
    impression_id = uuid.uuid4()
    insert, _ = _insert(Impression)
    params = _values(
        Impression,
        {
            "tenant_id": tenant_id,
            "impression_id": impression_id,
            "served_at": timezone.now(),
            "placement_id": placement_id,
            "campaign_id": campaign_id,
            "product_id": product_id,
            "merchant_id": merchant_id,
            "price_cpm": price_cpm,
            "cpc_price": cpc_price,
        },
    )
    _run(insert, params, tenant_id=tenant_id)
    return impression_id


def impression_mark_rendered(
    *,
    tenant_id: int,
    impression_id: uuid.UUID,
    day: datetime.date,
    at: datetime.datetime | None = None,
) -> Charge | None:
    """ad.js reports that the ad was shown (``/px/imp``): CPM plans pay for rendered
    impressions only, so the first report of a CPM impression adds price_cpm / 1000 to its
    campaign's spend of ``day`` in the same statement; repeats and unknown ids change nothing.
    The campaign's new spend figure of this slot, for a CPM impression's first report."""
    slot = spend_slot()
    # fixed SQL text, values as parameters
    sql = (
        "WITH charged AS (UPDATE tracking_impression SET rendered_at = %(at)s"  # noqa: S608
        " WHERE tenant_id = %(tenant_id)s AND impression_id = %(impression_id)s"
        " AND rendered_at IS NULL"
        " RETURNING campaign_id, CASE WHEN cpc_price IS NULL THEN price_cpm / 1000 END AS amount)"
        + _SPEND_UPSERT
    )
    row = _run(
        sql,
        {
            "at": at or timezone.now(),
            "tenant_id": tenant_id,
            "impression_id": impression_id,
            "_day": day,
            "_slot": slot,
        },
        tenant_id=tenant_id,
    )
    return Charge(campaign_id=row[0], slot=slot, amount=row[1], day=day) if row else None
