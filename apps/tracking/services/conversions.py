"""Conversions a merchant posts (API.md ``POST /conversions``) and their status moves.

``conversions_record`` validates each event on its own, attributes it to its click (or to a
registered coupon's webmaster, issue 16), and inserts with ``INSERT ... ON CONFLICT DO
NOTHING RETURNING``: the unique constraint on ``(tenant, merchant, type, external_id)``
decides, so however many identical posts race, each conversion is created exactly once and
exactly one of them is told ``created``. The pixel (``/px/conv``) and the postback
(``/postback``) call the same function with ``source=``, so a pixel and a postback of the
same order count once.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import connection, transaction
from django.db.models import Min
from django.db.models.functions import Upper
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from apps.campaigns.models import Merchant, Product
from apps.core.db import lock_object
from apps.core.events import event_emit
from apps.core.money import CENT, Money, allocate, quantize_money
from apps.fx.selectors import fx_rates_on
from apps.tenants.models import CouponAttribution
from apps.tenants.scope import current_tenant
from apps.tracking.errors import ConversionError, ConversionStateError
from apps.tracking.models import (
    Click,
    Conversion,
    ConversionItem,
    ConversionSource,
    ConversionStatus,
    ConversionType,
    Coupon,
    CustomerType,
    ReversalReason,
)

MAX_EVENTS = 1000
#: a merchant's clock may run this much behind ours: an event stamped slightly before its
#: click is still that click's
CLOCK_SKEW = datetime.timedelta(minutes=10)
MAX_AMOUNT = Decimal("999999999999.99")

CREATED = "created"
DUPLICATE = "duplicate"
REJECTED = "rejected"


@dataclass
class _Event:
    index: int
    type: Any
    external_id: Any
    errors: dict[str, str] = field(default_factory=dict)
    click_uuid: uuid.UUID | None = None
    occurred_at: datetime.datetime | None = None
    amount: Decimal | None = None
    customer_type: str = ""
    customer_ref: str = ""
    items: list[dict[str, Any]] = field(default_factory=list)
    coupon_code: str = ""
    #: the order's currency as sent (blank: the merchant's, else the tenant's), see ``_convert``
    currency: str = ""
    original_amount: Decimal | None = None
    fx_rate: Decimal | None = None
    #: what the event is attributed to: the click's (or coupon's) ids, see ``_attribute``
    click: dict[str, Any] | None = None
    status: str = ""


def _text(value: Any, *, max_length: int) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    text = str(value).strip()
    if not text or len(text) > max_length or "\x00" in text:
        return None
    return text


def _money(value: Any) -> Decimal | None:
    """A non-negative amount with at most 2 decimals, from a string or JSON number."""
    if isinstance(value, bool) or not isinstance(value, (str, int, Decimal)):
        return None
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        return None
    if not amount.is_finite() or amount < 0 or amount > MAX_AMOUNT:
        return None
    if amount != amount.quantize(CENT):
        return None
    return amount.quantize(CENT)


MONEY_ERROR = 'Enter an amount of at least 0 with at most 2 decimals, e.g. "199.90".'


def _parse_items(raw: Any, event: _Event) -> None:
    if raw is None:
        return
    if not isinstance(raw, list):
        event.errors["items"] = "Send a list of {sku, product_type?, quantity, amount}."
        return
    for position, item in enumerate(raw):
        where = f"items[{position}]"
        if not isinstance(item, dict):
            event.errors[where] = "Send an object {sku, product_type?, quantity, amount}."
            continue
        sku = _text(item.get("sku"), max_length=64)
        if sku is None:
            event.errors[f"{where}.sku"] = "Required: the product's sku (1-64 characters)."
        product_type = item.get("product_type") or ""
        if not isinstance(product_type, str) or len(product_type) > 60 or "\x00" in product_type:
            event.errors[f"{where}.product_type"] = "At most 60 characters (no NUL)."
            product_type = ""
        quantity = item.get("quantity")
        if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
            event.errors[f"{where}.quantity"] = "Required: a whole number of at least 1."
        amount = _money(item.get("amount"))
        if amount is None:
            event.errors[f"{where}.amount"] = MONEY_ERROR
        event.items.append(
            {
                "sku": sku,
                "product_type": product_type.strip(),
                "quantity": quantity,
                "amount": amount,
            }
        )


#: each order line may round by a cent: the lines may exceed the order by that much per line
LINE_ROUNDING = CENT


def _check_items_total(event: _Event) -> None:
    """The lines of an order never add up to more than the order (issue 22). Percent
    commissions are paid per line: lines above the amount would pay on money nobody spent
    (an order of 10.00 with one line of 999,999.00 paid 39,999.96 at 4 %)."""
    amounts = [item["amount"] for item in event.items]
    if event.amount is None or not amounts or any(amount is None for amount in amounts):
        return  # no order amount or a bad line: already refused naming that field
    total = sum(amounts, Decimal("0.00"))
    allowed = event.amount + LINE_ROUNDING * len(amounts)
    if total > allowed:
        event.errors["items"] = (
            f"The items add up to {total}, more than the order's amount {event.amount} "
            f"(each line may round by at most {LINE_ROUNDING})."
        )


def _parse(index: int, raw: Any) -> _Event:
    """One event of a batch, checked field by field; every bad field is named in
    ``event.errors`` (in the order of the fields below)."""
    if not isinstance(raw, dict):
        event = _Event(index=index, type=None, external_id=None)
        event.errors["event"] = "Each event must be a JSON object."
        return event
    event = _Event(index=index, type=raw.get("type"), external_id=raw.get("external_id"))
    if event.type not in ConversionType.values:
        event.errors["type"] = "Required: registration or order."
    external_id = _text(raw.get("external_id"), max_length=100)
    if external_id is None:
        event.errors["external_id"] = "Required: your id of this event (1-100 characters)."
    else:
        event.external_id = external_id
    _parse_coupon_and_click(raw, event)
    _parse_currency(raw, event)
    occurred = raw.get("occurred_at")
    parsed = parse_datetime(occurred) if isinstance(occurred, str) else None
    if parsed is None or timezone.is_naive(parsed):
        event.errors["occurred_at"] = (
            "Required: ISO 8601 with an offset, e.g. 2026-03-02T10:00:00+08:00."
        )
    else:
        event.occurred_at = parsed
    if event.type == ConversionType.ORDER:
        _parse_order(raw, event)
    return event


def _parse_coupon_and_click(raw: dict[str, Any], event: _Event) -> None:
    """The coupon (optional) and the click id, required unless a coupon stands for it."""
    coupon = raw.get("coupon")
    if coupon not in (None, ""):
        text = _text(coupon, max_length=64)
        if text is None:
            event.errors["coupon"] = "A coupon code of at most 64 characters (or leave it out)."
        else:
            event.coupon_code = text
    click_id = raw.get("click_id")
    if click_id in (None, "") and event.coupon_code:
        return  # a coupon-only order: _attribute looks the coupon up
    try:
        event.click_uuid = uuid.UUID(str(click_id or ""))
    except ValueError:
        event.errors["click_id"] = "Required: the click_id our redirect added to your URL."


def _parse_currency(raw: dict[str, Any], event: _Event) -> None:
    currency = raw.get("currency")
    if currency in (None, ""):
        return
    if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency.strip()):
        event.errors["currency"] = "An ISO 4217 code such as CNY (or leave it out)."
    else:
        event.currency = currency.strip().upper()


def _parse_order(raw: dict[str, Any], event: _Event) -> None:
    """An order's amount, customer type and reference, and its items."""
    event.amount = _money(raw.get("amount"))
    if event.amount is None:
        event.errors["amount"] = MONEY_ERROR
    customer_type = raw.get("customer_type") or ""
    if customer_type and customer_type not in CustomerType.values:
        event.errors["customer_type"] = "new or returning (or leave it out)."
    event.customer_type = customer_type if isinstance(customer_type, str) else ""
    ref = raw.get("customer_ref")
    if ref not in (None, ""):
        text = _text(ref, max_length=100)
        if text is None:
            event.errors["customer_ref"] = "At most 100 characters."
        else:
            event.customer_ref = text
    _parse_items(raw.get("items"), event)
    _check_items_total(event)


def _click_attribution(
    event: _Event, click: dict[str, Any] | None, *, merchant: Merchant, window_days: int
) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """(the click's attribution, None) or (None, (field, error))."""
    if click is None:
        return None, ("click_id", f"Unknown click_id {event.click_uuid}.")
    if click["merchant_id"] != merchant.pk:
        return None, (
            "click_id",
            f"click_id {event.click_uuid} is a click on another merchant's offer.",
        )
    assert event.occurred_at is not None  # noqa: S101 - parsed events without errors have it
    if event.occurred_at < click["clicked_at"] - CLOCK_SKEW:
        return None, ("occurred_at", f"occurred_at is before click {event.click_uuid}.")
    if event.occurred_at - click["clicked_at"] > datetime.timedelta(days=window_days):
        return None, (
            "click_id",
            f"click {event.click_uuid} is more than {window_days} days before occurred_at "
            "(the click window).",
        )
    return {**click, "coupon_id": None, "coupon_code": ""}, None


def _coupon_attribution(
    event: _Event, coupon: dict[str, Any] | None, *, zone: Any
) -> tuple[dict[str, Any] | None, tuple[str, str] | None]:
    """(the coupon's attribution, None) or (None, ("coupon", error)): a live coupon of this
    merchant, valid on the event's tenant-local day."""
    if coupon is None:
        return None, ("coupon", f"Coupon {event.coupon_code} is not registered for you.")
    assert event.occurred_at is not None  # noqa: S101
    day = event.occurred_at.astimezone(zone).date()
    if day < coupon["valid_from"] or (coupon["valid_to"] and day > coupon["valid_to"]):
        return None, ("coupon", f"Coupon {coupon['code']} is not valid on {day}.")
    return {
        "id": None, "click_id": None, "sub": "", "placement_id": coupon["placement_id"],
        "placement__code": coupon["placement__code"], "affiliate_id": coupon["affiliate_id"],
        "campaign_id": None, "product_id": None, "coupon_id": coupon["id"],
        "coupon_code": coupon["code"],
    }, None  # fmt: skip


def _attribute(events: list[_Event], *, merchant: Merchant, tenant: Any) -> None:
    """Attach each event's attribution, or reject it (API.md; issue 16 for coupons).

    - A click must be this tenant's (the scope and row-level security hide any other), on
      this merchant's offers, and at most ``click_window_days`` before the event.
    - A coupon must be one this merchant registered (not deleted), valid on the event's day.
    - With only one of them, that one decides. With both, the tenant's ``coupon_attribution``
      says which is tried first (``click_first`` by default); the other is the fallback. An
      unregistered coupon next to a usable click is simply a shop's own promotion code: the
      click attributes and nothing is rejected."""
    window_days = tenant.click_window_days
    todo = [event for event in events if not event.errors]
    uuids = {event.click_uuid for event in todo if event.click_uuid is not None}
    clicks = {
        row["click_id"]: row
        for row in Click.objects.filter(click_id__in=uuids).values(
            "id", "click_id", "clicked_at", "merchant_id", "placement_id", "affiliate_id",
            "campaign_id", "product_id", "sub", "placement__code",
        )
    } if uuids else {}  # fmt: skip
    codes = {event.coupon_code.upper() for event in todo if event.coupon_code}
    coupons = {
        row["code"].upper(): row
        for row in Coupon.objects.filter(merchant=merchant, deleted_at__isnull=True)
        .annotate(code_upper=Upper("code"))
        .filter(code_upper__in=codes)
        .values(
            "id", "code", "affiliate_id", "placement_id", "placement__code", "valid_from",
            "valid_to",
        )
    } if codes else {}  # fmt: skip
    coupon_first = tenant.coupon_attribution == CouponAttribution.COUPON_FIRST
    for event in todo:
        by_click = by_coupon = None
        errors: list[tuple[str, str] | None] = []
        if event.click_uuid is not None:
            by_click, error = _click_attribution(
                event, clicks.get(event.click_uuid), merchant=merchant, window_days=window_days
            )
            errors.append(error)
        if event.coupon_code:
            by_coupon, error = _coupon_attribution(
                event, coupons.get(event.coupon_code.upper()), zone=tenant.zone
            )
            errors.append(error)
        first, second = (by_coupon, by_click) if coupon_first else (by_click, by_coupon)
        event.click = first or second
        if event.click is None:
            for field_name, message in filter(None, errors):
                event.errors.setdefault(field_name, message)


def _convert(events: list[_Event], *, merchant: Merchant, tenant: Any) -> None:
    """Orders in another currency than the tenant's (issue 17, docs/currency.md).

    An order's currency is the one it names, else its merchant's, else the tenant's. In
    another currency than the tenant's, the order and its lines are converted at the rate of
    the order's tenant-local day (``apps.fx``, one query for the batch): ``amount`` becomes
    the tenant's currency, half-up to cents, and the event keeps ``currency``,
    ``original_amount`` and ``fx_rate``. No rate for that day: ``rejected`` naming
    ``currency``, never a silent 1.0."""
    book = tenant.currency
    todo = []
    for event in events:
        if event.errors:
            continue
        event.currency = event.currency or merchant.currency or book
        if event.currency != book and event.amount is not None:
            todo.append(event)
    if not todo:
        return
    zone = tenant.zone
    days = {id(e): e.occurred_at.astimezone(zone).date() for e in todo if e.occurred_at}
    rates = fx_rates_on(pairs={(days[id(e)], e.currency) for e in todo}, quote=book)
    for event in todo:
        day = days[id(event)]
        rate = rates.get((day, event.currency))
        if rate is None:
            event.errors["currency"] = (
                f"No exchange rate from {event.currency} to {book} for {day.isoformat()}; "
                f"the network must import it (fx_rates) first, or send amounts in {book}."
            )
            continue
        assert event.amount is not None  # noqa: S101 - in todo only with an amount
        event.original_amount = event.amount
        event.fx_rate = rate
        event.amount = Money(event.amount, event.currency).converted(rate=rate, to=book).amount
        for item in event.items:
            item["original_amount"] = item["amount"]
            item["amount"] = (
                Money(item["amount"], event.currency).converted(rate=rate, to=book).amount
            )


def _decide_customer_types(events: list[_Event], *, merchant: Merchant) -> None:
    """No ``customer_type``: returning when an earlier order of this merchant (already stored
    or earlier in this batch) has the same ``customer_ref``, else new (API.md)."""
    pending = [e for e in events if e.type == ConversionType.ORDER and not e.customer_type]
    refs = {e.customer_ref for e in pending if e.customer_ref}
    first_seen: dict[str, datetime.datetime] = dict(
        Conversion.objects.filter(
            merchant=merchant, type=ConversionType.ORDER, customer_ref__in=refs
        )
        .values("customer_ref")
        .annotate(first=Min("occurred_at"))
        .values_list("customer_ref", "first")
    ) if refs else {}  # fmt: skip
    for event in events:
        if event.type == ConversionType.ORDER and event.customer_ref:
            known = first_seen.get(event.customer_ref)
            if not event.customer_type:
                is_returning = known is not None and known < event.occurred_at
                event.customer_type = CustomerType.RETURNING if is_returning else CustomerType.NEW
            if known is None or event.occurred_at < known:
                first_seen[event.customer_ref] = event.occurred_at
        elif event.type == ConversionType.ORDER and not event.customer_type:
            event.customer_type = CustomerType.NEW


_COLUMNS = (
    "tenant_id", "created_at", "updated_at", "merchant_id", "type", "external_id", "click_id",
    "placement_id", "affiliate_id", "campaign_id", "product_id", "occurred_at", "day", "amount",
    "customer_type", "customer_ref", "status", "refund_amount", "status_reason", "coupon_id",
    "source", "currency", "original_amount", "fx_rate",
)  # fmt: skip


def _insert(rows: list[tuple[Any, ...]]) -> list[tuple[int, str, str]]:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING``: the rows this call created."""
    if not rows:
        return []
    placeholders = "(" + ", ".join(["%s"] * len(_COLUMNS)) + ")"
    sql = (
        f"INSERT INTO {Conversion._meta.db_table} ({', '.join(_COLUMNS)}) VALUES "  # noqa: S608
        + ", ".join([placeholders] * len(rows))
        + " ON CONFLICT (tenant_id, merchant_id, type, external_id) DO NOTHING"
        + " RETURNING id, type, external_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [value for row in rows for value in row])
        return cursor.fetchall()


def conversions_record(
    *, merchant: Merchant, events: list[Any], source: str = ConversionSource.API
) -> list[dict[str, Any]]:
    """Record a merchant's registrations and orders; one result per event, in order.

    Rules (API.md "Partner API", ``POST /conversions``):
    - each event is validated on its own; a bad one is ``rejected`` with ``errors`` naming
      each bad field, the others still count; unknown fields are ignored;
    - attribution: ``click_id`` must be a click of this tenant on this merchant's offers,
      at most ``tenant.click_window_days`` before ``occurred_at`` (allowing ``CLOCK_SKEW``),
      else ``rejected``; the conversion takes the click's placement, webmaster, campaign,
      product; an order with a registered ``coupon`` and no usable click takes the coupon's
      webmaster (and placement, if it names one) and has no click (``_attribute``);
    - ``currency`` (default the merchant's, else the tenant's): an order in another currency
      than the tenant's is converted at the rate of its day, or ``rejected`` naming
      ``currency`` when there is none (``_convert``);
    - ``(type, external_id)`` already stored, or earlier in the same batch: ``duplicate``,
      nothing counted twice (the unique constraint decides under concurrency);
    - orders: ``amount`` >= 0 with at most 2 decimals; no ``customer_type``: returning if an
      earlier order of this merchant has the same ``customer_ref``, else new; items keep
      their product type (given, else the product's); the items' amounts add up to at most
      the order's ``amount`` plus 0.01 per line (rounding), else ``rejected`` naming
      ``items`` (issue 22);
    - ``day`` is the tenant-local date of ``occurred_at``;
    - each created conversion emits ``conversion.created`` (webhooks and webmaster
      postbacks, delivered after commit); ``source`` says which channel sent it."""
    if len(events) > MAX_EVENTS:
        raise ConversionError(
            f"At most {MAX_EVENTS} events per request; this one has {len(events)}.",
            code="too_many_events",
            field="events",
        )
    tenant = current_tenant()
    parsed = [_parse(index, raw) for index, raw in enumerate(events)]
    _attribute(parsed, merchant=merchant, tenant=tenant)
    _convert(parsed, merchant=merchant, tenant=tenant)

    to_insert = _triage(parsed)
    with transaction.atomic():
        _decide_customer_types(to_insert, merchant=merchant)
        now = timezone.now()
        zone = tenant.zone
        # A fixed order, so two batches sharing keys lock them in the same order (no deadlock).
        to_insert.sort(key=lambda e: (e.type, e.external_id))
        rows = [
            (
                tenant.pk, now, now, merchant.pk, e.type, e.external_id, e.click["id"],
                e.click["placement_id"], e.click["affiliate_id"], e.click["campaign_id"],
                e.click["product_id"], e.occurred_at, e.occurred_at.astimezone(zone).date(),
                e.amount, e.customer_type, e.customer_ref, ConversionStatus.PENDING,
                Decimal("0.00"), "", e.click["coupon_id"], source, e.currency,
                e.original_amount if e.fx_rate is not None else e.amount, e.fx_rate,
            )
            for e in to_insert
        ]  # fmt: skip
        created = {(type_, external_id): pk for pk, type_, external_id in _insert(rows)}
        for event in to_insert:
            pk = created.get((event.type, event.external_id))
            event.status = CREATED if pk is not None else DUPLICATE
        _items_create(to_insert, created, merchant=merchant, tenant=tenant)
        for event in to_insert:
            if event.status == CREATED:
                _emit_created(event, created[(event.type, event.external_id)], merchant, source)

    results: list[dict[str, Any]] = []
    for event in parsed:
        result: dict[str, Any] = {
            "external_id": event.external_id,
            "type": event.type,
            "status": event.status,
        }
        if event.errors:
            result["errors"] = event.errors
        results.append(result)
    return results


def _triage(parsed: list[_Event]) -> list[_Event]:
    """Mark events with errors ``rejected`` and repeats within the batch ``duplicate``: the
    rest, to insert."""
    seen: set[tuple[str, str]] = set()
    to_insert: list[_Event] = []
    for event in parsed:
        if event.errors:
            event.status = REJECTED
            continue
        key = (event.type, event.external_id)
        if key in seen:
            event.status = DUPLICATE
            continue
        seen.add(key)
        to_insert.append(event)
    return to_insert


def _items_create(
    events: list[_Event], created: dict[tuple[str, str], int], *, merchant: Merchant, tenant: Any
) -> None:
    """The items of the conversions just created, each with its product (by sku, among the
    merchant's) and product type (given, else the product's)."""
    skus = {item["sku"] for e in events for item in e.items}
    products = {
        sku: (pk, product_type)
        for pk, sku, product_type in Product.objects.filter(
            merchant=merchant, sku__in=skus
        ).values_list("id", "sku", "product_type")
    }
    items = []
    for event in events:
        pk = created.get((event.type, event.external_id))
        if pk is None:
            continue
        for item in event.items:
            product_id, product_type = products.get(item["sku"], (None, ""))
            items.append(
                ConversionItem(
                    tenant=tenant,
                    conversion_id=pk,
                    sku=item["sku"],
                    product_id=product_id,
                    product_type=item["product_type"] or product_type,
                    quantity=item["quantity"],
                    amount=item["amount"],
                    original_amount=item.get("original_amount", item["amount"]),
                )
            )
    ConversionItem.objects.bulk_create(items)


def _emit_created(event: _Event, pk: int, merchant: Merchant, source: str) -> None:
    """``conversion.created`` (API.md v1.1 "Webhooks"): what the merchant and the webmaster
    may know of it (webhooks hide ``external_id`` and ``customer_ref`` from webmasters)."""
    attribution = event.click or {}
    event_emit(
        "conversion.created",
        data={
            "id": pk,
            "type": event.type,
            "external_id": event.external_id,
            "merchant": merchant.code,
            "placement": attribution.get("placement__code"),
            "click_id": str(attribution["click_id"]) if attribution.get("click_id") else None,
            "sub": attribution.get("sub") or "",
            "coupon": attribution.get("coupon_code") or None,
            "amount": str(event.amount) if event.amount is not None else None,
            "currency": current_tenant().currency,
            # issue 17: what the merchant sent, when it was another currency
            "original_amount": (
                str(event.original_amount) if event.original_amount is not None else None
            ),
            "original_currency": event.currency or None,
            "fx_rate": str(event.fx_rate) if event.fx_rate is not None else None,
            "customer_type": event.customer_type or None,
            "customer_ref": event.customer_ref or None,
            "occurred_at": event.occurred_at.isoformat() if event.occurred_at else None,
            "status": ConversionStatus.PENDING,
            "source": source,
        },
        merchant_id=merchant.pk,
        affiliate_id=attribution.get("affiliate_id"),
    )


ALLOWED: dict[str, set[str]] = {
    ConversionStatus.PENDING: {
        ConversionStatus.CONFIRMED,
        ConversionStatus.REFUNDED,
        ConversionStatus.CANCELLED,
    },
    ConversionStatus.CONFIRMED: {ConversionStatus.REFUNDED, ConversionStatus.CANCELLED},
    # a further refund raises the refunded total
    ConversionStatus.REFUNDED: {ConversionStatus.REFUNDED, ConversionStatus.CANCELLED},
    ConversionStatus.CANCELLED: set(),
}


def conversion_status_set(
    *,
    conversion: Conversion,
    status: str,
    refund_amount: Decimal | str | None = None,
    reason: str = "",
) -> Conversion:
    """Move a conversion to ``confirmed``, ``refunded`` or ``cancelled`` (API.md
    ``POST /orders/{external_id}/status``; the endpoint and commission reversals are money's).

    - The row is locked first (``lock_object``), so racing updates see each other's result.
    - Re-applying the current state is a no-op (for ``refunded``: the same refunded total).
    - ``refund_amount`` is the total refunded so far (default: the whole amount); it is
      > 0, at most the order's amount, and never decreases. Only orders are refunded.
    - ``reason`` is one of returned, cancelled, duplicate, fraud, other (or empty).
    - Roll-ups read the new state when the conversion's day is run again (``run_daily``):
      refunded orders keep counting as orders with GMV = amount - refund_amount; cancelled
      ones count 0."""
    if status not in ALLOWED:
        raise ConversionError(
            f"Unknown status {status!r}; use confirmed, refunded or cancelled.",
            code="invalid",
            field="status",
        )
    if reason and reason not in ReversalReason.values:
        raise ConversionError(
            f"Unknown reason {reason!r}; use one of {', '.join(ReversalReason.values)}.",
            code=ConversionError.INVALID_REASON,
            field="reason",
        )
    with transaction.atomic():
        locked = lock_object(Conversion.objects.all(), conversion.pk)
        label = f"{locked.type} {locked.external_id}"
        new_refund = locked.refund_amount
        sent: Decimal | None = None  # what the merchant sent, for a refund
        if status == ConversionStatus.REFUNDED:
            new_refund, sent = _refund_total(locked, refund_amount, label=label)
            if locked.status == status and new_refund == locked.refund_amount:
                return locked
        elif status == locked.status:
            return locked
        if status not in ALLOWED[locked.status]:
            raise ConversionStateError(
                f"{label} is {locked.status}; it cannot become {status}.", field="status"
            )
        locked.status = status
        locked.refund_amount = new_refund
        if status == ConversionStatus.REFUNDED and locked.fx_rate is not None:
            locked.original_refund_amount = sent
        locked.status_reason = reason
        locked.status_changed_at = timezone.now()
        locked.save(
            update_fields=[
                "status", "refund_amount", "original_refund_amount", "status_reason",
                "status_changed_at", "updated_at",
            ]
        )  # fmt: skip
        _lines_follow_refund(locked)
        return locked


def _refund_total(
    locked: Conversion, refund_amount: Decimal | str | None, *, label: str
) -> tuple[Decimal, Decimal]:
    """The order's refunded total after this refund, in the tenant's currency, and what was
    sent (in the order's own currency when it was converted). Only orders are refunded; the
    total is > 0, at most the amount, and never goes down."""
    if locked.type != ConversionType.ORDER:
        raise ConversionError(
            f"{label}: only orders can be refunded.",
            code=ConversionError.INVALID_REFUND,
            field="status",
        )
    amount = locked.amount or Decimal("0.00")
    # issue 17: an order converted from another currency is refunded in that
    # currency (what the merchant knows), then converted at the order's own rate
    converted = locked.fx_rate is not None and locked.original_amount is not None
    sent_amount = locked.original_amount if converted else amount
    sent = sent_amount if refund_amount in (None, "") else _money(refund_amount)
    if sent is None or sent <= 0 or sent > sent_amount:
        unit = f" {locked.currency}" if converted else ""
        raise ConversionError(
            f"{label}: refund_amount must be more than 0 and at most the order's "
            f"amount {sent_amount}{unit}, with at most 2 decimals.",
            code=ConversionError.INVALID_REFUND,
            field="refund_amount",
        )
    new_refund = _refund_in_book(locked, sent) if converted else sent
    if locked.status == ConversionStatus.REFUNDED and new_refund < locked.refund_amount:
        raise ConversionError(
            f"{label}: {locked.refund_amount} is already refunded; refund_amount is "
            "the total refunded and cannot go down.",
            code=ConversionError.INVALID_REFUND,
            field="refund_amount",
        )
    return new_refund, sent


def _refund_in_book(conversion: Conversion, sent: Decimal) -> Decimal:
    """A refund sent in the order's own currency, in the tenant's at the order's rate: the
    whole order refunds exactly its converted amount; a part is converted half-up, at most
    the amount."""
    rate, amount = conversion.fx_rate, conversion.amount or Decimal("0.00")
    if sent == conversion.original_amount or rate is None:
        return amount
    converted = Money(sent, conversion.currency).converted(rate=rate, to=current_tenant().currency)
    return min(amount, converted.amount)


def _lines_follow_refund(conversion: Conversion) -> None:
    """An order's lines shrink with it (issue 22), so lines and GMV agree: a refund of share
    ``refund / amount`` refunds that share of the lines' total, allocated over the lines by
    amount (largest remainder: the parts add up exactly and none exceeds its line); a
    cancellation refunds every line whole. Percent commissions per line are reversed by the
    same share (``apps.commissions.services.orders``)."""
    items = list(ConversionItem.objects.filter(conversion=conversion).order_by("pk"))
    if not items:
        return
    if conversion.status == ConversionStatus.CANCELLED:
        parts = [item.amount for item in items]
    else:
        lines_total = sum((item.amount for item in items), Decimal("0.00"))
        order_amount = conversion.amount or Decimal("0.00")
        if lines_total == 0 or order_amount == 0:
            return
        refund = conversion.refund_amount or Decimal("0.00")
        share = min(lines_total, quantize_money(lines_total * refund / order_amount))
        parts = allocate(share, [item.amount for item in items])
    changed = []
    now = timezone.now()
    for item, part in zip(items, parts, strict=True):
        if item.refunded_amount != part:
            item.refunded_amount = part
            item.updated_at = now
            changed.append(item)
    ConversionItem.objects.bulk_update(changed, ["refunded_amount", "updated_at"])
